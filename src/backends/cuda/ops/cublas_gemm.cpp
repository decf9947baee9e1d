#include "backends/cuda/ops/cublas_gemm.h"

#include "backends/cuda/kernels/channel_affine.cuh"

namespace tandem::cuda {

Status run_gemm(const RunEnv& env, const GemmShape& g, const void* a, const void* b, void* y, Precision precision) {
  const cudaDataType_t dt = precision == Precision::kFloat16 ? CUDA_R_16F : CUDA_R_32F;
  const cudaDataType_t yt = g.y_f32 ? CUDA_R_32F : dt;
  const cublasComputeType_t compute = precision == Precision::kTF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  const float zero = 0.0f;
  CUBLAS_TRY(cublasGemmStridedBatchedEx(env.cublas, g.op_first, g.op_second, g.n, g.m, g.k, &g.alpha, b, dt, g.ld_first,
                                        g.stride_b, a, dt, g.ld_second, g.stride_a, &zero, y, yt, g.ld_out, g.stride_y,
                                        static_cast<int>(g.batch), compute, CUBLAS_GEMM_DEFAULT));
  return Status::ok();
}

Step gemm_step(GemmShape g, const void* a, const void* b, void* y, Precision precision) {
  return [g, a, b, y, precision](const RunEnv& env) { return run_gemm(env, g, a, b, y, precision); };
}

Status add_gemm_epilogue(BuildContext& ctx, const DevTensor& y, std::vector<float> bias, const ir::Epilogue& act) {
  if (bias.empty() && act.is_none()) return Status::ok();
  ChannelAffineArgs e;
  e.x = y.data; e.y = y.data; e.total = y.numel(); e.channels = y.shape.empty() ? 1 : y.shape.back(); e.inner = 1;
  if (!bias.empty()) {
    TANDEM_ASSIGN_OR_RETURN(e.bias, ctx.upload_f32(bias));
  }
  e.act = to_dev_epilogue(act);
  const Elem el = ctx.elem();
  ctx.add_step(channel_affine_step(e, el, "channel_affine"));
  return Status::ok();
}

}  // namespace tandem::cuda

#include "backends/cuda/ops/conv_gemm.h"

#include <algorithm>
#include <cstdint>
#include <memory>

#include "backends/cuda/kernels/im2col.cuh"

namespace tandem::cuda {
namespace {

// Owns the cuBLASLt descriptors of one product; shared by its plans' steps.
struct LtMatmul {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr, d = nullptr;
  ~LtMatmul() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

uint32_t alignment_of(const void* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  uint32_t align = 256;
  while (align > 1 && v % align != 0) align /= 2;
  return align;
}

}  // namespace

bool conv_is_nhwc_gemm(const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y) {
  if (!x.nhwc || !y.nhwc || a.group != 1 || a.kernel_shape.size() != 2) return false;
  if (a.kernel_shape[0] != 1 || a.kernel_shape[1] != 1) return false;
  for (int64_t s : a.strides)
    if (s != 1) return false;
  for (int64_t p : a.pads)
    if (p != 0) return false;
  return x.shape[2] == y.shape[2] && x.shape[3] == y.shape[3];
}

namespace {

// The largest power of two (at most 256) that divides the address and every group's offset.
uint32_t alignment_with(const void* p, int64_t group_offset_bytes) {
  uint32_t al = alignment_of(p);
  while (al > 1 && group_offset_bytes % al != 0) al /= 2;
  return al;
}

// The product Y[m, n] = X[m, k] W[n, k]^T (+ bias + residual, Relu) through cuBLASLt, one plan per
// proposed algorithm. X is `in` or, when `in_workspace`, the first `in_bytes` (rounded up to 256)
// of RunEnv::workspace, written by `prologue` (run first); cuBLASLt's own workspace follows it.
// With `groups` > 1, one product per group, batched: group g reads X's columns [g k, (g + 1) k)
// (rows of G k), W's rows [g n, (g + 1) n) and writes Y's columns [g n, (g + 1) n), n = Cout / G.
Result<std::vector<ConvPlan>> gemm_plans(BuildContext& ctx, const void* in, bool in_workspace, size_t in_bytes,
                                         const Step& prologue, uint64_t m, uint64_t k, const void* w,
                                         const DevBias& bias, const DevTensor* residual,
                                         const ir::Epilogue& act, const DevTensor& y, int max_plans,
                                         const std::string& name, int64_t groups = 1) {
  std::vector<ConvPlan> plans;
  if (!ctx.env().cublaslt) return plans;
  // A view (concat_views.h) is written with the row stride of the tensor it views, by the
  // epilogue alone: no activation pass after the product. The residual (C) stays packed.
  if (y.is_view() && !(act.is_none() || act.kind == ir::ActKind::kRelu)) return plans;
  const uint64_t n = uint64_t(y.shape[1] / groups);
  const int64_t ld = y.is_view() ? logical_strides(y).s[3] : int64_t(y.shape[1]);
  const int64_t ldb = int64_t(k) * groups;
  const cudaDataType_t dt = y.elem == Elem::kF16 ? CUDA_R_16F : CUDA_R_32F;
  const cublasComputeType_t compute =
      ctx.precision() == Precision::kTF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  // Column-major view: D[n, m] = op(A)[n, k] B[k, m] with A = W stored [k, n] (transposed) and
  // B = X stored [k, m]; D (and C, the residual) stored [n, m] with leading dimension n (a view's
  // row stride).
  auto mm = std::make_shared<LtMatmul>();
  CUBLAS_TRY(cublasLtMatmulDescCreate(&mm->op, compute, CUDA_R_32F));
  const cublasOperation_t trans_a = CUBLAS_OP_T, trans_b = CUBLAS_OP_N;
  CUBLAS_TRY(cublasLtMatmulDescSetAttribute(mm->op, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof(trans_a)));
  CUBLAS_TRY(cublasLtMatmulDescSetAttribute(mm->op, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof(trans_b)));
  const bool relu = act.kind == ir::ActKind::kRelu;
  const bool has_bias = bias.f32 != nullptr;
  cublasLtEpilogue_t epi = has_bias ? (relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS)
                                    : (relu ? CUBLASLT_EPILOGUE_RELU : CUBLASLT_EPILOGUE_DEFAULT);
  CUBLAS_TRY(cublasLtMatmulDescSetAttribute(mm->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof(epi)));
  CUBLAS_TRY(cublasLtMatrixLayoutCreate(&mm->a, dt, k, n, int64_t(k)));
  CUBLAS_TRY(cublasLtMatrixLayoutCreate(&mm->b, dt, k, m, ldb));
  CUBLAS_TRY(cublasLtMatrixLayoutCreate(&mm->c, dt, n, m, residual ? int64_t(y.shape[1]) : ld));
  CUBLAS_TRY(cublasLtMatrixLayoutCreate(&mm->d, dt, n, m, ld));
  const size_t elem_bytes = dt == CUDA_R_16F ? 2 : 4;
  if (groups > 1) {
    const int32_t count = int32_t(groups);
    const int64_t strides[] = {int64_t(n * k), int64_t(k), int64_t(n), int64_t(n)};  // a, b, c, d
    cublasLtMatrixLayout_t layouts[] = {mm->a, mm->b, mm->c, mm->d};
    for (int i = 0; i < 4; ++i) {
      CUBLAS_TRY(cublasLtMatrixLayoutSetAttribute(layouts[i], CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
      CUBLAS_TRY(cublasLtMatrixLayoutSetAttribute(layouts[i], CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &strides[i],
                                                  sizeof(strides[i])));
    }
    const int64_t bias_stride = int64_t(n);
    if (bias.f32)
      CUBLAS_TRY(cublasLtMatmulDescSetAttribute(mm->op, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, &bias_stride,
                                                sizeof(bias_stride)));
  }
  const int64_t b_group_bytes = groups > 1 ? int64_t(k * elem_bytes) : 0;
  const int64_t a_group_bytes = groups > 1 ? int64_t(n * k * elem_bytes) : 0;
  const int64_t d_group_bytes = groups > 1 ? int64_t(n * elem_bytes) : 0;

  const void* c_ptr = residual ? residual->data : y.data;
  cublasLtMatmulPreference_t pref = nullptr;
  CUBLAS_TRY(cublasLtMatmulPreferenceCreate(&pref));
  std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>, decltype(&cublasLtMatmulPreferenceDestroy)> pref_owner(
      pref, cublasLtMatmulPreferenceDestroy);
  const uint64_t max_ws = uint64_t{32} << 20;
  const uint32_t al_a = alignment_with(w, a_group_bytes),
                 al_b = in_workspace ? alignment_with(nullptr, b_group_bytes) : alignment_with(in, b_group_bytes),
                 al_c = alignment_with(c_ptr, d_group_bytes), al_d = alignment_with(y.data, d_group_bytes);
  CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &max_ws, sizeof(max_ws)));
  // Split-K partial sums only in the compute type (fp32): a reduction in the output type (fp16)
  // would round every partial sum, and the product must be rounded once.
  const uint32_t reduction = CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
  CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &reduction,
                                                  sizeof(reduction)));
  CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof(al_a)));
  CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof(al_b)));
  CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof(al_c)));
  CUBLAS_TRY(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_d, sizeof(al_d)));
  std::vector<cublasLtMatmulHeuristicResult_t> found(size_t(std::max(1, max_plans)));
  int count = 0;
  auto propose = [&](const void* bias_ptr, cudaDataType_t bias_type) -> Status {
    if (has_bias) {
      CUBLAS_TRY(cublasLtMatmulDescSetAttribute(mm->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_ptr, sizeof(bias_ptr)));
      CUBLAS_TRY(cublasLtMatmulDescSetAttribute(mm->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
    }
    count = 0;
    if (cublasLtMatmulAlgoGetHeuristic(ctx.env().cublaslt, mm->op, mm->a, mm->b, mm->c, mm->d, pref, int(found.size()),
                                       found.data(), &count) != CUBLAS_STATUS_SUCCESS)
      count = 0;
    return Status::ok();
  };
  // The bias in fp32 where cuBLASLt takes it (added before the one rounding), else in the
  // element type.
  if (has_bias) {
    TANDEM_RETURN_IF_ERROR(propose(bias.f32, CUDA_R_32F));
    if (count == 0 && dt != CUDA_R_32F) TANDEM_RETURN_IF_ERROR(propose(bias.elem, dt));
  } else {
    TANDEM_RETURN_IF_ERROR(propose(nullptr, dt));
  }
  if (count == 0) return plans;  // no algorithm for these shapes: cuDNN's plans remain

  const float beta = residual ? 1.0f : 0.0f;
  const size_t in_off = in_workspace ? (in_bytes + 255) / 256 * 256 : 0;
  void* yd = y.data;
  for (int i = 0; i < count; ++i) {
    if (found[size_t(i)].state != CUBLAS_STATUS_SUCCESS) continue;
    const cublasLtMatmulAlgo_t algo = found[size_t(i)].algo;
    const size_t ws = found[size_t(i)].workspaceSize;
    ConvPlan p;
    p.workspace = in_off + ws;
    p.name = name + "#" + std::to_string(i);
    if (prologue) p.steps.push_back(prologue);
    p.steps.push_back([mm, algo, ws, in_off, w, in, in_workspace, c_ptr, yd, beta](const RunEnv& env) {
      const float one = 1.0f;
      const void* b_ptr = in_workspace ? env.workspace : in;
      void* lt_ws = static_cast<char*>(env.workspace) + in_off;
      CUBLAS_TRY(cublasLtMatmul(env.cublaslt, mm->op, &one, w, mm->a, b_ptr, mm->b, &beta, c_ptr, mm->c, yd, mm->d,
                                &algo, lt_ws, ws, env.stream));
      return Status::ok();
    });
    if (!relu && !act.is_none()) {
      p.steps.push_back(activation_step(yd, y.numel(), act, ctx.elem()));
    }
    plans.push_back(std::move(p));
  }
  return plans;
}

}  // namespace

Result<std::vector<ConvPlan>> nhwc_gemm_plans(BuildContext& ctx, const DevTensor& x, const void* w,
                                              const DevBias& bias, const DevTensor* residual,
                                              const ir::Epilogue& act, const DevTensor& y, int max_plans) {
  const uint64_t m = uint64_t(x.shape[0] * x.shape[2] * x.shape[3]);
  return gemm_plans(ctx, x.data, false, 0, Step{}, m, uint64_t(x.shape[1]), w, bias, residual, act, y, max_plans,
                    "gemm-lt");
}

bool conv_can_im2col(const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y) {
  if (!x.nhwc || !y.nhwc || x.elem != Elem::kF16 || a.kernel_shape.size() != 2) return false;
  if (a.group < 1 || x.shape[1] % a.group != 0 || y.shape[1] % a.group != 0) return false;
  if (a.group > 1 && x.shape[1] / a.group < kMinIm2colGroupChannels) return false;
  return y.shape[0] * y.shape[2] * y.shape[3] <= kMaxIm2colRows && im2col_bytes(a, x, y) <= kMaxIm2colBytes;
}

std::vector<float> pad_rows(const std::vector<float>& v, int64_t width, int64_t padded_width) {
  const size_t rows = v.size() / size_t(width);
  std::vector<float> out(rows * size_t(padded_width), 0.0f);
  for (size_t r = 0; r < rows; ++r)
    std::copy_n(v.begin() + int64_t(r) * width, width, out.begin() + int64_t(r) * padded_width);
  return out;
}

namespace {
// Columns of one group's block of the im2col matrix: KH * KW * C / G, rounded up to a multiple of 8.
int64_t im2col_width(const ir::ConvAttrs& a, const DevTensor& x) {
  return (a.kernel_shape[0] * a.kernel_shape[1] * (x.shape[1] / a.group) + 7) / 8 * 8;
}
}  // namespace

size_t im2col_bytes(const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y) {
  return size_t(y.shape[0] * y.shape[2] * y.shape[3] * a.group * im2col_width(a, x)) * 2;
}

Result<std::vector<ConvPlan>> im2col_gemm_plans(BuildContext& ctx, const ir::ConvAttrs& a, const DevTensor& x,
                                                const std::vector<float>& w_ohwi, const void* w_dev,
                                                const DevBias& bias, const DevTensor* residual,
                                                const ir::Epilogue& act, const DevTensor& y, int max_plans) {
  const int64_t cin = x.shape[1];
  const int64_t k = a.kernel_shape[0] * a.kernel_shape[1] * (cin / a.group);  // per output channel
  const int64_t kpad = im2col_width(a, x);
  const void* w = w_dev;
  if (kpad != k) {  // rows padded with zeros to match the padded columns of col
    TANDEM_ASSIGN_OR_RETURN(w, ctx.upload_elem(pad_rows(w_ohwi, k, kpad)));
  }
  Im2colArgs args;
  args.x = x.data;
  args.n = int(x.shape[0]); args.c = int(cin); args.h = int(x.shape[2]); args.w = int(x.shape[3]);
  args.oh = int(y.shape[2]); args.ow = int(y.shape[3]);
  args.kh = int(a.kernel_shape[0]); args.kw = int(a.kernel_shape[1]);
  args.stride_h = int(a.strides[0]); args.stride_w = int(a.strides[1]);
  args.pad_t = int(a.pads[0]); args.pad_l = int(a.pads[1]);
  args.dil_h = int(a.dilations[0]); args.dil_w = int(a.dilations[1]);
  args.kpad = int(kpad);
  args.groups = int(a.group);
  Step im2col = [args](const RunEnv& env) {
    Im2colArgs r = args;
    r.col = env.workspace;
    return launch_status(launch_im2col_nhwc_f16(r, env.stream), "im2col_nhwc");
  };
  const uint64_t m = uint64_t(y.shape[0] * y.shape[2] * y.shape[3]);
  return gemm_plans(ctx, nullptr, true, im2col_bytes(a, x, y), im2col, m, uint64_t(kpad), w, bias, residual, act, y,
                    max_plans, a.group > 1 ? "im2col-lt-g" : "im2col-lt", a.group);
}

}  // namespace tandem::cuda

// Gemm and MatMul through cuBLAS (fp32: exact fp32 compute, no TF32; fp16: tensor cores with
// fp32 accumulation), then one channel_affine pass for bias (beta * C) and the activation.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/channel_affine.cuh"

namespace tandem::cuda {
namespace {

struct GemmShape {
  cublasOperation_t op_first = CUBLAS_OP_N, op_second = CUBLAS_OP_N;
  int m = 0, n = 0, k = 0, ld_first = 0, ld_second = 0, ld_out = 0;
  int64_t batch = 1, stride_a = 0, stride_b = 0, stride_y = 0;
  float alpha = 1.0f;
};

// Row-major Y[M,N] = op(A) op(B) computed as column-major Y^T = op(B)^T op(A)^T.
Step gemm_step(GemmShape g, const void* a, const void* b, void* y, Elem elem) {
  return [g, a, b, y, elem](const RunEnv& env) {
    const cudaDataType_t dt = elem == Elem::kF16 ? CUDA_R_16F : CUDA_R_32F;
    const float zero = 0.0f;
    CUBLAS_TRY(cublasGemmStridedBatchedEx(env.cublas, g.op_first, g.op_second, g.n, g.m, g.k, &g.alpha, b, dt, g.ld_first,
                                          g.stride_b, a, dt, g.ld_second, g.stride_a, &zero, y, dt, g.ld_out, g.stride_y,
                                          static_cast<int>(g.batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return Status::ok();
  };
}

Status add_epilogue(BuildContext& ctx, const DevTensor& y, std::vector<float> bias, const ir::Epilogue& act) {
  if (bias.empty() && act.is_none()) return Status::ok();
  ChannelAffineArgs e;
  e.x = y.data; e.y = y.data; e.total = y.numel(); e.channels = y.shape.back(); e.inner = 1;
  if (!bias.empty()) {
    TANDEM_ASSIGN_OR_RETURN(e.bias, ctx.upload_f32(bias));
  }
  e.act = to_dev_epilogue(act);
  const Elem el = ctx.elem();
  ctx.add_step([e, el](const RunEnv& env) { return launch_status(launch_channel_affine(e, el, env.stream), "channel_affine"); });
  return Status::ok();
}

Status supports_gemm(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const Tensor* c = graph.constant(node.inputs[2]);
    const auto* y = graph.info(node.outputs[0]);
    if (!c) return unsupported("Gemm C must be a constant");
    // Any C that broadcasts to [M, N] (unidirectional, numpy rules).
    const Shape& cs = c->shape();
    if (cs.size() > 2) return unsupported("Gemm C of rank " + std::to_string(cs.size()));
    for (size_t i = 0; i < cs.size(); ++i) {
      const int64_t want = y->shape[2 - cs.size() + i];
      if (cs[i] != 1 && cs[i] != want)
        return unsupported("Gemm C of shape " + shape_to_string(cs) + " does not broadcast to " + shape_to_string(y->shape));
    }
  }
  return Status::ok();
}

Status build_gemm(BuildContext& ctx, const OpInstance& op) {
  const auto& at = std::get<ir::GemmAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* a, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* b, ctx.tensor(op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const int64_t m = y->shape[0], n = y->shape[1];
  const int64_t k = at.trans_a ? a->shape[0] : a->shape[1];
  GemmShape g;
  g.m = int(m); g.n = int(n); g.k = int(k); g.ld_out = int(n); g.alpha = at.alpha;
  g.op_first = at.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  g.ld_first = int(at.trans_b ? k : n);
  g.op_second = at.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  g.ld_second = int(at.trans_a ? m : k);
  ctx.add_step(gemm_step(g, a->data, b->data, y->data, ctx.elem()));
  ir::Epilogue act = at.epilogue.is_none() ? op.act : at.epilogue;
  if (op.node->inputs.size() < 3 || op.node->inputs[2].empty() || at.beta == 0.0f)
    return add_epilogue(ctx, *y, {}, act);
  // beta * C broadcast to [M, N]: a per-column bias, a per-row bias, or a full residual.
  const Tensor* c = ctx.constant(op.node->inputs[2]);
  const Shape& cs = c->shape();
  const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
  if (cm == 1) {
    std::vector<float> bias(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) bias[size_t(j)] = at.beta * float(c->float_at(cn == 1 ? 0 : j));
    return add_epilogue(ctx, *y, std::move(bias), act);
  }
  ChannelAffineArgs e;
  e.x = y->data; e.y = y->data; e.total = y->numel(); e.act = to_dev_epilogue(act);
  std::vector<float> vals(static_cast<size_t>(cn == 1 ? m : m * n));
  for (size_t i = 0; i < vals.size(); ++i) vals[i] = at.beta * float(c->float_at(int64_t(i)));
  if (cn == 1) {  // [M, 1]: bias of row i / N
    TANDEM_ASSIGN_OR_RETURN(e.bias, ctx.upload_f32(vals));
    e.channels = m; e.inner = n;
  } else {  // [M, N]: added element-wise
    TANDEM_ASSIGN_OR_RETURN(e.residual, ctx.upload_elem(vals));
  }
  const Elem el = ctx.elem();
  ctx.add_step([e, el](const RunEnv& env) { return launch_status(launch_channel_affine(e, el, env.stream), "gemm_c"); });
  return Status::ok();
}

Status supports_matmul(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = graph.info(node.inputs[0]);
  const auto* b = graph.info(node.inputs[1]);
  const Tensor* bc = graph.constant(node.inputs[1]);
  const Shape as = a ? a->shape : Shape{}, bs = b ? b->shape : (bc ? bc->shape() : Shape{});
  if (as.size() < 2 || bs.size() < 2) return unsupported("MatMul of 1-D operands");
  if (as.size() == 4 || bs.size() == 4) return unsupported("4-D MatMul (4-D tensors may be stored NHWC)");
  if (bs.size() == 2) return Status::ok();
  // Batch dims: equal on both sides, or all 1 on one side (that side is reused: stride 0).
  auto batch_of = [](const Shape& s) { return shape_numel(Shape(s.begin(), s.end() - 2)); };
  const bool same = as.size() == bs.size() && std::equal(as.begin(), as.end() - 2, bs.begin());
  if (!same && batch_of(as) != 1 && batch_of(bs) != 1)
    return unsupported("MatMul with broadcast batch dims " + shape_to_string(as) + " x " + shape_to_string(bs) +
                       " (only equal batch dims, or one side without batch)");
  return Status::ok();
}

Status build_matmul(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* a, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* b, ctx.tensor(op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const int64_t k = a->shape.back(), n = b->shape.back();
  GemmShape g;
  g.n = int(n); g.k = int(k); g.ld_first = int(n); g.ld_second = int(k); g.ld_out = int(n);
  if (b->shape.size() == 2) {  // fold A's batch dims into M
    g.m = int(a->numel() / k);
  } else {
    g.m = int(a->shape[a->shape.size() - 2]);
    g.batch = y->numel() / (int64_t(g.m) * n);
    g.stride_a = a->numel() == int64_t(g.m) * k ? 0 : int64_t(g.m) * k;
    g.stride_b = b->numel() == k * n ? 0 : k * n;
    g.stride_y = int64_t(g.m) * n;
  }
  ctx.add_step(gemm_step(g, a->data, b->data, y->data, ctx.elem()));
  return add_epilogue(ctx, *y, {}, op.act);
}

}  // namespace

extern const CudaOp kCudaGemm{"Gemm", supports_gemm, build_gemm, true, false};
extern const CudaOp kCudaMatMul{"MatMul", supports_matmul, build_matmul, true, false};

}  // namespace tandem::cuda

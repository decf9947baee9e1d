// Gemm through cuBLAS (cublas_gemm.h), then one channel_affine pass for beta * C and the
// activation. MatMul is in matmul.cpp.
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/channel_affine.cuh"
#include "backends/cuda/ops/cublas_gemm.h"

namespace tandem::cuda {
namespace {

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
  ctx.add_step(gemm_step(g, a->data, b->data, y->data, ctx.precision()));
  ir::Epilogue act = at.epilogue.is_none() ? op.act : at.epilogue;
  if (op.node->inputs.size() < 3 || op.node->inputs[2].empty() || at.beta == 0.0f)
    return add_gemm_epilogue(ctx, *y, {}, act);
  // beta * C broadcast to [M, N]: a per-column bias, a per-row bias, or a full residual.
  const Tensor* c = ctx.constant(op.node->inputs[2]);
  const Shape& cs = c->shape();
  const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
  if (cm == 1) {
    std::vector<float> bias(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) bias[size_t(j)] = at.beta * float(c->float_at(cn == 1 ? 0 : j));
    return add_gemm_epilogue(ctx, *y, std::move(bias), act);
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
  ctx.add_step(channel_affine_step(e, el, "gemm_c"));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaGemm{"Gemm", supports_gemm, build_gemm, true, false};

}  // namespace tandem::cuda

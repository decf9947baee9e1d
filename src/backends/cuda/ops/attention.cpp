// FusedAttention (ir/ops/attention.h) as two strided-batched cuBLAS products around a softmax
// kernel, batched over the BH = batch x heads (Q, K, V, Y) matrices:
//   S = scale * Q K^T   (fp32 scores in the workspace, also for fp16 data: cuBLAS writes fp32)
//   P = softmax(S + bias) over M   (kernels/attention_softmax.cu; fp32 math, P in the unit's type,
//                                   in place over S for fp32 / tf32)
//   Y = P V             (or Y^T = V^T P^T when the output is stored transposed)
// Row-major X [r, c] is column-major X^T [c, r] with leading dim c; GemmShape computes row-major
// Y[m, n] = A B as cuBLAS's Y^T = B^T A^T (first operand B, second A). Per BH matrix:
//   S [N, M] = Q [N, D] . K^T [D, M]: m = N, n = M, k = D; A = Q (op N, ld D);
//     B = K^T: K stored [M, D] (ld D) is column-major K^T, so op T gives B^T = K [M, D];
//     K stored transposed [D, M] (ld M) is column-major K, op N.
//   Y [N, Dv] = P [N, M] . V [M, Dv]: m = N, n = Dv, k = M; A = P (op N, ld M);
//     B = V stored [M, Dv] (op N, ld Dv), or V^T stored [Dv, M] (op T, ld M).
//   Y^T [Dv, N] = V^T [Dv, M] . P^T [M, N]: m = Dv, n = N, k = M; B = P^T: P stored [N, M]
//     (ld M) is column-major P^T, op T; A = V^T: V stored [M, Dv] (ld Dv) is column-major V^T,
//     op T; V^T stored [Dv, M] (ld M) is column-major V, op N.
// Operands stored NHWC (fp16 4-D tensors) are first copied into row-major matrices in the
// workspace, and an NHWC output is computed there and re-laid out.
#include <climits>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/attention_softmax.cuh"
#include "backends/cuda/ops/cublas_gemm.h"
#include "ir/ops/attention.h"

namespace tandem::cuda {
namespace {

Result<Shape> shape_in(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* c = graph.constant(name)) {
    if (c->dtype() != DType::kFloat32 && c->dtype() != DType::kFloat16)
      return unsupported("constant '" + name + "' is " + dtype_name(c->dtype()) + "; cuda takes float constants");
    return c->shape();
  }
  const ir::ValueInfo* vi = graph.info(name);
  if (!vi || !vi->fully_known()) return unsupported("tensor '" + name + "' has an unknown shape");
  return vi->shape;
}

Status supports_attention(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = std::get_if<ir::AttentionAttrs>(&node.attrs);
  if (!a) return internal_error("FusedAttention without AttentionAttrs");
  if (node.inputs.size() != (a->has_bias ? 4u : 3u)) return invalid_argument("FusedAttention input count");
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  std::vector<Shape> s;
  for (const auto& in : node.inputs) {
    TANDEM_ASSIGN_OR_RETURN(Shape sh, shape_in(graph, in));
    s.push_back(std::move(sh));
  }
  TANDEM_ASSIGN_OR_RETURN(ir::AttentionDims d, ir::attention_dims(*a, s[0], s[1], s[2], a->has_bias ? &s[3] : nullptr));
  const int64_t bh = d.batch * d.heads;
  if (bh * d.n * d.m == 0 || d.d == 0 || d.dv == 0) return unsupported("empty FusedAttention");
  if (bh > INT_MAX || d.n > INT_MAX || d.m > INT_MAX || d.d > INT_MAX || d.dv > INT_MAX)
    return unsupported("FusedAttention too large for cuBLAS int sizes");
  return only_first_output(graph, node);
}

// True when `t`'s storage is the row-major order of its logical shape, i.e. BH row-major
// matrices back to back (only fp16 4-D tensors are stored otherwise: NHWC).
bool stored_row_major(const DevTensor& t) { return !t.nhwc || t.shape[1] == 1 || t.shape[2] * t.shape[3] == 1; }

// A matrix operand found at run time: a fixed buffer, or an offset into RunEnv::workspace.
struct Buffer {
  const void* fixed = nullptr;
  size_t offset = 0;
  void* at(const RunEnv& env) const {
    return fixed ? const_cast<void*>(fixed) : static_cast<void*>(static_cast<char*>(env.workspace) + offset);
  }
};

// Carves 256-byte aligned pieces out of the op's share of the workspace.
struct WorkspaceLayout {
  size_t used = 0;
  size_t take(size_t bytes) {
    const size_t o = used;
    used += (bytes + 255) / 256 * 256;
    return o;
  }
};

// `t` as BH row-major matrices: itself, or a row-major copy in the workspace made each run.
Buffer row_major_input(BuildContext& ctx, const DevTensor& t, WorkspaceLayout& ws) {
  if (stored_row_major(t)) return Buffer{t.data, 0};
  const Buffer b{nullptr, ws.take(t.nbytes())};
  const DevTensor src = t;
  ctx.add_step([src, b](const RunEnv& env) {
    return copy_step(src.data, src.elem, logical_strides(src), b.at(env), src.elem, row_major_strides(src.shape),
                     src.shape)(env);
  });
  return b;
}

// The bias strides over [batch, heads, n, m] (ir::AttentionDims' right-alignment: a 3-D bias of
// a 3-D Q is [batch, n, m]; otherwise the bias's dims are the last ones), 0 where broadcast.
AttentionBiasArgs bias_args(const DevTensor& bias, size_t q_rank, const ir::AttentionDims& d) {
  AttentionBiasArgs ba;
  ba.data = bias.data;
  ba.batch = d.bias_batch;
  const Strides st = logical_strides(bias);
  const size_t r = bias.shape.size();
  int64_t* dst[4] = {&ba.s_batch, &ba.s_head, &ba.s_row, &ba.s_col};
  for (size_t i = 0; i < r; ++i) {
    const size_t pos = (q_rank == 3 && r == 3) ? (i == 0 ? 0 : i + 1) : 4 - r + i;
    *dst[pos] = bias.shape[i] == 1 ? 0 : st.s[i];
  }
  return ba;
}

Status build_attention(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::AttentionAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* q, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* k, ctx.tensor(op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* v, ctx.tensor(op.node->inputs[2]));
  const DevTensor* bias = nullptr;
  if (a.has_bias) {
    TANDEM_ASSIGN_OR_RETURN(bias, ctx.tensor(op.node->inputs[3]));
  }
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  TANDEM_ASSIGN_OR_RETURN(ir::AttentionDims d, ir::attention_dims(a, q->shape, k->shape, v->shape, bias ? &bias->shape : nullptr));
  const int64_t bh = d.batch * d.heads, n = d.n, m = d.m;
  const Elem el = ctx.elem();
  const size_t esize = el == Elem::kF16 ? 2 : 4;
  const Precision prec = ctx.precision();

  WorkspaceLayout ws;
  const size_t s_off = ws.take(size_t(bh * n * m) * sizeof(float));
  const size_t p_off = el == Elem::kF16 ? ws.take(size_t(bh * n * m) * esize) : s_off;
  const Buffer qb = row_major_input(ctx, *q, ws), kb = row_major_input(ctx, *k, ws), vb = row_major_input(ctx, *v, ws);
  const bool out_direct = stored_row_major(*y);
  const Buffer yb = out_direct ? Buffer{y->data, 0} : Buffer{nullptr, ws.take(y->nbytes())};
  const AttentionBiasArgs ba = bias ? bias_args(*bias, q->shape.size(), d) : AttentionBiasArgs{};

  GemmShape qk;  // S = scale * Q K^T
  qk.m = int(n); qk.n = int(m); qk.k = int(d.d);
  qk.op_second = CUBLAS_OP_N; qk.ld_second = int(d.d);
  qk.op_first = a.k_transposed ? CUBLAS_OP_N : CUBLAS_OP_T;
  qk.ld_first = int(a.k_transposed ? m : d.d);
  qk.ld_out = int(m);
  qk.batch = bh; qk.stride_a = n * d.d; qk.stride_b = m * d.d; qk.stride_y = n * m;
  qk.alpha = a.scale; qk.y_f32 = true;

  GemmShape pv;  // Y = P V, or Y^T = V^T P^T
  pv.k = int(m); pv.batch = bh;
  if (!a.out_transposed) {
    pv.m = int(n); pv.n = int(d.dv);
    pv.op_second = CUBLAS_OP_N; pv.ld_second = int(m);  // A = P
    pv.op_first = a.v_transposed ? CUBLAS_OP_T : CUBLAS_OP_N;  // B = V
    pv.ld_first = int(a.v_transposed ? m : d.dv);
    pv.ld_out = int(d.dv);
    pv.stride_a = n * m; pv.stride_b = m * d.dv;
  } else {
    pv.m = int(d.dv); pv.n = int(n);
    pv.op_second = a.v_transposed ? CUBLAS_OP_N : CUBLAS_OP_T;  // A = V^T
    pv.ld_second = int(a.v_transposed ? m : d.dv);
    pv.op_first = CUBLAS_OP_T; pv.ld_first = int(m);  // B = P^T
    pv.ld_out = int(n);
    pv.stride_a = m * d.dv; pv.stride_b = n * m;
  }
  pv.stride_y = n * d.dv;

  const int64_t heads = d.heads;
  const bool out_t = a.out_transposed;
  ctx.add_step([=](const RunEnv& env) -> Status {
    float* s = static_cast<float*>(Buffer{nullptr, s_off}.at(env));
    void* p = Buffer{nullptr, p_off}.at(env);
    TANDEM_RETURN_IF_ERROR(run_gemm(env, qk, qb.at(env), kb.at(env), s, prec));
    TANDEM_RETURN_IF_ERROR(launch_status(launch_attention_softmax(s, p, ba, bh * n, n, heads, m, el, env.stream),
                                         "attention_softmax"));
    // run_gemm's `a` is GemmShape's A (the second cuBLAS operand): P for Y = P V, V^T for Y^T.
    return out_t ? run_gemm(env, pv, vb.at(env), p, yb.at(env), prec) : run_gemm(env, pv, p, vb.at(env), yb.at(env), prec);
  });
  if (!out_direct) {
    const DevTensor dst = *y;
    ctx.add_step([dst, yb](const RunEnv& env) {
      return copy_step(yb.at(env), dst.elem, row_major_strides(dst.shape), dst.data, dst.elem, logical_strides(dst),
                       dst.shape)(env);
    });
  }
  ctx.need_workspace(ws.used);
  if (!op.act.is_none()) return internal_error("FusedAttention was fused with an activation");
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaFusedAttention{"FusedAttention", supports_attention, build_attention};

}  // namespace tandem::cuda

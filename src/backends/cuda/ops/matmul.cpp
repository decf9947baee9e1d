// MatMul through cuBLAS (cublas_gemm.h) with numpy semantics: both operands at least 2-D, batch
// dims broadcast. cuBLAS needs each operand as row-major matrices one batch stride apart (0 when
// shared). An operand that is not (fp16 4-D tensors are stored NHWC, or its batch dims broadcast
// only partly, e.g. [2,1,..] against [1,3,..]) is first copied each run into a row-major scratch
// buffer of the output's batch shape; an output stored NHWC is computed into row-major scratch and
// re-laid out. The fused activation then runs in place on the output.
#include <algorithm>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/ops/cublas_gemm.h"

namespace tandem::cuda {
namespace {

// The shape of a constant or of an inferred value.
Result<Shape> value_shape(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* c = graph.constant(name)) return c->shape();
  const ir::ValueInfo* vi = graph.info(name);
  if (!vi || !vi->fully_known()) return unsupported("tensor '" + name + "' has an unknown shape");
  return vi->shape;
}

// The batch dims of `s` (all but the last two), left-padded with 1 to `rank` dims.
Shape batch_dims(const Shape& s, size_t rank) {
  Shape b(rank, 1);
  const size_t own = s.size() - 2;
  std::copy(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(own), b.begin() + static_cast<std::ptrdiff_t>(rank - own));
  return b;
}

// True when the storage order of `t` is the row-major order of its logical shape (an NHWC 4-D
// tensor is, when C == 1 or H * W == 1).
bool stored_row_major(const DevTensor& t) { return !t.nhwc || t.shape[1] == 1 || t.shape[2] * t.shape[3] == 1; }

Status supports_matmul(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  if (node.inputs.size() != 2) return invalid_argument("MatMul takes 2 inputs, got " + std::to_string(node.inputs.size()));
  TANDEM_ASSIGN_OR_RETURN(Shape as, value_shape(graph, node.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(Shape bs, value_shape(graph, node.inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(Shape ys, value_shape(graph, node.outputs[0]));
  const std::string shapes = shape_to_string(as) + " x " + shape_to_string(bs) + " -> " + shape_to_string(ys);
  if (as.size() < 2 || bs.size() < 2) return unsupported("MatMul of a 1-D operand (" + shapes + ")");
  const size_t nb = std::max(as.size(), bs.size()) - 2;
  if (ys.size() != nb + 2 || as[as.size() - 1] != bs[bs.size() - 2] || ys[nb] != as[as.size() - 2] || ys[nb + 1] != bs.back())
    return invalid_argument("MatMul shapes disagree: " + shapes);
  const Shape ab = batch_dims(as, nb), bb = batch_dims(bs, nb);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t want = std::max(ab[i], bb[i]);
    if ((ab[i] != want && ab[i] != 1) || (bb[i] != want && bb[i] != 1) || ys[i] != want)
      return invalid_argument("MatMul batch dims do not broadcast: " + shapes);
  }
  if (shape_numel(as) == 0 || shape_numel(bs) == 0 || shape_numel(ys) == 0)
    return unsupported("empty MatMul (" + shapes + ")");
  constexpr int64_t kIntMax = 0x7fffffff;
  if (shape_numel(ys) > kIntMax || as[as.size() - 1] > kIntMax) return unsupported("MatMul too large for cuBLAS int sizes (" + shapes + ")");
  return Status::ok();
}

// One operand as cuBLAS sees it: row-major matrices `stride` elements apart (0: shared).
struct Operand {
  const void* data = nullptr;
  int64_t stride = 0;
};

// `t` as row-major [rows, cols] matrices for each batch of `out_batch`, copied into scratch
// (with the broadcast spelled out) when its storage or batch dims do not allow one stride.
Result<Operand> gemm_operand(BuildContext& ctx, const DevTensor& t, const Shape& out_batch) {
  const size_t nb = out_batch.size(), r = t.shape.size();
  const int64_t rows = t.shape[r - 2], cols = t.shape[r - 1];
  const Shape tb = batch_dims(t.shape, nb);
  if (stored_row_major(t)) {
    if (shape_numel(tb) == 1) return Operand{t.data, 0};
    if (tb == out_batch) return Operand{t.data, rows * cols};
  }
  Shape full = out_batch;
  full.push_back(rows);
  full.push_back(cols);
  const Strides own = logical_strides(t);
  const size_t lead = nb - (r - 2);  // output batch dims t lacks
  Strides src;
  for (size_t i = 0; i < nb; ++i) src.s[i] = (i < lead || tb[i] == 1) ? 0 : own.s[i - lead];
  src.s[nb] = own.s[r - 2];
  src.s[nb + 1] = own.s[r - 1];
  const size_t esize = t.elem == Elem::kF16 ? 2 : 4;
  TANDEM_ASSIGN_OR_RETURN(void* scratch, ctx.allocate(size_t(shape_numel(full)) * esize));
  ctx.add_step(copy_step(t.data, t.elem, src, scratch, t.elem, row_major_strides(full), full));
  return Operand{scratch, rows * cols};
}

Status build_matmul(BuildContext& ctx, const OpInstance& op) {
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* a, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* b, ctx.tensor(op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const size_t nb = y->shape.size() - 2;
  const Shape out_batch(y->shape.begin(), y->shape.begin() + static_cast<std::ptrdiff_t>(nb));
  const int64_t m = y->shape[nb], n = y->shape[nb + 1], k = a->shape.back();
  TANDEM_ASSIGN_OR_RETURN(Operand oa, gemm_operand(ctx, *a, out_batch));
  TANDEM_ASSIGN_OR_RETURN(Operand ob, gemm_operand(ctx, *b, out_batch));
  void* out = y->data;
  const bool out_direct = stored_row_major(*y);
  if (!out_direct) {
    TANDEM_ASSIGN_OR_RETURN(out, ctx.allocate(y->nbytes()));
  }
  GemmShape g;
  g.m = int(m); g.n = int(n); g.k = int(k); g.ld_first = int(n); g.ld_second = int(k); g.ld_out = int(n);
  g.batch = shape_numel(out_batch);
  g.stride_a = oa.stride; g.stride_b = ob.stride; g.stride_y = m * n;
  if (g.batch > 1 && ob.stride == 0 && oa.stride == m * k) {  // shared B: A's batches are extra rows
    g.m = int(m * g.batch);
    g.batch = 1;
  }
  ctx.add_step(gemm_step(g, oa.data, ob.data, out, ctx.precision()));
  if (!out_direct)
    ctx.add_step(copy_step(out, y->elem, row_major_strides(y->shape), y->data, y->elem, logical_strides(*y), y->shape));
  return add_gemm_epilogue(ctx, *y, {}, op.act);
}

}  // namespace

extern const CudaOp kCudaMatMul{"MatMul", supports_matmul, build_matmul, true, false};

}  // namespace tandem::cuda

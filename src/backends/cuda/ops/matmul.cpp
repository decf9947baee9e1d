// MatMul through cuBLAS (cublas_gemm.h) with NumPy semantics: a 1-D A is a [1, K] row and a 1-D
// B a [K, 1] column (the added dim is not in Y's shape); the batch dims (all but the last two)
// broadcast. Y = epilogue(A B + bias), the bias (a fused constant, MatMulAttrs::has_bias) over
// Y's last dim, the epilogue MatMulAttrs::epilogue or an activation the schedule fused.
//
// The math, per output batch index b: Y[b] (M x N) = A[b] (M x K) . B[b] (K x N), every matrix
// row-major with leading dim = its column count. cuBLAS is column-major: a row-major X [r, c]
// is the column-major X^T [c, r] with the same leading dim c, so cuBLAS computes
//   Y[b]^T (N x M, ld N) = B[b]^T (N x K, ld N) . A[b]^T (K x M, ld K),
// i.e. gemm(N, N, m' = N, n' = M, k' = K, B, ldb = N, A, lda = K, Y, ldy = N) (GemmShape).
// Batches: cublasGemmStridedBatchedEx takes one element stride per operand. Output batch dims
// of size > 1 are walked as a run of adjacent dims over which A, B and Y each advance by one
// stride (0 for a broadcast operand: [B, H, N, K] x [K, N] or x [1, 1, K, N]); the dims outside
// the chosen run (e.g. the leading dim of [B, H, N, K] x [1, H, K, N]) are a host loop of such
// calls, at most kMaxLoop of them; past that, the operand that breaks the run is copied into a
// row-major buffer with the broadcast spelled out. When B is one matrix for the whole run and
// A's matrices are adjacent, the run is folded into M (one plain GEMM, M x batch rows).
// Operands that are not row-major matrices (fp16 4-D tensors are stored NHWC) are copied into
// row-major scratch each run; an output stored NHWC is computed into row-major scratch, the
// bias and activation applied there, and re-laid out.
#include <algorithm>
#include <array>
#include <climits>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/ops/cublas_gemm.h"

namespace tandem::cuda {
namespace {

constexpr int64_t kMaxLoop = 16;  // host-looped GEMM calls before the broadcast is materialised

// The shape of a constant or of an inferred value.
Result<Shape> value_shape(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* c = graph.constant(name)) return c->shape();
  const ir::ValueInfo* vi = graph.info(name);
  if (!vi || !vi->fully_known()) return unsupported("tensor '" + name + "' has an unknown shape");
  return vi->shape;
}

// A and B promoted to matrices (1-D ones), left-padded with 1s to Y's batch rank, and the output
// batch shape.
struct Promoted {
  Shape a, b, batch;
  int64_t m = 0, n = 0, k = 0;
};

Result<Promoted> promote(const Shape& as, const Shape& bs) {
  if (as.empty() || bs.empty()) return invalid_argument("MatMul of a scalar");
  Promoted p;
  p.a = as;
  p.b = bs;
  if (p.a.size() == 1) p.a.insert(p.a.begin(), 1);
  if (p.b.size() == 1) p.b.push_back(1);
  const size_t nb = std::max(p.a.size(), p.b.size()) - 2;
  p.a.insert(p.a.begin(), nb + 2 - p.a.size(), 1);
  p.b.insert(p.b.begin(), nb + 2 - p.b.size(), 1);
  p.m = p.a[nb];
  p.k = p.a[nb + 1];
  p.n = p.b[nb + 1];
  if (p.b[nb] != p.k) return invalid_argument("MatMul K disagrees");
  for (size_t i = 0; i < nb; ++i) {
    if (p.a[i] != p.b[i] && p.a[i] != 1 && p.b[i] != 1) return invalid_argument("MatMul batch dims do not broadcast");
    p.batch.push_back(std::max(p.a[i], p.b[i]));
  }
  return p;
}

// Y's shape as the IR writes it: the batch, then M unless A is 1-D, then N unless B is 1-D.
Shape ir_output_shape(const Promoted& p, size_t a_rank, size_t b_rank) {
  Shape y = p.batch;
  if (a_rank > 1) y.push_back(p.m);
  if (b_rank > 1) y.push_back(p.n);
  return y;
}

Status supports_matmul(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* attrs = std::get_if<ir::MatMulAttrs>(&node.attrs);
  if (!attrs) return internal_error("MatMul without MatMulAttrs");
  if (node.inputs.size() != (attrs->has_bias ? 3u : 2u))
    return invalid_argument("MatMul takes " + std::string(attrs->has_bias ? "3" : "2") + " inputs, got " +
                            std::to_string(node.inputs.size()));
  TANDEM_ASSIGN_OR_RETURN(Shape as, value_shape(graph, node.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(Shape bs, value_shape(graph, node.inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(Shape ys, value_shape(graph, node.outputs[0]));
  const std::string shapes = shape_to_string(as) + " x " + shape_to_string(bs) + " -> " + shape_to_string(ys);
  auto p = promote(as, bs);
  if (!p.is_ok()) return invalid_argument(p.status().message() + " (" + shapes + ")");
  if (ir_output_shape(*p, as.size(), bs.size()) != ys) return invalid_argument("MatMul shapes disagree: " + shapes);
  if (p->a.size() > size_t(kMaxRank)) return unsupported("MatMul of rank > 6 (" + shapes + ")");
  if (shape_numel(as) == 0 || shape_numel(bs) == 0 || shape_numel(ys) == 0)
    return unsupported("empty MatMul (" + shapes + ")");
  constexpr int64_t kIntMax = INT_MAX;
  if (shape_numel(ys) > kIntMax || p->k > kIntMax || shape_numel(p->batch) > kIntMax)
    return unsupported("MatMul too large for cuBLAS int sizes (" + shapes + ")");
  if (attrs->has_bias) {
    const Tensor* bias = graph.constant(node.inputs[2]);
    if (!bias) return unsupported("MatMul with a fused bias that is not a constant");
    if (bias->shape().size() != 1 || ys.empty() || bias->shape()[0] != ys.back())
      return invalid_argument("the fused bias " + shape_to_string(bias->shape()) + " is not 1-D over the last dim of " +
                              shape_to_string(ys));
  }
  return Status::ok();
}

// One operand or the output: a buffer, its promoted logical shape and element strides.
struct View {
  const void* data = nullptr;
  Shape shape;
  Strides strides;
  Elem elem = Elem::kF32;
};

// `t` seen with the promoted shape `s` (the same elements: only size-1 dims are added). A 1-D
// `t` is the row [1, K] of A, or with `column` the column [K, 1] of B.
View view_of(const DevTensor& t, const Shape& s, bool column) {
  View v{t.data, s, {}, t.elem};
  const Strides own = logical_strides(t);
  const size_t r = t.shape.size(), rs = s.size();
  if (r == 1 && column) {
    v.strides.s[rs - 2] = own.s[0];
  } else {
    for (size_t i = 0; i < r; ++i) v.strides.s[rs - r + i] = own.s[i];  // right-aligned; added dims 0
  }
  for (size_t i = 0; i < rs; ++i)
    if (s[i] == 1) v.strides.s[i] = 0;  // a size-1 dim's only index is 0
  return v;
}

// Whether the last two dims of `v` are a row-major matrix with leading dim = its column count.
bool row_major_matrix(const View& v) {
  const size_t r = v.shape.size();
  const int64_t rows = v.shape[r - 2], cols = v.shape[r - 1];
  return (cols == 1 || v.strides.s[r - 1] == 1) && (rows == 1 || v.strides.s[r - 2] == cols);
}

// `v` copied each run into row-major scratch of the output batch shape x its matrix (the
// broadcast spelled out when `expand`, else its own batch shape).
Result<View> materialise(BuildContext& ctx, const View& v, const Shape& out_batch, bool expand) {
  const size_t nb = out_batch.size();
  Shape full = v.shape;
  if (expand)
    for (size_t i = 0; i < nb; ++i) full[i] = out_batch[i];
  const size_t esize = v.elem == Elem::kF16 ? 2 : 4;
  TANDEM_ASSIGN_OR_RETURN(void* scratch, ctx.allocate(size_t(shape_numel(full)) * esize));
  Strides src = v.strides;  // broadcast dims already have stride 0
  ctx.add_step(copy_step(v.data, v.elem, src, scratch, v.elem, row_major_strides(full), full));
  View out{scratch, full, row_major_strides(full), v.elem};
  for (size_t i = 0; i < full.size(); ++i)
    if (full[i] == 1) out.strides.s[i] = 0;
  return out;
}

// One output batch dim of size > 1 and each operand's stride over it (0: broadcast).
struct BatchDim {
  int64_t size, sa, sb, sy;
};

std::vector<BatchDim> batch_dims(const View& a, const View& b, const Shape& out_batch, int64_t mn) {
  std::vector<BatchDim> d;
  int64_t sy = mn;
  std::vector<int64_t> ys(out_batch.size());
  for (size_t i = out_batch.size(); i-- > 0;) {
    ys[i] = sy;
    sy *= out_batch[i];
  }
  for (size_t i = 0; i < out_batch.size(); ++i)
    if (out_batch[i] > 1) d.push_back({out_batch[i], a.strides.s[i], b.strides.s[i], ys[i]});
  return d;
}

// Whether dims [lo, hi) advance each operand by one stride: stride[i] = stride[i+1] * size[i+1].
bool collapses(const std::vector<BatchDim>& d, size_t lo, size_t hi) {
  for (size_t i = lo; i + 1 < hi; ++i) {
    const BatchDim &p = d[i], &q = d[i + 1];
    if (p.sa != q.sa * q.size || p.sb != q.sb * q.size || p.sy != q.sy * q.size) return false;
  }
  return true;
}

// The run of adjacent batch dims with the most matrices that collapses: [lo, hi).
std::pair<size_t, size_t> best_run(const std::vector<BatchDim>& d) {
  std::pair<size_t, size_t> best{0, 0};
  int64_t best_count = 0;
  for (size_t lo = 0; lo < d.size(); ++lo) {
    int64_t count = 1;
    for (size_t hi = lo + 1; hi <= d.size() && collapses(d, lo, hi); ++hi) {
      count *= d[hi - 1].size;
      if (count > best_count) best = {lo, hi}, best_count = count;
    }
  }
  return best;
}

// Whether every batch dim of `which` operand (0: A, 1: B) collapses into one stride on its own.
bool operand_collapses(const std::vector<BatchDim>& d, int which) {
  for (size_t i = 0; i + 1 < d.size(); ++i) {
    const int64_t p = which == 0 ? d[i].sa : d[i].sb, q = which == 0 ? d[i + 1].sa : d[i + 1].sb;
    if (p != q * d[i + 1].size) return false;
  }
  return true;
}

int64_t loop_count(const std::vector<BatchDim>& d, std::pair<size_t, size_t> run) {
  int64_t n = 1;
  for (size_t i = 0; i < d.size(); ++i)
    if (i < run.first || i >= run.second) n *= d[i].size;
  return n;
}

// The element offsets of A, B and Y for each index of the looped dims (those outside `run`).
std::vector<std::array<int64_t, 3>> loop_offsets(const std::vector<BatchDim>& d, std::pair<size_t, size_t> run) {
  std::vector<std::array<int64_t, 3>> offs{{0, 0, 0}};
  for (size_t i = 0; i < d.size(); ++i) {
    if (i >= run.first && i < run.second) continue;
    std::vector<std::array<int64_t, 3>> next;
    for (const auto& o : offs)
      for (int64_t j = 0; j < d[i].size; ++j) next.push_back({o[0] + j * d[i].sa, o[1] + j * d[i].sb, o[2] + j * d[i].sy});
    offs = std::move(next);
  }
  return offs;
}

const ir::Epilogue& epilogue_of(const ir::MatMulAttrs& attrs, const OpInstance& op) {
  return attrs.epilogue.is_none() ? op.act : attrs.epilogue;
}

Status build_matmul(BuildContext& ctx, const OpInstance& op) {
  const auto& attrs = std::get<ir::MatMulAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* a, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* b, ctx.tensor(op.node->inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  TANDEM_ASSIGN_OR_RETURN(Promoted p, promote(a->shape, b->shape));
  const int64_t m = p.m, n = p.n, k = p.k;
  const size_t esize = y->elem == Elem::kF16 ? 2 : 4;
  View va = view_of(*a, p.a, false), vb = view_of(*b, p.b, true);
  if (!row_major_matrix(va)) {
    TANDEM_ASSIGN_OR_RETURN(va, materialise(ctx, va, p.batch, false));
  }
  if (!row_major_matrix(vb)) {
    TANDEM_ASSIGN_OR_RETURN(vb, materialise(ctx, vb, p.batch, false));
  }
  std::vector<BatchDim> dims = batch_dims(va, vb, p.batch, m * n);
  auto run = best_run(dims);
  if (loop_count(dims, run) > kMaxLoop) {  // spell the broadcast out for the operand that breaks the run
    if (!operand_collapses(dims, 0)) {
      TANDEM_ASSIGN_OR_RETURN(va, materialise(ctx, va, p.batch, true));
    }
    if (!operand_collapses(dims, 1)) {
      TANDEM_ASSIGN_OR_RETURN(vb, materialise(ctx, vb, p.batch, true));
    }
    dims = batch_dims(va, vb, p.batch, m * n);
    run = best_run(dims);
    if (loop_count(dims, run) != 1) return internal_error("MatMul batch dims still do not collapse");
  }
  // Y is written row-major: into y itself when y is stored so, else into scratch.
  const bool out_direct = !y->nhwc || y->shape[1] == 1 || y->shape[2] * y->shape[3] == 1;
  void* out = y->data;
  if (!out_direct) {
    TANDEM_ASSIGN_OR_RETURN(out, ctx.allocate(y->nbytes()));
  }
  GemmShape g;
  g.m = int(m); g.n = int(n); g.k = int(k);
  g.ld_first = int(n); g.ld_second = int(k); g.ld_out = int(n);
  g.batch = 1;
  if (run.second > run.first) {
    const BatchDim& last = dims[run.second - 1];
    for (size_t i = run.first; i < run.second; ++i) g.batch *= dims[i].size;
    g.stride_a = last.sa; g.stride_b = last.sb; g.stride_y = last.sy;
  }
  if (g.batch > 1 && g.stride_b == 0 && g.stride_a == m * k && g.stride_y == m * n && m * g.batch <= INT_MAX) {
    g.m = int(m * g.batch);  // B shared over the run: A's batches are extra rows of one product
    g.batch = 1;
  }
  const auto offs = loop_offsets(dims, run);
  const Precision prec = ctx.precision();
  const char* pa = static_cast<const char*>(va.data);
  const char* pb = static_cast<const char*>(vb.data);
  char* py = static_cast<char*>(out);
  if (offs.size() == 1) {
    ctx.add_step(gemm_step(g, pa, pb, py, prec));
  } else {
    ctx.add_step([g, offs, pa, pb, py, esize, prec](const RunEnv& env) {
      for (const auto& o : offs)
        TANDEM_RETURN_IF_ERROR(run_gemm(env, g, pa + o[0] * int64_t(esize), pb + o[1] * int64_t(esize),
                                        py + o[2] * int64_t(esize), prec));
      return Status::ok();
    });
  }
  std::vector<float> bias;
  if (attrs.has_bias) {
    const Tensor* c = ctx.constant(op.node->inputs[2]);
    if (!c) return internal_error("MatMul bias is not a constant");
    bias.resize(size_t(c->numel()));
    for (int64_t j = 0; j < c->numel(); ++j) bias[size_t(j)] = float(c->float_at(j));
  }
  DevTensor row_major = *y;
  row_major.data = out;
  row_major.nhwc = false;
  TANDEM_RETURN_IF_ERROR(add_gemm_epilogue(ctx, row_major, std::move(bias), epilogue_of(attrs, op)));
  if (!out_direct)
    ctx.add_step(copy_step(out, y->elem, row_major_strides(y->shape), y->data, y->elem, logical_strides(*y), y->shape));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaMatMul{"MatMul", supports_matmul, build_matmul, true, false};

}  // namespace tandem::cuda

// MatMul with NumPy semantics: batched, broadcasting batch dims; a 1-D A gets a leading 1 and a
// 1-D B a trailing 1, both removed from the result (the output shape in graph.values already
// reflects that, so only the element count is checked here). A fused bias (over Y's last dim) and
// epilogue come after the product.
#include "backends/reference/ref_util.h"
#include "ir/ops/matmul.h"

namespace tandem::reference {
namespace {

Status supports_matmul(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

Status run_matmul(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::MatMulAttrs* attrs, attrs_of<ir::MatMulAttrs>(ctx.node));
  const float* bias = nullptr;
  if (attrs->has_bias) {
    TANDEM_RETURN_IF_ERROR(require_input(ctx, 2, "bias"));
    bias = ctx.inputs[2].data_as<float>();
  }
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "A"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "B"));
  Shape as = ctx.inputs[0].shape();
  Shape bs = ctx.inputs[1].shape();
  if (as.empty() || bs.empty()) return invalid_argument("MatMul inputs must have rank >= 1");
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return invalid_argument("inner dims differ: A " + shape_to_string(ctx.inputs[0].shape()) + ", B " +
                            shape_to_string(ctx.inputs[1].shape()));
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  Shape batch(std::max(a_batch.size(), b_batch.size()), 1);
  for (size_t d = 0; d < batch.size(); ++d) {
    const size_t da = d + a_batch.size(), db = d + b_batch.size();
    const int64_t x = da >= batch.size() ? a_batch[da - batch.size()] : 1;
    const int64_t z = db >= batch.size() ? b_batch[db - batch.size()] : 1;
    if (x != z && x != 1 && z != 1) return invalid_argument("batch dims of A and B do not broadcast");
    batch[d] = x == 1 ? z : x;
  }
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  if (y.numel() != shape_numel(batch) * m * n) return internal_error("Y shape " + shape_to_string(y.shape()) + " is wrong");
  const int64_t last = y.shape().empty() ? 1 : y.shape().back();
  if (bias && ctx.inputs[2].numel() != last) return invalid_argument("the bias does not match Y's last dim");
  const auto sa = broadcast_strides(a_batch, batch), sb = broadcast_strides(b_batch, batch);
  const float* pa = ctx.inputs[0].data_as<float>();
  const float* pb = ctx.inputs[1].data_as<float>();
  float* py = y.data_as<float>();
  std::vector<int64_t> idx(batch.size(), 0);
  if (y.numel() == 0) return Status::ok();
  do {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < batch.size(); ++d) {
      oa += idx[d] * sa[d];
      ob += idx[d] * sb[d];
    }
    const float* a = pa + oa * m * k;
    const float* b = pb + ob * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * b[p * n + j];
        float v = static_cast<float>(acc);
        // Y's last dim is n, or m when B is 1-D (then n == 1): element (i, j) is at i * n + j.
        if (bias) v += bias[(i * n + j) % last];
        *py++ = ir::apply_epilogue(attrs->epilogue, v);
      }
  } while (next_index(idx, batch));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefMatMul{"MatMul", supports_matmul, run_matmul};

}  // namespace tandem::reference

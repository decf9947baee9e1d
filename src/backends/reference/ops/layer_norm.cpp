// LayerNormalization on float32: per group of the dims [axis, rank), mean and variance in
// double (two passes), Y = (X - mean) / sqrt(var + epsilon) * Scale + B with Scale and B
// broadcast to X.shape[axis:]; the optional Mean and InvStdDev outputs are filled when present.
// AddLayerNorm: the same of S = A + B, and S when the node has a second output.
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/layer_norm.h"

namespace tandem::reference {
namespace {

Status supports_layer_norm(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

// Offsets into a broadcast parameter for each element j of a group (row-major over `inner`).
// Dims of `param` left of the group are 1 (layer_norm_param_broadcasts): they are dropped.
std::vector<int64_t> param_offsets(Shape param, const Shape& inner) {
  if (param.size() > inner.size()) param.erase(param.begin(), param.end() - static_cast<std::ptrdiff_t>(inner.size()));
  const std::vector<int64_t> s = broadcast_strides(param, inner);
  std::vector<int64_t> off;
  std::vector<int64_t> idx(inner.size(), 0);
  if (shape_numel(inner) == 0) return off;
  do {
    int64_t o = 0;
    for (size_t d = 0; d < inner.size(); ++d) o += idx[d] * s[d];
    off.push_back(o);
  } while (next_index(idx, inner));
  return off;
}

struct Params {
  const float* scale = nullptr;
  const float* bias = nullptr;  // nullptr: no B
  std::vector<int64_t> scale_off, bias_off;
};

// Normalises one group of n elements; returns {mean, 1 / sqrt(var + eps)}.
std::pair<double, double> normalize_group(const float* x, float* y, int64_t n, float eps, const Params& p) {
  double sum = 0.0;
  for (int64_t j = 0; j < n; ++j) sum += x[j];
  const double mean = sum / static_cast<double>(n);
  double sq = 0.0;
  for (int64_t j = 0; j < n; ++j) sq += (x[j] - mean) * (x[j] - mean);
  const double inv = 1.0 / std::sqrt(sq / static_cast<double>(n) + static_cast<double>(eps));
  for (int64_t j = 0; j < n; ++j) {
    double v = (x[j] - mean) * inv * p.scale[p.scale_off[static_cast<size_t>(j)]];
    if (p.bias) v += p.bias[p.bias_off[static_cast<size_t>(j)]];
    y[j] = static_cast<float>(v);
  }
  return {mean, inv};
}

// Y (and the optional statistics) of X normalised over [axis, rank) with Scale and optional B.
Status normalize(const Tensor& x, const Tensor& scale, const Tensor* bias, const ir::LayerNormAttrs& a, Tensor& y,
                 Tensor* mean, Tensor* inv_std) {
  const Shape& xs = x.shape();
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(a.axis, static_cast<int64_t>(xs.size())));
  const Shape inner(xs.begin() + axis, xs.end());
  for (const Tensor* p : {&scale, bias})
    if (p && !ir::layer_norm_param_broadcasts(p->shape(), xs, axis))
      return invalid_argument("parameter " + shape_to_string(p->shape()) + " does not broadcast to the group " +
                              shape_to_string(inner) + " of X");
  Params p;
  p.scale = scale.data_as<float>();
  p.scale_off = param_offsets(scale.shape(), inner);
  if (bias) {
    p.bias = bias->data_as<float>();
    p.bias_off = param_offsets(bias->shape(), inner);
  }
  const int64_t n = shape_numel(inner);
  const int64_t groups = n == 0 ? 0 : x.numel() / n;
  for (int64_t g = 0; g < groups; ++g) {
    auto [m, inv] = normalize_group(x.data_as<float>() + g * n, y.data_as<float>() + g * n, n, a.epsilon, p);
    if (mean) mean->data_as<float>()[g] = static_cast<float>(m);
    if (inv_std) inv_std->data_as<float>()[g] = static_cast<float>(inv);
  }
  return Status::ok();
}

Status run_layer_norm(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::LayerNormAttrs* a, attrs_of<ir::LayerNormAttrs>(ctx.node));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 0, "X"));
  TANDEM_RETURN_IF_ERROR(require_input(ctx, 1, "Scale"));
  const bool has_bias = ctx.inputs.size() > 2 && !ctx.inputs[2].empty();
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  Tensor mean, inv_std;
  if (has_output(ctx.node, 1)) {
    TANDEM_ASSIGN_OR_RETURN(mean, alloc_output(ctx, 1, DType::kFloat32));
  }
  if (has_output(ctx.node, 2)) {
    TANDEM_ASSIGN_OR_RETURN(inv_std, alloc_output(ctx, 2, DType::kFloat32));
  }
  return normalize(ctx.inputs[0], ctx.inputs[1], has_bias ? &ctx.inputs[2] : nullptr, *a, y, mean.empty() ? nullptr : &mean,
                   inv_std.empty() ? nullptr : &inv_std);
}

// AddLayerNorm (fuse_add_layer_norm): S = A + B in float32 (as Add computes it), Y = LN(S).
Status run_add_layer_norm(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::LayerNormAttrs* a, attrs_of<ir::LayerNormAttrs>(ctx.node));
  for (size_t i = 0; i < 3; ++i) TANDEM_RETURN_IF_ERROR(require_input(ctx, i, i == 2 ? "Scale" : "A and B"));
  const Tensor& x0 = ctx.inputs[0];
  const Tensor& x1 = ctx.inputs[1];
  if (x0.shape() != x1.shape())
    return invalid_argument("A " + shape_to_string(x0.shape()) + " and B " + shape_to_string(x1.shape()) + " differ in shape");
  Tensor sum;
  if (has_output(ctx.node, 1)) {
    TANDEM_ASSIGN_OR_RETURN(sum, alloc_output(ctx, 1, DType::kFloat32));
  } else {
    sum = Tensor(x0.shape(), DType::kFloat32);
  }
  const float* p0 = x0.data_as<float>();
  const float* p1 = x1.data_as<float>();
  float* ps = sum.data_as<float>();
  for (int64_t i = 0; i < sum.numel(); ++i) ps[i] = p0[i] + p1[i];
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const bool has_bias = ctx.inputs.size() > 3 && !ctx.inputs[3].empty();
  return normalize(sum, ctx.inputs[2], has_bias ? &ctx.inputs[3] : nullptr, *a, y, nullptr, nullptr);
}

}  // namespace

extern const RefOp kRefLayerNormalization{"LayerNormalization", supports_layer_norm, run_layer_norm};
extern const RefOp kRefAddLayerNorm{"AddLayerNorm", supports_layer_norm, run_add_layer_norm};

}  // namespace tandem::reference

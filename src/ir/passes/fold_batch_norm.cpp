// fold_batch_norm: Conv(x, W, b) -> BN(scale, B, mean, var)  ==>  Conv(x, W', b') with
//   s = scale / sqrt(var + eps),  W'[m] = W[m] * s[m],  b' = (b - mean) * s + B
// per output channel m. ConvTranspose keeps output channels on W's axis 1 (per group).
#include <cmath>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

const Tensor* float_constant(const Graph& g, const std::string& name, int64_t numel) {
  const Tensor* t = name.empty() ? nullptr : g.constant(name);
  if (!t || t->dtype() != DType::kFloat32 || (numel >= 0 && t->numel() != numel)) return nullptr;
  return t;
}

// Output channel of weight element at flat index `i` for a conv (transpose or not).
struct ChannelMap {
  bool transpose = false;
  int64_t in_per_group = 1;   // ConvTranspose: W is [C, M/group, k...]
  int64_t out_per_group = 1;
  int64_t inner = 1;          // elements per W[a, b] slice
  int64_t dim0_stride = 1;    // elements per W[a]
  int64_t channel(int64_t i) const {
    if (!transpose) return i / dim0_stride;
    const int64_t c = i / dim0_stride;
    const int64_t j = (i % dim0_stride) / inner;
    return (c / in_per_group) * out_per_group + j;
  }
};

// Checks the pattern around BN node `bn_i`; fills `conv_i` and the channel count.
bool match(const Graph& g, const GraphIndex& index, int bn_i, int& conv_i, int64_t& channels, ChannelMap& map) {
  const Node& bn = g.nodes[bn_i];
  if (bn.op_type != "BatchNormalization" || bn.inputs.size() < 5 || bn.outputs.empty()) return false;
  if (!std::holds_alternative<BatchNormAttrs>(bn.attrs)) return false;
  for (size_t k = 1; k < bn.outputs.size(); ++k)
    if (!bn.outputs[k].empty() && index.uses(bn.outputs[k]) > 0) return false;
  conv_i = index.producer(bn.inputs[0]);
  if (conv_i < 0 || index.uses(bn.inputs[0]) != 1) return false;
  Node conv = g.nodes[conv_i];
  if (conv.op_type != "Conv" && conv.op_type != "ConvTranspose") return false;
  if (conv.outputs.size() != 1 || conv.inputs.size() < 2) return false;
  Epilogue* ep = passes::epilogue_of(conv);
  if (!ep || !ep->is_none()) return false;
  const Tensor* w = float_constant(g, conv.inputs[1], -1);
  if (!w || w->shape().size() < 3) return false;
  const Shape& ws = w->shape();
  map.transpose = conv.op_type == "ConvTranspose";
  map.inner = shape_numel(Shape(ws.begin() + 2, ws.end()));
  map.dim0_stride = map.inner * ws[1];
  if (map.transpose) {
    const auto* attrs = std::get_if<ConvTransposeAttrs>(&conv.attrs);
    if (!attrs) return false;
    const int64_t group = attrs->group;
    if (group < 1 || ws[0] % group) return false;
    map.in_per_group = ws[0] / group;
    map.out_per_group = ws[1];
    channels = ws[1] * group;
  } else {
    channels = ws[0];
  }
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty() && !float_constant(g, conv.inputs[2], channels))
    return false;
  for (int k = 1; k <= 4; ++k)
    if (!float_constant(g, bn.inputs[k], channels)) return false;
  return true;
}

void fold(Graph& g, int bn_i, int conv_i, int64_t channels, const ChannelMap& map) {
  const Node bn = g.nodes[bn_i];
  Node& conv = g.nodes[conv_i];
  const float eps = std::get<BatchNormAttrs>(bn.attrs).epsilon;
  const float* scale = g.constant(bn.inputs[1])->data_as<float>();
  const float* shift = g.constant(bn.inputs[2])->data_as<float>();
  const float* mean = g.constant(bn.inputs[3])->data_as<float>();
  const float* var = g.constant(bn.inputs[4])->data_as<float>();
  const bool has_bias = conv.inputs.size() > 2 && !conv.inputs[2].empty();
  const float* bias = has_bias ? g.constant(conv.inputs[2])->data_as<float>() : nullptr;

  std::vector<double> s(channels);
  Tensor new_b({channels}, DType::kFloat32);
  for (int64_t m = 0; m < channels; ++m) {
    s[m] = scale[m] / std::sqrt(static_cast<double>(var[m]) + eps);
    new_b.data_as<float>()[m] = static_cast<float>(((bias ? bias[m] : 0.0) - mean[m]) * s[m] + shift[m]);
  }
  const Tensor& w = *g.constant(conv.inputs[1]);
  Tensor new_w(w.shape(), DType::kFloat32);
  for (int64_t i = 0; i < w.numel(); ++i)
    new_w.data_as<float>()[i] = static_cast<float>(w.data_as<float>()[i] * s[map.channel(i)]);

  const std::string w_name = passes::unique_name(g, conv.name + "_W_bn");
  g.initializers[w_name] = new_w;
  g.values[w_name] = ValueInfo{DType::kFloat32, new_w.shape(), true};
  const std::string b_name = passes::unique_name(g, conv.name + "_B_bn");
  g.initializers[b_name] = new_b;
  g.values[b_name] = ValueInfo{DType::kFloat32, new_b.shape(), true};

  conv.inputs.resize(3);
  conv.inputs[1] = w_name;
  conv.inputs[2] = b_name;
  *passes::epilogue_of(conv) = std::get<BatchNormAttrs>(bn.attrs).epilogue;  // the BN's fused activation
  g.values.erase(conv.outputs[0]);
  conv.outputs[0] = bn.outputs[0];
  passes::erase_nodes(g, {bn_i});
}

}  // namespace

Status fold_batch_norm(Graph& g) {
  bool changed = true;
  while (changed) {
    changed = false;
    GraphIndex index(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      int conv_i = -1;
      int64_t channels = 0;
      ChannelMap map;
      if (!match(g, index, static_cast<int>(i), conv_i, channels, map)) continue;
      fold(g, static_cast<int>(i), conv_i, channels, map);
      changed = true;
    }
  }
  passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir

// merge_parallel_convs: branches summed over the same input become one Conv (the linear
// identity RepVGG, ACNet and MobileOne rely on when they are "re-parameterised" for inference;
// exported without that step, they run two or three convs and two Adds per block):
//   Add(Conv(x, W1, b1), Conv(x, W2, b2))  ==>  Conv(x, W1 + W2, b1 + b2)
//     the smaller kernel padded with zeros around its centre, when both convs take the same
//     strides, group and output and their windows share a centre (pad - (k - 1) / 2 alike);
//   Add(Conv(x, W, b), BatchNormalization(x))  ==>  Conv(x, W + diag(s), b + t)
//     with s = scale / sqrt(var + eps), t = bias - mean * s, for a stride-1 conv of as many
//     output as input channels whose window centre sits on each output pixel; x itself (a plain
//     residual) is s = 1, t = 0 — left to the backends' residual fusion, which is as fast.
// Each branch must be read only by the Add, carry no epilogue, and have constant parameters.
#include <cmath>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

using passes::GraphIndex;

// A Conv with a constant float weight (and bias), no epilogue, 2-D, dilations 1, read only once.
const ConvAttrs* plain_conv(const Graph& g, const GraphIndex& index, const Node& n) {
  if (n.op_type != "Conv" || n.inputs.size() < 2 || n.outputs.size() != 1) return nullptr;
  const auto* a = std::get_if<ConvAttrs>(&n.attrs);
  if (!a || !a->epilogue.is_none() || a->kernel_shape.size() != 2 || a->pads.size() != 4) return nullptr;
  for (int64_t d : a->dilations)
    if (d != 1) return nullptr;
  const Tensor* w = g.constant(n.inputs[1]);
  if (!w || w->dtype() != DType::kFloat32 || w->shape().size() != 4) return nullptr;
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const Tensor* b = g.constant(n.inputs[2]);
    if (!b || b->dtype() != DType::kFloat32 || b->numel() != w->shape()[0]) return nullptr;
  }
  if (index.uses(n.outputs[0]) != 1) return nullptr;
  return a;
}

// Offset of the window centre from the output pixel's input position, per spatial side.
bool odd_kernels(const ConvAttrs& a) { return a.kernel_shape[0] % 2 == 1 && a.kernel_shape[1] % 2 == 1; }
int64_t centre_shift(const ConvAttrs& a, int side) {  // side: 0 top, 1 left, 2 bottom, 3 right
  return a.pads[size_t(side)] - (a.kernel_shape[size_t(side % 2)] - 1) / 2;
}

std::vector<float> bias_of(const Graph& g, const Node& conv, int64_t channels) {
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) {
    const Tensor* b = g.constant(conv.inputs[2]);
    return std::vector<float>(b->data_as<float>(), b->data_as<float>() + channels);
  }
  return std::vector<float>(size_t(channels), 0.0f);
}

// Writes `w` (+ `b`) as new initializers of `conv`, which takes over `output`.
void set_params(Graph& g, Node& conv, Tensor w, const std::vector<float>& b, const std::string& output) {
  const std::string w_name = passes::unique_name(g, conv.name + "_W_merged");
  g.values[w_name] = ValueInfo{DType::kFloat32, w.shape(), true};
  g.initializers[w_name] = std::move(w);
  Tensor bt({int64_t(b.size())}, DType::kFloat32);
  std::copy(b.begin(), b.end(), bt.data_as<float>());
  const std::string b_name = passes::unique_name(g, conv.name + "_B_merged");
  g.values[b_name] = ValueInfo{DType::kFloat32, bt.shape(), true};
  g.initializers[b_name] = std::move(bt);
  conv.inputs.resize(3);
  conv.inputs[1] = w_name;
  conv.inputs[2] = b_name;
  g.values.erase(conv.outputs[0]);
  conv.outputs[0] = output;
}

// Conv `conv_i` takes weights `w` and bias `b`, and the Add's output and place (after both of the
// Add's producers); the Add and the other branch `other_i` go.
void replace_add(Graph& g, int add_i, int conv_i, int other_i, Tensor w, const std::vector<float>& b) {
  set_params(g, g.nodes[size_t(conv_i)], std::move(w), b, g.nodes[size_t(add_i)].outputs[0]);
  Node merged = g.nodes[size_t(conv_i)];
  g.nodes[size_t(add_i)] = std::move(merged);
  passes::erase_nodes(g, {conv_i, other_i});
}

// A float copy of `t` to edit.
Tensor copy_of(const Tensor& t) {
  Tensor c(t.shape(), DType::kFloat32);
  std::copy(t.data_as<float>(), t.data_as<float>() + t.numel(), c.data_as<float>());
  return c;
}

// Add(Conv P, Conv Q) over the same input: Q folded into P (P has the larger kernel).
bool merge_two_convs(Graph& g, const GraphIndex& index, int add_i, int p_i, int q_i) {
  const Node& p0 = g.nodes[size_t(p_i)];
  const Node& q0 = g.nodes[size_t(q_i)];
  const ConvAttrs* pa = plain_conv(g, index, p0);
  const ConvAttrs* qa = plain_conv(g, index, q0);
  if (!pa || !qa || p0.inputs[0] != q0.inputs[0] || pa->group != qa->group || pa->strides != qa->strides) return false;
  if (!odd_kernels(*pa) || !odd_kernels(*qa)) return false;
  if (qa->kernel_shape[0] > pa->kernel_shape[0] || qa->kernel_shape[1] > pa->kernel_shape[1]) {
    if (pa->kernel_shape[0] > qa->kernel_shape[0] || pa->kernel_shape[1] > qa->kernel_shape[1]) return false;
    return merge_two_convs(g, index, add_i, q_i, p_i);
  }
  for (int side = 0; side < 4; ++side)
    if (centre_shift(*pa, side) != centre_shift(*qa, side)) return false;
  const auto* py = g.info(p0.outputs[0]);
  const auto* qy = g.info(q0.outputs[0]);
  if (!py || !qy || py->shape != qy->shape) return false;
  const Tensor& pw = *g.constant(p0.inputs[1]);
  const Tensor& qw = *g.constant(q0.inputs[1]);
  const Shape& ps = pw.shape();
  const Shape& qs = qw.shape();
  if (ps[0] != qs[0] || ps[1] != qs[1]) return false;
  Tensor w = copy_of(pw);
  const int64_t dy = (ps[2] - qs[2]) / 2, dx = (ps[3] - qs[3]) / 2;
  for (int64_t o = 0; o < qs[0]; ++o)
    for (int64_t i = 0; i < qs[1]; ++i)
      for (int64_t y = 0; y < qs[2]; ++y)
        for (int64_t x = 0; x < qs[3]; ++x)
          w.data_as<float>()[((o * ps[1] + i) * ps[2] + y + dy) * ps[3] + x + dx] +=
              qw.data_as<float>()[((o * qs[1] + i) * qs[2] + y) * qs[3] + x];
  std::vector<float> b = bias_of(g, p0, ps[0]);
  const std::vector<float> qb = bias_of(g, q0, ps[0]);
  for (size_t m = 0; m < b.size(); ++m) b[m] += qb[m];
  replace_add(g, add_i, p_i, q_i, std::move(w), b);
  return true;
}

// Add(Conv P(x), BatchNormalization(x)): the BN's per-channel affine on P's window centre.
bool merge_batch_norm(Graph& g, const GraphIndex& index, int add_i, int p_i, int bn_i) {
  const Node& p0 = g.nodes[size_t(p_i)];
  const Node& bn = g.nodes[size_t(bn_i)];
  const ConvAttrs* pa = plain_conv(g, index, p0);
  if (!pa || bn.op_type != "BatchNormalization" || bn.inputs.size() < 5 || bn.inputs[0] != p0.inputs[0]) return false;
  if (!odd_kernels(*pa) || index.uses(bn.outputs[0]) != 1) return false;
  if (!std::get<BatchNormAttrs>(bn.attrs).epilogue.is_none()) return false;
  for (size_t k = 1; k < bn.outputs.size(); ++k)
    if (!bn.outputs[k].empty() && index.uses(bn.outputs[k]) > 0) return false;
  for (int64_t s : pa->strides)
    if (s != 1) return false;
  for (int side = 0; side < 4; ++side)
    if (centre_shift(*pa, side) != 0) return false;
  const Tensor& pw = *g.constant(p0.inputs[1]);
  const Shape& ps = pw.shape();
  const int64_t channels = ps[0], per_group = ps[1];
  const auto* xi = g.info(p0.inputs[0]);
  if (!xi || xi->shape.size() != 4 || xi->shape[1] != channels || pa->group < 1 || channels % pa->group != 0) return false;
  const float* par[4];
  for (int k = 0; k < 4; ++k) {
    const Tensor* t = g.constant(bn.inputs[size_t(k + 1)]);
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != channels) return false;
    par[k] = t->data_as<float>();
  }
  const float eps = std::get<BatchNormAttrs>(bn.attrs).epsilon;
  Tensor w = copy_of(pw);
  std::vector<float> b = bias_of(g, p0, channels);
  const int64_t cy = (ps[2] - 1) / 2, cx = (ps[3] - 1) / 2;
  for (int64_t c = 0; c < channels; ++c) {
    const double s = par[0][c] / std::sqrt(double(par[3][c]) + eps);
    // Output channel c reads input channel c, the (c % per_group)-th of its group.
    w.data_as<float>()[((c * per_group + c % per_group) * ps[2] + cy) * ps[3] + cx] += float(s);
    b[size_t(c)] += float(par[1][c] - par[2][c] * s);
  }
  replace_add(g, add_i, p_i, bn_i, std::move(w), b);
  return true;
}

bool merge_one(Graph& g) {
  const GraphIndex index(g);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& add = g.nodes[i];
    if (add.op_type != "Add" || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) continue;
    const auto* y = g.info(add.outputs[0]);
    const auto* a = g.info(add.inputs[0]);
    const auto* b = g.info(add.inputs[1]);
    if (!y || !a || !b || a->shape != y->shape || b->shape != y->shape) continue;  // no broadcasting
    const int pa = index.producer(add.inputs[0]), pb = index.producer(add.inputs[1]);
    if (pa < 0 || pb < 0) continue;
    const std::string& ta = g.nodes[size_t(pa)].op_type;
    const std::string& tb = g.nodes[size_t(pb)].op_type;
    if (ta == "Conv" && tb == "Conv" && merge_two_convs(g, index, int(i), pa, pb)) return true;
    if (ta == "Conv" && tb == "BatchNormalization" && merge_batch_norm(g, index, int(i), pa, pb)) return true;
    if (tb == "Conv" && ta == "BatchNormalization" && merge_batch_norm(g, index, int(i), pb, pa)) return true;
  }
  return false;
}

}  // namespace

Status merge_parallel_convs(Graph& g) {
  bool any = false;
  while (merge_one(g)) any = true;
  if (any) passes::drop_dead_values(g);
  return g.verify();
}

}  // namespace tandem::ir

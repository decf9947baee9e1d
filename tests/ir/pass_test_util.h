// Builds small specialised graphs for pass tests and checks that a pass keeps outputs the same
// by running the graph before and after it on the reference backend.
#pragma once

#include "common/random_tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backends/reference/reference_backend.h"
#include "ir/graph.h"
#include "ir/passes/passes.h"

namespace tandem::ir::pass_test {

using test_common::random_tensor;

inline ConvAttrs conv_attrs(int64_t k, int64_t stride = 1, int64_t pad = 0, int64_t group = 1) {
  ConvAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {stride, stride};
  a.pads = {pad, pad, pad, pad};
  a.dilations = {1, 1};
  a.group = group;
  return a;
}

inline ActivationAttrs act(ActKind kind, float alpha = 0.0f, float beta = 0.0f) {
  return ActivationAttrs{Epilogue{kind, alpha, beta}};
}

// A fluent builder: every tensor gets its ValueInfo, every node its typed attrs.
class GraphBuilder {
 public:
  GraphBuilder& input(const std::string& name, const Shape& shape) {
    g_.inputs.push_back(name);
    g_.values[name] = ValueInfo{DType::kFloat32, shape, true};
    return *this;
  }
  // A float32 initializer with values uniform in [lo, hi), seeded from its name's order.
  GraphBuilder& weight(const std::string& name, const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
    return constant(name, random_tensor(shape, 1000 + seed_++, lo, hi));
  }
  GraphBuilder& scalar(const std::string& name, float v, const Shape& shape = {}) {
    return constant(name, Tensor::from_vector<float>(shape, DType::kFloat32, {v}));
  }
  GraphBuilder& constant(const std::string& name, const Tensor& t) {
    g_.initializers[name] = t;
    g_.values[name] = ValueInfo{t.dtype(), t.shape(), true};
    return *this;
  }
  // Adds a node whose (single) output has `out_shape`; the node is named after its output.
  GraphBuilder& node(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                     const Shape& out_shape, OpAttrs attrs = {}) {
    Node n;
    n.name = "n_" + output;
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    n.attrs = std::move(attrs);
    g_.nodes.push_back(std::move(n));
    g_.values[output] = ValueInfo{DType::kFloat32, out_shape, true};
    return *this;
  }
  GraphBuilder& binary(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                       const Shape& out_shape) {
    BinaryOp b = op == "Add" ? BinaryOp::kAdd : op == "Sub" ? BinaryOp::kSub : op == "Mul" ? BinaryOp::kMul : BinaryOp::kDiv;
    return node(op, std::move(inputs), output, out_shape, BinaryAttrs{b});
  }
  GraphBuilder& output(const std::string& name) {
    g_.outputs.push_back(name);
    return *this;
  }
  Graph build() const { return g_; }

 private:
  Graph g_;
  uint32_t seed_ = 0;
};

// Runs `g` on the reference backend; fresh random inputs from `seed`.
inline Result<std::vector<Tensor>> run_reference(const Graph& g, uint32_t seed) {
  TANDEM_ASSIGN_OR_RETURN(auto backend, make_reference_backend());
  TANDEM_ASSIGN_OR_RETURN(auto exe, backend->compile(g, {}));
  std::vector<Tensor> ins, outs;
  std::vector<TensorView> in_views, out_views;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    ins.push_back(random_tensor(g.values.at(g.inputs[i]).shape, seed + static_cast<uint32_t>(i), -3.0f, 3.0f));
    in_views.push_back(ins.back().view());
  }
  for (const auto& o : g.outputs) {
    const ValueInfo* vi = g.info(o);
    if (!vi) return not_found("graph output '" + o + "' has no ValueInfo");
    outs.emplace_back(vi->shape, vi->dtype);
    out_views.push_back(outs.back().view());
  }
  TANDEM_RETURN_IF_ERROR(exe->run(in_views, out_views));
  return outs;
}

// Expects `after` to compute what `before` computes (same outputs, by position and name).
inline void expect_same_outputs(const Graph& before, const Graph& after, uint32_t seed = 7) {
  ASSERT_EQ(before.outputs, after.outputs) << "graph output names changed";
  auto ref = run_reference(before, seed);
  ASSERT_TRUE(ref.is_ok()) << "before: " << ref.status().to_string();
  auto got = run_reference(after, seed);
  ASSERT_TRUE(got.is_ok()) << "after: " << got.status().to_string() << "\n" << graph_to_string(after);
  for (size_t k = 0; k < ref->size(); ++k) {
    const Tensor& r = (*ref)[k];
    const Tensor& o = (*got)[k];
    ASSERT_EQ(r.shape(), o.shape()) << before.outputs[k];
    double worst = 0.0;
    int64_t bad = 0;
    for (int64_t i = 0; i < r.numel(); ++i) {
      const double a = r.data_as<float>()[i], b = o.data_as<float>()[i];
      const double d = std::fabs(a - b);
      worst = std::max(worst, d);
      if (!(d <= 1e-5 + 1e-5 * std::fabs(a))) ++bad;
    }
    EXPECT_EQ(bad, 0) << "output '" << before.outputs[k] << "': " << bad << " of " << r.numel()
                      << " elements differ, max abs diff " << worst << "\n" << graph_to_string(after);
  }
}

inline const Node* find_node(const Graph& g, const std::string& op) {
  for (const auto& n : g.nodes)
    if (n.op_type == op) return &n;
  return nullptr;
}

inline Epilogue epilogue_of(const Graph& g, const std::string& op) {
  const Node* n = find_node(g, op);
  if (!n) return {};
  if (auto* c = std::get_if<ConvAttrs>(&n->attrs)) return c->epilogue;
  if (auto* c = std::get_if<ConvTransposeAttrs>(&n->attrs)) return c->epilogue;
  if (auto* c = std::get_if<GemmAttrs>(&n->attrs)) return c->epilogue;
  if (auto* c = std::get_if<MatMulAttrs>(&n->attrs)) return c->epilogue;
  if (auto* c = std::get_if<BatchNormAttrs>(&n->attrs)) return c->epilogue;
  return {};
}

}  // namespace tandem::ir::pass_test

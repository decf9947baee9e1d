// Small hand-built models with an open batch dim, specialised per batch like the engine does, and
// helpers to run them on one unit for reference outputs. Shared by tests/plans and tests/runtime.
#pragma once

#include "common/random_tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/ops/op_def.h"
#include "plan/batch_graphs.h"
#include "plan/unit_spec.h"

namespace tandem::plan_test {

using test_common::random_tensor;

// Builds an unspecialised graph: inputs with open dims, nodes parsed from ONNX-style attributes.
class ModelBuilder {
 public:
  explicit ModelBuilder(std::string name) { g_.name = std::move(name); }
  ModelBuilder& input(const std::string& name, const Shape& shape) {
    g_.inputs.push_back(name);
    g_.values[name] = ir::ValueInfo{DType::kFloat32, shape, true};
    return *this;
  }
  ModelBuilder& weight(const std::string& name, const Shape& shape) {
    Tensor t = random_tensor(shape, 100 + seed_++, -0.5f, 0.5f);
    g_.initializers[name] = t;
    g_.values[name] = ir::ValueInfo{DType::kFloat32, shape, true};
    return *this;
  }
  ModelBuilder& node(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                     ir::AttrMap attrs = {}) {
    ir::Node n;
    n.name = output + "_node";
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    const ir::OpDef* def = ir::find_op_def(op);
    EXPECT_NE(def, nullptr) << op;
    if (def) {
      auto parsed = def->parse(attrs, g_.opset);
      EXPECT_TRUE(parsed.is_ok()) << op << ": " << parsed.status().to_string();
      if (parsed) n.attrs = *parsed;
    }
    n.raw_attrs = std::move(attrs);
    g_.nodes.push_back(std::move(n));
    return *this;
  }
  ModelBuilder& output(const std::string& name) {
    g_.outputs.push_back(name);
    return *this;
  }
  std::shared_ptr<const ir::Graph> build() const { return std::make_shared<const ir::Graph>(g_); }

 private:
  ir::Graph g_;
  uint32_t seed_ = 0;
};

inline ir::AttrMap conv_attrs(int64_t k, int64_t pad) {
  ir::AttrMap a;
  a.set("kernel_shape", std::vector<int64_t>{k, k});
  a.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
  return a;
}

// x[N,3,8,8] -> Conv+Relu -> Conv -> Add(residual) -> Relu -> GlobalAveragePool -> Flatten
//   -> Gemm -> Softmax -> y[N,10]. After passes the first Relu is fused into its Conv.
// Cuts: after each node except between the second Conv and the Add (two tensors cross there).
inline std::shared_ptr<const ir::Graph> small_cnn() {
  ir::AttrMap gemm;
  gemm.set("transB", int64_t{1});
  ModelBuilder b("small_cnn");
  b.input("x", {-1, 3, 8, 8})
      .weight("w0", {8, 3, 3, 3}).weight("b0", {8})
      .weight("w1", {8, 8, 3, 3}).weight("b1", {8})
      .weight("fc_w", {10, 8}).weight("fc_b", {10})
      .node("Conv", {"x", "w0", "b0"}, "c0", conv_attrs(3, 1))
      .node("Relu", {"c0"}, "r0")
      .node("Conv", {"r0", "w1", "b1"}, "c1", conv_attrs(3, 1))
      .node("Add", {"r0", "c1"}, "sum")
      .node("Relu", {"sum"}, "r1")
      .node("GlobalAveragePool", {"r1"}, "pool")
      .node("Flatten", {"pool"}, "flat")
      .node("Gemm", {"flat", "fc_w", "fc_b"}, "logits", gemm)
      .node("Softmax", {"logits"}, "y")
      .output("y");
  return b.build();
}

// x[N,16] -> Gemm+Relu -> Gemm -> Tanh -> Gemm -> y[N,8]: small and quick for stress tests.
inline std::shared_ptr<const ir::Graph> tiny_mlp() {
  ir::AttrMap gemm;
  gemm.set("transB", int64_t{1});
  ModelBuilder b("tiny_mlp");
  b.input("x", {-1, 16})
      .weight("w0", {32, 16}).weight("b0", {32})
      .weight("w1", {16, 32}).weight("b1", {16})
      .weight("w2", {8, 16}).weight("b2", {8})
      .node("Gemm", {"x", "w0", "b0"}, "h0", gemm)
      .node("Relu", {"h0"}, "a0")
      .node("Gemm", {"a0", "w1", "b1"}, "h1", gemm)
      .node("Tanh", {"h1"}, "a1")
      .node("Gemm", {"a1", "w2", "b2"}, "y", gemm)
      .output("y");
  return b.build();
}

// The model specialised per batch for inputs shaped like `sample` (dim 0 replaced).
inline plan::GraphForBatch graphs_for(std::shared_ptr<const ir::Graph> model, const Shape& sample) {
  return plan::specializing(model, {{model->inputs[0], sample}});
}

inline std::shared_ptr<const ir::Graph> at_batch(const plan::GraphForBatch& graphs, int64_t batch) {
  auto g = graphs(batch);
  EXPECT_TRUE(g.is_ok()) << g.status().to_string();
  return g.is_ok() ? *g : nullptr;
}

inline std::vector<plan::Unit> units(const std::string& spec) {
  auto u = plan::make_units(spec);
  EXPECT_TRUE(u.is_ok()) << spec << ": " << u.status().to_string();
  return u.is_ok() ? *u : std::vector<plan::Unit>{};
}

// Runs the whole specialised graph on one unit (no runtime): the reference outputs.
inline Result<std::vector<Tensor>> run_whole(const plan::Unit& unit, const ir::Graph& g,
                                             const std::vector<Tensor>& inputs) {
  TANDEM_ASSIGN_OR_RETURN(auto exe, unit.backend->compile(g, unit.options()));
  std::vector<Tensor> outs;
  std::vector<TensorView> in_views, out_views;
  for (const Tensor& t : inputs) in_views.push_back(t.view());
  for (const auto& o : g.outputs) {
    const ir::ValueInfo* vi = g.info(o);
    outs.emplace_back(vi->shape, vi->dtype);
    out_views.push_back(outs.back().view());
  }
  TANDEM_RETURN_IF_ERROR(exe->run(in_views, out_views));
  return outs;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a.data_as<float>()[i]) - b.data_as<float>()[i]));
  return worst;
}

// max_abs_diff over the largest |b| (at least 1). Two fp32 runs of one model on the cpu backend
// may run different kernels (its Winograd and layout choices are timed per compiled segment, and
// a plan compiles other segments than a single unit), which agree to ~1e-6 of the output's scale;
// a row mixed up or lost is off by the scale itself.
inline double max_scaled_diff(const Tensor& a, const Tensor& b) {
  double scale = 1;
  for (int64_t i = 0; i < b.numel(); ++i) scale = std::max(scale, std::abs(static_cast<double>(b.data_as<float>()[i])));
  return max_abs_diff(a, b) / scale;
}

}  // namespace tandem::plan_test

// Helpers for the every-op x every-backend tests: a builder for small specialised graphs
// (inputs with shapes, seeded random constants, typed attrs with everything resolved, every
// tensor's ValueInfo filled by hand), and compare_backends(), which runs a graph on the
// reference backend and on another backend and checks every element within the fp32 row of the
// tolerance table (ops/tolerance.h).
#pragma once

#include "common/random_tensor.h"
#include "ops/tolerance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "ir/graph.h"

namespace tandem::optest {

using test_common::random_tensor;

// Builds an ir::Graph node by node. Shapes are given, not inferred: the test states them.
class GraphBuilder {
 public:
  explicit GraphBuilder(uint32_t seed = 1234) : seed_(seed) { graph_.name = "test"; }

  GraphBuilder& input(const std::string& name, const Shape& shape, DType dtype = DType::kFloat32) {
    graph_.inputs.push_back(name);
    graph_.values[name] = ir::ValueInfo{dtype, shape, true};
    return *this;
  }
  // A constant with seeded random values in [lo, hi].
  GraphBuilder& weight(const std::string& name, const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
    return constant(name, random_tensor(shape, seed_++, lo, hi));
  }
  GraphBuilder& constant(const std::string& name, Tensor t) {
    graph_.values[name] = ir::ValueInfo{t.dtype(), t.shape(), true};
    graph_.initializers[name] = std::move(t);
    return *this;
  }
  // Declares a node output of another dtype than float32 before its node() (which then keeps it).
  GraphBuilder& value(const std::string& name, const Shape& shape, DType dtype) {
    graph_.values[name] = ir::ValueInfo{dtype, shape, true};
    return *this;
  }
  // One node; its outputs get `out_shapes` (float32 unless the value was declared before).
  GraphBuilder& node(const std::string& op_type, std::vector<std::string> inputs, std::vector<std::string> outputs,
                     ir::OpAttrs attrs, const std::vector<Shape>& out_shapes) {
    ir::Node n;
    n.name = op_type + "_" + std::to_string(graph_.nodes.size());
    n.op_type = op_type;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    n.attrs = std::move(attrs);
    for (size_t i = 0; i < n.outputs.size() && i < out_shapes.size(); ++i)
      if (!graph_.values.count(n.outputs[i])) graph_.values[n.outputs[i]] = ir::ValueInfo{DType::kFloat32, out_shapes[i], true};
    graph_.nodes.push_back(std::move(n));
    return *this;
  }
  GraphBuilder& output(const std::string& name) {
    graph_.outputs.push_back(name);
    return *this;
  }
  ir::Graph build() const { return graph_; }

 private:
  ir::Graph graph_;
  uint32_t seed_;
};

// Seeded random values for every graph input.
inline std::vector<Tensor> random_inputs(const ir::Graph& g, uint32_t seed = 99) {
  std::vector<Tensor> v;
  for (const auto& name : g.inputs) v.push_back(random_tensor(g.values.at(name).shape, seed++));
  return v;
}

inline std::vector<TensorView> views_of(const std::vector<Tensor>& ts) {
  std::vector<TensorView> v;
  for (const auto& t : ts) v.push_back(t.view());
  return v;
}

// Compiles `g` on an existing backend and runs it once; outputs have the graph's output shapes.
inline Result<std::vector<Tensor>> run_on(const Backend& backend, const ir::Graph& g, const std::vector<Tensor>& inputs,
                                          const UnitOptions& options = {}) {
  for (const auto& n : g.nodes) {
    Status st = backend.supports(g, n);
    if (!st.is_ok()) return st.with_context(std::string(backend.name()) + " refuses node '" + n.name + "'");
  }
  TANDEM_ASSIGN_OR_RETURN(auto exe, backend.compile(g, options));
  std::vector<Tensor> outs;
  for (const auto& name : g.outputs) outs.push_back(Tensor::zeros(g.values.at(name).shape, g.values.at(name).dtype));
  auto in_views = views_of(inputs);
  auto out_views = views_of(outs);
  TANDEM_RETURN_IF_ERROR(exe->run(in_views, out_views));
  return outs;
}

inline Result<std::vector<Tensor>> run_on(std::string_view kind, const ir::Graph& g, const std::vector<Tensor>& inputs) {
  TANDEM_ASSIGN_OR_RETURN(auto backend, make_backend(kind));
  return run_on(*backend, g, inputs);
}

// Every element of `got` within the fp32 row of the tolerance table (of another dtype than
// float32: equal); names the first bad element.
inline ::testing::AssertionResult all_close(const Tensor& want, const Tensor& got, const std::string& what) {
  return within(kFp32Tol, want, got, what);
}

// Runs `g` on the reference backend and on `kind` with the same inputs and compares every output.
inline ::testing::AssertionResult compare_backends(const ir::Graph& g, std::string_view kind,
                                                   const std::vector<Tensor>& inputs) {
  auto ref = run_on("reference", g, inputs);
  if (!ref.is_ok()) return ::testing::AssertionFailure() << "reference: " << ref.status().to_string();
  auto got = run_on(kind, g, inputs);
  if (!got.is_ok()) return ::testing::AssertionFailure() << kind << ": " << got.status().to_string();
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    auto r = all_close((*ref)[i], (*got)[i], std::string(kind) + " output '" + g.outputs[i] + "'");
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult compare_backends(const ir::Graph& g, std::string_view kind) {
  return compare_backends(g, kind, random_inputs(g));
}

// A Reduce* node's attributes, axes resolved.
inline ir::ReduceAttrs reduce_attrs(ir::ReduceKind k, std::vector<int64_t> axes, bool keepdims) {
  ir::ReduceAttrs a;
  a.kind = k;
  a.axes = std::move(axes);
  a.keepdims = keepdims;
  return a;
}

// Output size of a window op along one dim (ONNX formula; ceil_mode rounds up).
inline int64_t window_out(int64_t in, int64_t k, int64_t stride, int64_t pad_begin, int64_t pad_end, int64_t dilation = 1,
                          bool ceil_mode = false) {
  const int64_t eff = (k - 1) * dilation + 1;
  const int64_t span = in + pad_begin + pad_end - eff;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // ONNX/PyTorch: the last window must start inside the input or its begin padding.
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

}  // namespace tandem::optest

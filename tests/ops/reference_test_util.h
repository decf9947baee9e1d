// Helpers for the reference kernel tests: one-node graphs, seeded random tensors, and an
// evaluator that runs a node through reference_evaluate_node.
#pragma once

#include "common/random_tensor.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backends/reference/reference_backend.h"
#include "ir/graph.h"

namespace tandem::testing {

// A graph with one node; inputs "in0", "in1", ... and outputs "out0", ...
struct OneNode {
  ir::Graph graph;
  ir::Node node;

  OneNode(std::string op_type, ir::OpAttrs attrs) {
    node.name = "n";
    node.op_type = std::move(op_type);
    node.attrs = std::move(attrs);
  }
  OneNode& input(const Shape& shape, DType dtype = DType::kFloat32) {
    const std::string name = "in" + std::to_string(node.inputs.size());
    node.inputs.push_back(name);
    graph.inputs.push_back(name);
    graph.values[name] = ir::ValueInfo{dtype, shape, true};
    return *this;
  }
  OneNode& absent_input() {
    node.inputs.push_back("");
    return *this;
  }
  OneNode& output(const Shape& shape, DType dtype = DType::kFloat32) {
    const std::string name = "out" + std::to_string(node.outputs.size());
    node.outputs.push_back(name);
    graph.outputs.push_back(name);
    graph.values[name] = ir::ValueInfo{dtype, shape, true};
    return *this;
  }
  ir::Graph finished() const {
    ir::Graph g = graph;
    g.nodes = {node};
    return g;
  }
  Result<std::vector<Tensor>> eval(const std::vector<Tensor>& inputs) const {
    return reference_evaluate_node(finished(), node, inputs);
  }
};

using test_common::random_tensor;

template <typename T>
Tensor tensor_of(const Shape& shape, DType dtype, const std::vector<T>& v) {
  return Tensor::from_vector<T>(shape, dtype, v);
}

inline void expect_near_all(const Tensor& got, const std::vector<float>& want, float tol = 1e-4f) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data_as<float>()[i], want[static_cast<size_t>(i)], tol + 1e-4f * std::abs(want[i])) << "at " << i;
}

}  // namespace tandem::testing

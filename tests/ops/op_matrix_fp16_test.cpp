// Every case of the op-test matrix is well posed in fp16, checked without a GPU: an ideal
// fp16-storage engine (the reference kernels in fp32 on inputs, weights and every node's output
// rounded to fp16, emulated here node by node) meets the fp16 column's tolerance with half of it
// to spare for a unit's own arithmetic. A case whose values fp16 cannot hold (a product of
// hundreds of values in [-1, 1] underflows to 0) fails here, on CI, instead of on the GPU machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "backends/reference/reference_backend.h"
#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::Column;

// Runs `g` node by node on the reference kernels, rounding every float32 tensor to fp16.
Result<std::vector<Tensor>> run_fp16_storage(const ir::Graph& g, const std::vector<Tensor>& inputs) {
  std::map<std::string, Tensor> values;
  for (size_t i = 0; i < g.inputs.size(); ++i) values[g.inputs[i]] = optest::rounded_to_half(inputs[i]);
  for (const auto& [name, t] : g.initializers) values[name] = optest::rounded_to_half(t);
  for (const auto& node : g.nodes) {
    std::vector<Tensor> ins;
    for (const auto& name : node.inputs) ins.push_back(name.empty() ? Tensor() : values.at(name));
    TANDEM_ASSIGN_OR_RETURN(auto outs, reference_evaluate_node(g, node, ins));
    for (size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k)
      values[node.outputs[k]] = optest::rounded_to_half(outs[k]);
  }
  std::vector<Tensor> outs;
  for (const auto& name : g.outputs) outs.push_back(values.at(name));
  return outs;
}

// A runner of the cuda fp16 column that compares the emulated engine with the reference.
class Fp16StorageRunner : public optest::CaseRunner {
 public:
  const Column& column() const override { return column_; }
  void expect_refused(const ir::Graph&) override {}
  void check_repeatable(const ir::Graph&) override {}
  void skip(const std::string&) override {}
  void run_all() {
    for (const auto& c : optest::matrix_cases()) {
      case_ = &c;
      SCOPED_TRACE(c.suite + "." + c.name);
      c.body(*this);
    }
  }

 protected:
  void run_case(const ir::Graph& built, const std::vector<Tensor>& given, std::span<const std::string_view> may_refuse) override {
    if (std::find(may_refuse.begin(), may_refuse.end(), column_.backend) != may_refuse.end()) return;
    auto g = case_->prepare(built);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    std::vector<Tensor> inputs = given.empty() ? optest::random_inputs(*g) : given;
    for (auto& t : inputs) t = optest::rounded_to_half(t);  // as MatrixTest does in fp16
    ir::Graph rounded = *g;
    for (auto& [name, t] : rounded.initializers) t = optest::rounded_to_half(t);
    auto ref = optest::run_on("reference", rounded, inputs);
    ASSERT_TRUE(ref.is_ok()) << ref.status().to_string();
    auto got = run_fp16_storage(rounded, inputs);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    optest::Tolerance tol = optest::tolerance(Precision::kFloat16, optest::op_class_of(rounded));
    if (!tol.per_element()) tol.rel_l2 /= 2;
    for (size_t i = 0; i < g->outputs.size(); ++i)
      EXPECT_TRUE(optest::within(tol, (*ref)[i], (*got)[i], "ideal fp16 engine, output '" + g->outputs[i] + "'"))
          << ir::graph_to_string(*g);
  }

 private:
  Column column_{"cuda", Precision::kFloat16};
  const optest::MatrixCase* case_ = nullptr;
};

TEST(OpMatrixFp16, AnIdealFp16EngineMeetsEveryCaseWithMargin) {
  Fp16StorageRunner runner;
  runner.run_all();
}

}  // namespace
}  // namespace tandem

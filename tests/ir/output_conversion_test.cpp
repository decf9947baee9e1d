// convert_outputs(): a Cast to float16 or an ArgMax over axis 1 after each output it applies to,
// the output's name kept; the converted graph specialises (ArgMax's inference) and runs on the
// reference backend to the class map / fp16 values of the original outputs.
#include "ir/output_conversion.h"

#include <gtest/gtest.h>

#include <cstring>

#include "backends/reference/reference_backend.h"
#include "common/random_tensor.h"
#include "ir/specialize.h"

namespace tandem::ir {
namespace {

// x [N, 4, 3, 3] -> Relu -> "map" (rank 4); Gemm-free "vec": ReduceMean over 1..3 -> [N] (rank 1).
Graph two_outputs() {
  Graph g;
  g.name = "t";
  g.inputs = {"x"};
  g.values["x"] = ValueInfo{DType::kFloat32, {-1, 4, 3, 3}, true};
  Node relu;
  relu.name = "relu_0";
  relu.op_type = "Relu";
  relu.inputs = {"x"};
  relu.outputs = {"map"};
  relu.attrs = ActivationAttrs{{ActKind::kRelu}};
  g.nodes.push_back(relu);
  g.values["map"] = ValueInfo{DType::kFloat32, {-1, 4, 3, 3}, true};
  Node mean;
  mean.name = "mean_0";
  mean.op_type = "ReduceMean";
  mean.inputs = {"map"};
  mean.outputs = {"vec"};
  ReduceAttrs r;
  r.kind = ReduceKind::kMean;
  r.axes = {1, 2, 3};
  r.keepdims = false;
  mean.attrs = r;
  g.nodes.push_back(mean);
  g.values["vec"] = ValueInfo{DType::kFloat32, {-1}, true};
  g.outputs = {"map", "vec"};
  return g;
}

Result<std::vector<Tensor>> run_reference(const Graph& g, const Tensor& x) {
  TANDEM_ASSIGN_OR_RETURN(Graph s, specialize(g, {{"x", x.shape()}}, nullptr));
  TANDEM_ASSIGN_OR_RETURN(auto backend, make_reference_backend());
  TANDEM_ASSIGN_OR_RETURN(auto exe, backend->compile(s, UnitOptions{}));
  std::vector<Tensor> outs;
  for (const auto& name : s.outputs) outs.emplace_back(s.values.at(name).shape, s.values.at(name).dtype);
  std::vector<TensorView> in{x.view()}, ov;
  for (const auto& t : outs) ov.push_back(t.view());
  TANDEM_RETURN_IF_ERROR(exe->run(in, ov));
  return outs;
}

TEST(OutputConversion, ArgMaxAppliesToOutputsOfRankTwoOrMore) {
  Graph g = two_outputs();
  auto done = convert_outputs(g, OutputConversion::kArgMax);
  ASSERT_TRUE(done.is_ok()) << done.status().to_string();
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].name, "map");
  EXPECT_EQ((*done)[0].note, "argmax over axis 1 of float32 [?, 4, 3, 3]");
  EXPECT_EQ(g.outputs, (std::vector<std::string>{"map", "vec"}));
  EXPECT_EQ(g.values.at("map").dtype, DType::kInt64);
  EXPECT_EQ(g.values.at("map").shape, (Shape{-1, 3, 3}));
  EXPECT_EQ(g.values.at("vec").dtype, DType::kFloat32) << "rank 1: left as it is";
  ASSERT_TRUE(g.verify().is_ok()) << g.verify().to_string();

  const Tensor x = test_common::random_tensor({2, 4, 3, 3}, 5, -1.0f, 1.0f);
  auto before = run_reference(two_outputs(), x);
  auto after = run_reference(g, x);
  ASSERT_TRUE(before.is_ok()) << before.status().to_string();
  ASSERT_TRUE(after.is_ok()) << after.status().to_string();
  const Tensor& logits = (*before)[0];
  const Tensor& classes = (*after)[0];
  ASSERT_EQ(classes.shape(), (Shape{2, 3, 3}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 9; ++i) {
      int64_t best = 0;  // Relu makes ties at 0: the first index wins
      for (int64_t c = 1; c < 4; ++c)
        if (logits.data_as<float>()[(b * 4 + c) * 9 + i] > logits.data_as<float>()[(b * 4 + best) * 9 + i]) best = c;
      EXPECT_EQ(classes.data_as<int64_t>()[b * 9 + i], best) << "image " << b << " pixel " << i;
    }
  EXPECT_EQ(0, std::memcmp((*before)[1].data(), (*after)[1].data(), (*before)[1].nbytes()));
}

TEST(OutputConversion, Fp16CastsEveryFloatOutput) {
  Graph g = two_outputs();
  auto done = convert_outputs(g, OutputConversion::kFloat16);
  ASSERT_TRUE(done.is_ok()) << done.status().to_string();
  EXPECT_EQ(done->size(), 2u);
  const Tensor x = test_common::random_tensor({1, 4, 3, 3}, 6, -1.0f, 1.0f);
  auto before = run_reference(two_outputs(), x);
  auto after = run_reference(g, x);
  ASSERT_TRUE(before.is_ok() && after.is_ok());
  for (size_t k = 0; k < 2; ++k) {
    ASSERT_EQ((*after)[k].dtype(), DType::kFloat16);
    for (int64_t i = 0; i < (*before)[k].numel(); ++i)
      EXPECT_EQ((*after)[k].data_as<uint16_t>()[i], float_to_half((*before)[k].data_as<float>()[i]));
  }
}

TEST(OutputConversion, RefusesWhenNoOutputQualifies) {
  Graph g = two_outputs();
  g.outputs = {"vec"};
  auto done = convert_outputs(g, OutputConversion::kArgMax);
  ASSERT_FALSE(done.is_ok());
  EXPECT_EQ(done.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(done.status().message().find("rank >= 2"), std::string::npos) << done.status().message();
  EXPECT_NE(done.status().message().find("vec float32 [?]"), std::string::npos) << done.status().message();
  EXPECT_EQ(done.status().message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace tandem::ir

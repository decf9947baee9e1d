// fuse_layer_norm: the decomposed form (ReduceMean, Sub, Pow or Mul, ReduceMean, Add, Sqrt, Div,
// then Mul(gamma) and Add(beta)) becomes one LayerNormalization; near misses are left alone.
// Pow and Sqrt have no typed attributes (std::monostate); the fused graph is checked against the
// formula, since it is the only one the reference backend can run whatever ops it knows.
#include <cmath>

#include "ir/passes/passes.h"
#include "pass_test_util.h"

namespace tandem::ir {
namespace {

using pass_test::GraphBuilder;

ReduceAttrs mean_over(std::vector<int64_t> axes) {
  ReduceAttrs a;
  a.kind = ReduceKind::kMean;
  a.axes = std::move(axes);
  return a;
}

struct Decomposed {
  Shape x{2, 5, 8};
  std::vector<int64_t> axes{2}, var_axes{2};
  bool mul_square = false;  // Mul(d, d) instead of Pow(d, 2)
  bool gamma = true, beta = true;
  bool mean_is_output = false;
  Shape gamma_shape, beta_shape;  // empty: X.shape[axis:]
};

Graph decomposed(const Decomposed& c) {
  Shape stats = c.x, var_stats = c.x;
  for (int64_t a : c.axes) stats[static_cast<size_t>(a < 0 ? a + 3 : a)] = 1;
  for (int64_t a : c.var_axes) var_stats[static_cast<size_t>(a < 0 ? a + 3 : a)] = 1;
  const Shape inner(c.x.begin() + 3 - static_cast<int64_t>(c.axes.size()), c.x.end());
  GraphBuilder b;
  b.input("x", c.x).scalar("two", 2.0f).scalar("eps", 1e-3f, {1}).weight("gamma", c.gamma_shape.empty() ? inner : c.gamma_shape)
      .weight("beta", c.beta_shape.empty() ? inner : c.beta_shape);
  b.node("ReduceMean", {"x"}, "m", stats, mean_over(c.axes));
  b.binary("Sub", {"x", "m"}, "d", c.x);
  if (c.mul_square) b.binary("Mul", {"d", "d"}, "d2", c.x);
  else b.node("Pow", {"d", "two"}, "d2", c.x);
  b.node("ReduceMean", {"d2"}, "v", var_stats, mean_over(c.var_axes));
  b.binary("Add", {"v", "eps"}, "ve", var_stats);
  b.node("Sqrt", {"ve"}, "s", var_stats);
  b.binary("Div", {"d", "s"}, c.gamma || c.beta ? "n" : "y", c.x);
  if (c.gamma) b.binary("Mul", {"gamma", "n"}, c.beta ? "ng" : "y", c.x);
  if (c.beta) b.binary("Add", {c.gamma ? "ng" : "n", "beta"}, "y", c.x);
  b.output("y");
  if (c.mean_is_output) b.output("m");
  return b.build();
}

// `g`'s output is layer normalisation over the last `n` elements of each row, with the constants
// gamma and beta of `before` (broadcast along the row: n, or one element, per row).
void expect_layer_norm_values(const Graph& before, const Graph& g, int64_t n, bool gamma, bool beta) {
  auto got = pass_test::run_reference(g, 7);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string() << "\n" << graph_to_string(g);
  const Tensor x = pass_test::random_tensor(g.values.at("x").shape, 7, -3.0f, 3.0f);  // run_reference's input
  const Tensor& gt = *before.constant("gamma");
  const Tensor& btt = *before.constant("beta");
  auto gm = [&](int64_t j) { return gt.data_as<float>()[j % gt.numel()]; };
  auto bt = [&](int64_t j) { return btt.data_as<float>()[j % btt.numel()]; };
  const float* y = (*got)[0].data_as<float>();
  for (int64_t r = 0; r < x.numel() / n; ++r) {
    const float* row = x.data_as<float>() + r * n;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j) mean += row[j] / double(n);
    for (int64_t j = 0; j < n; ++j) var += (row[j] - mean) * (row[j] - mean) / double(n);
    for (int64_t j = 0; j < n; ++j) {
      const double want = (row[j] - mean) / std::sqrt(var + 1e-3) * (gamma ? gm(j) : 1.0) + (beta ? bt(j) : 0.0);
      ASSERT_NEAR(y[r * n + j], want, 1e-4 + 1e-4 * std::fabs(want)) << "row " << r << " element " << j;
    }
  }
}

TEST(FuseLayerNormPass, PowFormWithGammaAndBeta) {
  const Graph before = decomposed({});
  Graph g = before;
  ASSERT_TRUE(fuse_layer_norm(g).is_ok());
  ASSERT_EQ(count_ops(g), (std::map<std::string, int>{{"LayerNormalization", 1}})) << graph_to_string(g);
  const Node& ln = g.nodes[0];
  EXPECT_EQ(ln.inputs, (std::vector<std::string>{"x", "gamma", "beta"}));
  EXPECT_EQ(ln.outputs, std::vector<std::string>{"y"});
  const auto& a = std::get<LayerNormAttrs>(ln.attrs);
  EXPECT_EQ(a.axis, 2);
  EXPECT_FLOAT_EQ(a.epsilon, 1e-3f);
  for (const char* gone : {"m", "d", "d2", "v", "ve", "s", "n", "ng", "two", "eps"}) EXPECT_EQ(g.values.count(gone), 0u) << gone;
  EXPECT_TRUE(g.verify().is_ok());
  expect_layer_norm_values(before, g, 8, true, true);
}

TEST(FuseLayerNormPass, TwoTrailingAxesMulSquareNoAffine) {
  const Graph before =
      decomposed({.x = {2, 3, 4}, .axes = {-2, -1}, .var_axes = {1, 2}, .mul_square = true, .gamma = false, .beta = false});
  Graph g = before;
  ASSERT_TRUE(fuse_layer_norm(g).is_ok());
  ASSERT_EQ(count_ops(g), (std::map<std::string, int>{{"LayerNormalization", 1}})) << graph_to_string(g);
  const Node& ln = g.nodes[0];
  ASSERT_EQ(ln.inputs.size(), 2u);  // x and a ones Scale, no B
  const Tensor* scale = g.constant(ln.inputs[1]);
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->shape(), (Shape{3, 4}));
  EXPECT_EQ(std::get<LayerNormAttrs>(ln.attrs).axis, 1);
  expect_layer_norm_values(before, g, 12, false, false);
}

TEST(FuseLayerNormPass, BetaWithoutGamma) {
  const Graph before = decomposed({.gamma = false});
  Graph g = before;
  ASSERT_TRUE(fuse_layer_norm(g).is_ok());
  ASSERT_EQ(count_ops(g), (std::map<std::string, int>{{"LayerNormalization", 1}})) << graph_to_string(g);
  EXPECT_EQ(g.nodes[0].inputs.size(), 3u);
  EXPECT_EQ(g.nodes[0].inputs[2], "beta");
  expect_layer_norm_values(before, g, 8, false, true);
}

// A scalar gamma and a [1, C] beta become rows of C values (what cpu and cuda index).
TEST(FuseLayerNormPass, BroadcastParamsBecomeRows) {
  const Graph before = decomposed({.gamma_shape = {1}, .beta_shape = {1, 8}});
  Graph g = before;
  ASSERT_TRUE(fuse_layer_norm(g).is_ok());
  ASSERT_EQ(count_ops(g), (std::map<std::string, int>{{"LayerNormalization", 1}})) << graph_to_string(g);
  for (size_t i = 1; i < 3; ++i) {
    ASSERT_NE(g.constant(g.nodes[0].inputs[i]), nullptr);
    EXPECT_EQ(g.constant(g.nodes[0].inputs[i])->shape(), Shape{8});
  }
  expect_layer_norm_values(before, g, 8, true, true);
}

TEST(FuseLayerNormPass, NearMissesAreLeftAlone) {
  const Decomposed cases[] = {
      {.var_axes = {1}},                        // the variance over other axes than the mean
      {.axes = {1}, .var_axes = {1}},           // not the trailing axes
      {.mean_is_output = true},                 // the mean is read elsewhere
  };
  for (const auto& c : cases) {
    Graph g = decomposed(c);
    const auto before = count_ops(g);
    ASSERT_TRUE(fuse_layer_norm(g).is_ok());
    EXPECT_EQ(count_ops(g), before) << graph_to_string(g);
  }
}

TEST(FuseLayerNormPass, RunsInThePipeline) {
  Graph g = decomposed({});
  ASSERT_TRUE(run_passes(g).is_ok());
  EXPECT_EQ(count_ops(g), (std::map<std::string, int>{{"LayerNormalization", 1}})) << graph_to_string(g);
  PassOptions off;
  off.fuse_layer_norm = false;
  Graph kept = decomposed({});
  ASSERT_TRUE(run_passes(kept, off).is_ok());
  EXPECT_EQ(count_ops(kept).count("LayerNormalization"), 0u);
}

}  // namespace
}  // namespace tandem::ir

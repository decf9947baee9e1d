// specialize(): open dims fixed from input shapes, every op's inference, and constant folding
// of shape subgraphs (evaluated by the reference backend, so a wrong inferred shape fails the
// fold's own check).
#include "ir/specialize.h"

#include <gtest/gtest.h>

#include <cctype>

#include "backends/reference/reference_backend.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

class GraphBuilder {
 public:
  explicit GraphBuilder(int opset) { g_.opset = opset; }

  void input(const std::string& name, Shape shape, DType dt = DType::kFloat32) {
    g_.inputs.push_back(name);
    g_.values[name] = ValueInfo{dt, std::move(shape), true};
  }
  void constant(const std::string& name, const Tensor& t) {
    g_.initializers[name] = t;
    g_.values[name] = ValueInfo{t.dtype(), t.shape(), true};
  }
  void ints(const std::string& name, const std::vector<int64_t>& v, bool scalar = false) {
    constant(name, Tensor::from_vector<int64_t>(scalar ? Shape{} : Shape{static_cast<int64_t>(v.size())},
                                                DType::kInt64, v));
  }
  void floats(const std::string& name, Shape shape, float start = 0.1f) {
    Tensor t(shape, DType::kFloat32);
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = start + 0.01f * static_cast<float>(i % 37);
    constant(name, t);
  }
  void node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
            AttrMap attrs = {}, std::string name = "") {
    Node n;
    n.name = name.empty() ? lower(op) + "_" + std::to_string(g_.nodes.size()) : name;
    n.op_type = op;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    const OpDef* def = find_op_def(op);
    if (!def) {
      ADD_FAILURE() << "no OpDef for " << op;
      return;
    }
    auto a = def->parse(attrs, g_.opset);
    if (!a.is_ok()) {
      ADD_FAILURE() << op << ": " << a.status().to_string();
      return;
    }
    n.attrs = *a;
    n.raw_attrs = std::move(attrs);
    g_.nodes.push_back(std::move(n));
  }
  void output(const std::string& name) { g_.outputs.push_back(name); }
  const Graph& graph() const { return g_; }

 private:
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  Graph g_;
};

AttrMap attrs_of(std::initializer_list<std::pair<const std::string, AttrValue>> kv) {
  AttrMap m;
  for (const auto& [k, v] : kv) m.set(k, v);
  return m;
}

const NodeEvaluator kEval = reference_evaluate_node;

void expect_all_known(const Graph& g) {
  for (const auto& n : g.nodes)
    for (const auto& o : n.outputs) {
      ASSERT_TRUE(g.info(o)) << o;
      EXPECT_TRUE(g.info(o)->fully_known()) << o << " " << shape_to_string(g.info(o)->shape);
    }
}

// x[N,3,8,8] -> Conv(4, 3x3, stride 2, pad 1) -> Relu -> MaxPool(2) -> GlobalAveragePool -> Flatten -> Gemm(10).
Graph small_cnn() {
  GraphBuilder b(13);
  b.input("x", {-1, 3, 8, 8});
  b.floats("w", {4, 3, 3, 3});
  b.floats("b", {4});
  b.floats("fc_w", {10, 4});
  b.floats("fc_b", {10});
  b.node("Conv", {"x", "w", "b"}, {"c"},
         attrs_of({{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}}), "conv");
  b.node("Relu", {"c"}, {"r"});
  b.node("MaxPool", {"r"}, {"p"}, attrs_of({{"kernel_shape", std::vector<int64_t>{2, 2}},
                                             {"strides", std::vector<int64_t>{2, 2}}}));
  b.node("GlobalAveragePool", {"p"}, {"gap"});
  b.node("Flatten", {"gap"}, {"f"});
  b.node("Gemm", {"f", "fc_w", "fc_b"}, {"y"}, attrs_of({{"transB", int64_t{1}}}));
  b.output("y");
  return b.graph();
}

TEST(Specialize, ResolvesShapesForTwoBatchSizes) {
  const Graph g = small_cnn();
  for (int64_t n : {1, 5}) {
    auto s = specialize(g, {{"x", {n, 3, 8, 8}}}, kEval);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    expect_all_known(*s);
    EXPECT_EQ(s->info("c")->shape, (Shape{n, 4, 4, 4}));
    EXPECT_EQ(s->info("p")->shape, (Shape{n, 4, 2, 2}));
    EXPECT_EQ(s->info("gap")->shape, (Shape{n, 4, 1, 1}));
    EXPECT_EQ(s->info("y")->shape, (Shape{n, 10}));
    EXPECT_EQ(s->nodes.size(), g.nodes.size());
  }
  // The source graph keeps its open dim.
  EXPECT_EQ(g.info("x")->shape, (Shape{-1, 3, 8, 8}));
}

TEST(Specialize, WrongInputShapeIsAClearError) {
  const Graph g = small_cnn();
  auto bad_dim = specialize(g, {{"x", {2, 4, 8, 8}}}, kEval);
  ASSERT_FALSE(bad_dim.is_ok());
  EXPECT_EQ(bad_dim.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_dim.status().message(), "input 'x': expected shape [?, 3, 8, 8], got [2, 4, 8, 8]");
  auto bad_rank = specialize(g, {{"x", {3, 8, 8}}}, kEval);
  ASSERT_FALSE(bad_rank.is_ok());
  EXPECT_EQ(bad_rank.status().message(), "input 'x': expected shape [?, 3, 8, 8], got [3, 8, 8]");
  auto missing = specialize(g, {}, kEval);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message(), "input 'x' is missing (expected shape [?, 3, 8, 8])");
  auto extra = specialize(g, {{"x", {1, 3, 8, 8}}, {"z", {1}}}, kEval);
  ASSERT_FALSE(extra.is_ok());
  EXPECT_NE(extra.status().message().find("'z' is not an input"), std::string::npos);
}

TEST(Specialize, InferErrorsNameTheNode) {
  GraphBuilder b(13);
  b.input("x", {1, 3, 8, 8});
  b.floats("w", {4, 2, 3, 3});
  b.node("Conv", {"x", "w"}, {"y"}, {}, "conv_bad");
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {1, 3, 8, 8}}}, kEval);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().message().rfind("node 'conv_bad' (Conv): ", 0), 0u) << s.status().message();
  EXPECT_NE(s.status().message().find("channels"), std::string::npos);
}

// PyTorch x.view(x.size(0), -1) (opset 13: Unsqueeze axes as an input).
Graph flatten_by_shape_subgraph() {
  GraphBuilder b(13);
  b.input("x", {-1, 3, -1, -1});
  b.node("Relu", {"x"}, {"r"});
  b.node("Shape", {"r"}, {"shp"});
  b.ints("zero", {0}, /*scalar=*/true);
  b.node("Gather", {"shp", "zero"}, {"n"}, attrs_of({{"axis", int64_t{0}}}));
  b.ints("ax0", {0});
  b.node("Unsqueeze", {"n", "ax0"}, {"n1"});
  b.ints("minus1", {-1});
  b.node("Concat", {"n1", "minus1"}, {"target"}, attrs_of({{"axis", int64_t{0}}}));
  b.node("Reshape", {"r", "target"}, {"y"}, {}, "reshape");
  b.output("y");
  return b.graph();
}

TEST(Specialize, ShapeSubgraphFoldsToConstantReshapeTarget) {
  const Graph g = flatten_by_shape_subgraph();
  for (Shape in : {Shape{2, 3, 4, 5}, Shape{7, 3, 2, 2}}) {
    auto s = specialize(g, {{"x", in}}, kEval);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    ASSERT_EQ(s->nodes.size(), 2u) << graph_to_string(*s);
    EXPECT_EQ(s->nodes[0].op_type, "Relu");
    const Node& r = s->nodes[1];
    EXPECT_EQ(r.op_type, "Reshape");
    const Shape want = {in[0], in[1] * in[2] * in[3]};
    EXPECT_EQ(std::get<ReshapeAttrs>(r.attrs).target, want);
    const Tensor* t = s->constant(r.inputs[1]);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->to_int_vector(), (std::vector<int64_t>{in[0], -1}));
    EXPECT_EQ(s->info("y")->shape, want);
    // The subgraph's constants and values are gone.
    EXPECT_EQ(s->constant("zero"), nullptr);
    EXPECT_EQ(s->info("shp"), nullptr);
    EXPECT_TRUE(s->verify().is_ok());
  }
}

// paddle2onnx style (opset 11): Shape -> Slice -> Cast -> Concat -> Reshape, Squeeze on int64,
// and Clip whose min/max are constants.
TEST(Specialize, PaddleStyleSubgraphAndClipBounds) {
  GraphBuilder b(11);
  b.input("x", {-1, 4, -1, -1});
  b.node("Shape", {"x"}, {"shp"});
  b.ints("st", {2});
  b.ints("en", {INT64_MAX});
  b.node("Slice", {"shp", "st", "en"}, {"hw"});
  b.node("Cast", {"hw"}, {"hw32"}, attrs_of({{"to", int64_t{6}}}));
  b.node("Cast", {"hw32"}, {"hw64"}, attrs_of({{"to", int64_t{7}}}));
  b.ints("n4", {-1, 4});
  b.node("Concat", {"n4", "hw64"}, {"target"}, attrs_of({{"axis", int64_t{0}}}));
  b.node("Reshape", {"x", "target"}, {"xr"});
  b.ints("first", {0});
  b.ints("one", {1});
  b.node("Slice", {"shp", "first", "one"}, {"n_1"});
  b.node("Squeeze", {"n_1"}, {"n_scalar"}, attrs_of({{"axes", std::vector<int64_t>{0}}}));
  b.constant("lo", Tensor::from_vector<float>({}, DType::kFloat32, {0.0f}));
  b.constant("hi", Tensor::from_vector<float>({}, DType::kFloat32, {6.0f}));
  b.node("Clip", {"xr", "lo", "hi"}, {"y"}, {}, "clip");
  b.output("y");
  b.output("n_scalar");
  auto s = specialize(b.graph(), {{"x", {3, 4, 5, 6}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->nodes.size(), 2u) << graph_to_string(*s);
  EXPECT_EQ(std::get<ReshapeAttrs>(s->nodes[0].attrs).target, (Shape{3, 4, 5, 6}));
  const auto& clip = std::get<ActivationAttrs>(s->nodes[1].attrs).act;
  EXPECT_EQ(clip.kind, ActKind::kClip);
  EXPECT_EQ(clip.alpha, 0.0f);
  EXPECT_EQ(clip.beta, 6.0f);
  // A folded graph output stays as a constant.
  ASSERT_NE(s->constant("n_scalar"), nullptr);
  EXPECT_EQ(s->constant("n_scalar")->shape(), Shape{});
  EXPECT_EQ(s->constant("n_scalar")->int_at(0), 3);
}

TEST(Specialize, ClipWithRuntimeBoundIsUnsupported) {
  GraphBuilder b(13);
  b.input("x", {2, 3});
  b.input("lo", {}, DType::kFloat32);
  b.node("Clip", {"x", "lo"}, {"y"}, {}, "clip");
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {2, 3}}, {"lo", {}}}, kEval);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("node 'clip' (Clip): Clip min must be a constant"), std::string::npos)
      << s.status().message();
}

TEST(Specialize, ReshapeFromRuntimeShapeIsAClearError) {
  GraphBuilder b(13);
  b.input("x", {2, 6});
  b.input("shape", {2}, DType::kInt64);
  b.node("Reshape", {"x", "shape"}, {"y"}, {}, "rs");
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {2, 6}}, {"shape", {2}}}, kEval);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("node 'rs' (Reshape): output 'y' has shape [?, ?]"), std::string::npos)
      << s.status().message();
}

TEST(Specialize, ResizeScalesAndSizes) {
  GraphBuilder b(13);
  b.input("x", {-1, 2, -1, -1});
  b.constant("sc", Tensor::from_vector<float>({4}, DType::kFloat32, {1.0f, 1.0f, 2.0f, 0.5f}));
  b.node("Resize", {"x", "", "sc"}, {"a"}, attrs_of({{"mode", std::string("linear")}}));
  b.ints("sz", {1, 2, 3, 3});
  b.node("Resize", {"x", "", "", "sz"}, {"c"});
  b.output("a");
  b.output("c");
  auto s = specialize(b.graph(), {{"x", {1, 2, 4, 6}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->info("a")->shape, (Shape{1, 2, 8, 3}));
  EXPECT_EQ(s->info("c")->shape, (Shape{1, 2, 3, 3}));
  EXPECT_EQ(std::get<ResizeAttrs>(s->nodes[1].attrs).scales, (std::vector<float>{1.0f, 1.0f, 0.75f, 0.5f}));
}

TEST(Specialize, Opset9UpsampleLayout) {
  GraphBuilder b(9);
  b.input("x", {1, 2, -1, -1});
  b.constant("sc", Tensor::from_vector<float>({4}, DType::kFloat32, {1.0f, 1.0f, 2.0f, 2.0f}));
  b.node("Resize", {"x", "sc"}, {"y"});
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {1, 2, 3, 5}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->info("y")->shape, (Shape{1, 2, 6, 10}));
}

// Folding evaluates each op with the reference kernels and checks their output against the
// inferred shape; these constant chains cover the foldable ops' inference.
TEST(Specialize, FoldsConstantChainsConsistently) {
  GraphBuilder b(13);
  b.input("x", {2});
  b.floats("m", {2, 3, 4});
  b.node("Transpose", {"m"}, {"t"}, attrs_of({{"perm", std::vector<int64_t>{2, 0, 1}}}));  // [4,2,3]
  b.ints("s_st", {3, -1});
  b.ints("s_en", {0, INT64_MIN});
  b.ints("s_ax", {0, 2});
  b.ints("s_sp", {-2, -1});
  b.node("Slice", {"t", "s_st", "s_en", "s_ax", "s_sp"}, {"sl"});  // [2,2,3]
  b.floats("bias", {3}, 1.0f);
  b.node("Add", {"sl", "bias"}, {"ad"});
  b.node("Flatten", {"ad"}, {"fl"}, attrs_of({{"axis", int64_t{2}}}));  // [4,3]
  b.ints("gi", {2, 0});
  b.node("Gather", {"fl", "gi"}, {"ga"}, attrs_of({{"axis", int64_t{1}}}));  // [4,2]
  b.ints("ua", {0, 3});
  b.node("Unsqueeze", {"ga", "ua"}, {"un"});  // [1,4,2,1]
  b.node("Squeeze", {"un"}, {"sq"});          // [4,2]
  b.node("Sigmoid", {"sq"}, {"sg"});
  b.node("Identity", {"sg"}, {"id"});
  b.node("Shape", {"id"}, {"ids"}, attrs_of({{"start", int64_t{-1}}}));  // [1] = {2}
  b.node("Cast", {"ids"}, {"idf"}, attrs_of({{"to", int64_t{1}}}));
  b.node("Mul", {"x", "idf"}, {"y"});
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {2}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->nodes.size(), 1u) << graph_to_string(*s);
  EXPECT_EQ(s->nodes[0].op_type, "Mul");
  const Tensor* idf = s->constant("idf");
  ASSERT_NE(idf, nullptr);
  EXPECT_EQ(idf->shape(), Shape{1});
  EXPECT_EQ(idf->float_at(0), 2.0);
}

// Reduce*: axes from the attribute (negative, keepdims 0), from ReduceSum's opset-13 input, no
// axes (every axis, or none with noop_with_empty_axes); the resolved axes are normalised.
TEST(Specialize, ReduceAxesFromAttributeAndInput) {
  GraphBuilder b(13);
  b.input("x", {-1, 8, -1, -1});
  b.node("ReduceMean", {"x"}, {"m"}, attrs_of({{"axes", std::vector<int64_t>{-1, -2}}, {"keepdims", int64_t{0}}}));
  b.ints("ax", {1});
  b.node("ReduceSum", {"x", "ax"}, {"s"});
  b.node("ReduceMax", {"x"}, {"all"}, attrs_of({{"keepdims", int64_t{0}}}));
  b.node("ReduceSum", {"x"}, {"same"}, attrs_of({{"noop_with_empty_axes", int64_t{1}}}));
  for (const char* o : {"m", "s", "all", "same"}) b.output(o);
  auto s = specialize(b.graph(), {{"x", {2, 8, 5, 6}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->info("m")->shape, (Shape{2, 8}));
  EXPECT_EQ(s->info("s")->shape, (Shape{2, 1, 5, 6}));
  EXPECT_EQ(s->info("all")->shape, Shape{});
  EXPECT_EQ(s->info("same")->shape, (Shape{2, 8, 5, 6}));
  EXPECT_EQ(std::get<ReduceAttrs>(s->nodes[0].attrs).axes, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::get<ReduceAttrs>(s->nodes[2].attrs).axes, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_TRUE(std::get<ReduceAttrs>(s->nodes[3].attrs).axes.empty());
}

TEST(Specialize, ReduceSumWithRuntimeAxesIsAClearError) {
  GraphBuilder b(13);
  b.input("x", {2, 6});
  b.input("axes", {1}, DType::kInt64);
  b.node("ReduceSum", {"x", "axes"}, {"y"}, {}, "rs");
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {2, 6}}, {"axes", {1}}}, kEval);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("node 'rs' (ReduceSum): output 'y' has shape [?, ?]"), std::string::npos)
      << s.status().message();
}

TEST(Specialize, ReduceAxesErrors) {
  for (const auto& [opset, attrs] : {std::pair<int, AttrMap>{13, attrs_of({{"axes", std::vector<int64_t>{2}}})},
                                     {11, attrs_of({{"axes", std::vector<int64_t>{0, -2}}})}}) {
    GraphBuilder b(opset);
    b.input("x", {2, 6});
    b.node("ReduceMean", {"x"}, {"y"}, attrs, "rm");
    b.output("y");
    auto s = specialize(b.graph(), {{"x", {2, 6}}}, kEval);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.status().message().find("node 'rm' (ReduceMean): axis"), std::string::npos) << s.status().message();
  }
}

// Shape arithmetic in int64 folds: numel = ReduceProd(Shape(x)), used as a Reshape target.
TEST(Specialize, IntegerReduceProdFolds) {
  GraphBuilder b(13);
  b.input("x", {-1, 3, 4});
  b.node("Shape", {"x"}, {"shp"});
  b.node("ReduceProd", {"shp"}, {"numel"});  // keepdims: [1]
  b.node("Reshape", {"x", "numel"}, {"y"});
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {5, 3, 4}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->nodes.size(), 1u) << graph_to_string(*s);
  EXPECT_EQ(s->info("y")->shape, Shape{60});
}

TEST(Specialize, LayerNormalizationOutputsAndBadScale) {
  GraphBuilder b(17);
  b.input("x", {-1, 7, 16});
  b.floats("g", {16});
  b.floats("bias", {16});
  b.node("LayerNormalization", {"x", "g", "bias"}, {"y", "mean", "inv"}, attrs_of({{"epsilon", 1e-6f}}));
  b.output("y");
  auto s = specialize(b.graph(), {{"x", {3, 7, 16}}}, kEval);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->info("y")->shape, (Shape{3, 7, 16}));
  EXPECT_EQ(s->info("mean")->shape, (Shape{3, 7, 1}));
  const auto& a = std::get<LayerNormAttrs>(s->nodes[0].attrs);
  EXPECT_EQ(a.axis, 2);
  EXPECT_FLOAT_EQ(a.epsilon, 1e-6f);

  GraphBuilder bad(17);
  bad.input("x", {2, 7, 16});
  bad.floats("g", {7});
  bad.node("LayerNormalization", {"x", "g"}, {"y"}, {}, "ln");
  bad.output("y");
  auto e = specialize(bad.graph(), {{"x", {2, 7, 16}}}, kEval);
  ASSERT_FALSE(e.is_ok());
  EXPECT_NE(e.status().message().find("node 'ln' (LayerNormalization): Scale [7] does not broadcast"), std::string::npos)
      << e.status().message();
}

}  // namespace
}  // namespace tandem::ir

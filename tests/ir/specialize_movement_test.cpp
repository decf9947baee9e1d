// specialize() on the data-movement ops: their attribute and input forms per opset, the errors
// inference reports, and the shape subgraphs exporters write around them (ViT's class token and
// patch flattening, torch's opset-11 Pad arithmetic, position ranges) folding to constants.
#include <gtest/gtest.h>

#include <climits>

#include "backends/reference/reference_backend.h"
#include "ir/ops/op_def.h"
#include "ir/specialize.h"

namespace tandem::ir {
namespace {

// Nodes parsed from raw attributes by their OpDef, as the importer does.
class Builder {
 public:
  explicit Builder(int opset) { g_.opset = opset; }
  Builder& input(const std::string& name, Shape shape, DType dt = DType::kFloat32) {
    g_.inputs.push_back(name);
    g_.values[name] = ValueInfo{dt, std::move(shape), true};
    return *this;
  }
  Builder& ints(const std::string& name, const std::vector<int64_t>& v, bool scalar = false) {
    return constant(name, Tensor::from_vector<int64_t>(scalar ? Shape{} : Shape{int64_t(v.size())}, DType::kInt64, v));
  }
  Builder& constant(const std::string& name, const Tensor& t) {
    g_.initializers[name] = t;
    g_.values[name] = ValueInfo{t.dtype(), t.shape(), true};
    return *this;
  }
  Builder& node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out, AttrMap attrs = {}) {
    Node n;
    n.name = op + "_" + std::to_string(g_.nodes.size());
    n.op_type = op;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    auto a = find_op_def(op)->parse(attrs, g_.opset);
    if (!a.is_ok()) ADD_FAILURE() << op << ": " << a.status().to_string();
    else n.attrs = *a;
    n.raw_attrs = std::move(attrs);
    g_.nodes.push_back(std::move(n));
    return *this;
  }
  Builder& output(const std::string& name) {
    g_.outputs.push_back(name);
    return *this;
  }
  const Graph& graph() const { return g_; }

 private:
  Graph g_;
};

AttrMap attrs(std::initializer_list<std::pair<const std::string, AttrValue>> kv) {
  AttrMap m;
  for (const auto& [k, v] : kv) m.set(k, v);
  return m;
}

Result<Graph> run(const Builder& b, const std::map<std::string, Shape>& shapes) {
  return specialize(b.graph(), shapes, reference_evaluate_node);
}

const Node* node_of(const Graph& g, const std::string& op) {
  for (const auto& n : g.nodes)
    if (n.op_type == op) return &n;
  return nullptr;
}

TEST(SpecializeMovement, SplitAttributeInputAndEqualForms) {
  Builder b11(11);
  b11.input("x", {-1, 6}).node("Split", {"x"}, {"a", "b"}, attrs({{"axis", int64_t{1}}, {"split", std::vector<int64_t>{2, 4}}}));
  b11.output("a").output("b");
  auto s11 = run(b11, {{"x", {3, 6}}});
  ASSERT_TRUE(s11.is_ok()) << s11.status().to_string();
  EXPECT_EQ(s11->info("b")->shape, (Shape{3, 4}));
  Builder b13(13);
  b13.input("x", {2, -1}).ints("sizes", {1, 5}).node("Split", {"x", "sizes"}, {"a", "b"}, attrs({{"axis", int64_t{-1}}}));
  b13.node("Split", {"x"}, {"c", "d", "e"}, attrs({{"axis", int64_t{1}}}));
  b13.output("a").output("b").output("c").output("d").output("e");
  auto s13 = run(b13, {{"x", {2, 6}}});
  ASSERT_TRUE(s13.is_ok()) << s13.status().to_string();
  EXPECT_EQ(std::get<SplitAttrs>(s13->nodes[0].attrs).split, (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(std::get<SplitAttrs>(s13->nodes[0].attrs).axis, 1);
  EXPECT_EQ(s13->info("e")->shape, (Shape{2, 2}));
  auto uneven = run(b13, {{"x", {2, 7}}});
  ASSERT_FALSE(uneven.is_ok());
  EXPECT_NE(uneven.status().message().find("add up to 6, the dim is 7"), std::string::npos) << uneven.status().message();
}

TEST(SpecializeMovement, PadAttributeAndInputForms) {
  Builder b9(9);
  b9.input("x", {1, 2, 3, 3});
  b9.node("Pad", {"x"}, {"y"}, attrs({{"pads", std::vector<int64_t>{0, 0, 1, 2, 0, 0, 3, 0}}, {"value", 1.5f}}));
  b9.output("y");
  auto s9 = run(b9, {{"x", {1, 2, 3, 3}}});
  ASSERT_TRUE(s9.is_ok()) << s9.status().to_string();
  EXPECT_EQ(s9->info("y")->shape, (Shape{1, 2, 7, 5}));
  EXPECT_EQ(std::get<PadAttrs>(s9->nodes[0].attrs).value, 1.5f);
  Builder b11(11);
  b11.input("x", {1, 2, 3, 3}).ints("pads", {0, 0, 2, 2, 0, 0, 2, 2});
  b11.constant("v", Tensor::from_vector<float>({}, DType::kFloat32, {-1.0f}));
  b11.node("Pad", {"x", "pads", "v"}, {"y"}, attrs({{"mode", std::string("reflect")}}));
  b11.output("y");
  auto s11 = run(b11, {{"x", {1, 2, 3, 3}}});
  ASSERT_TRUE(s11.is_ok()) << s11.status().to_string();
  EXPECT_EQ(std::get<PadAttrs>(s11->nodes[0].attrs).mode, PadMode::kReflect);
  EXPECT_EQ(s11->info("y")->shape, (Shape{1, 2, 7, 7}));
  Builder too_far(11);
  too_far.input("x", {1, 2, 3, 3}).ints("pads", {0, 0, 3, 0, 0, 0, 0, 0});
  too_far.node("Pad", {"x", "pads"}, {"y"}, attrs({{"mode", std::string("reflect")}})).output("y");
  auto bad = run(too_far, {{"x", {1, 2, 3, 3}}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("reflect pad 3 is not smaller than the dim (3)"), std::string::npos)
      << bad.status().message();
}

// torch.onnx (opset >= 11) F.pad(x, [1, 2]) without constant folding: the pads are arithmetic
// on the Python list (ConstantOfShape, Concat, Reshape, a reversing Slice, Transpose, Cast).
TEST(SpecializeMovement, TorchPadArithmeticFolds) {
  Builder b(13);
  b.input("x", {-1, 3, 4, 5}).ints("pad", {1, 2}).ints("eight", {8});
  b.node("Shape", {"pad"}, {"pad_len"});
  b.node("Sub", {"eight", "pad_len"}, {"ext"});
  Tensor zero = Tensor::from_vector<int64_t>({1}, DType::kInt64, {0});
  b.node("ConstantOfShape", {"ext"}, {"zeros"}, attrs({{"value", zero}}));
  b.node("Concat", {"pad", "zeros"}, {"flat"}, attrs({{"axis", int64_t{0}}}));
  b.ints("rows", {-1, 2}).node("Reshape", {"flat", "rows"}, {"pairs"});
  b.ints("st", {-1}).ints("en", {INT64_MIN}).ints("ax", {0}).ints("sp", {-1});
  b.node("Slice", {"pairs", "st", "en", "ax", "sp"}, {"flipped"});
  b.node("Transpose", {"flipped"}, {"cols"}, attrs({{"perm", std::vector<int64_t>{1, 0}}}));
  b.ints("minus1", {-1}).node("Reshape", {"cols", "minus1"}, {"pads"});
  b.node("Cast", {"pads"}, {"pads64"}, attrs({{"to", int64_t{7}}}));
  b.node("Pad", {"x", "pads64"}, {"y"}).output("y");
  auto s = run(b, {{"x", {2, 3, 4, 5}}});
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->nodes.size(), 1u) << graph_to_string(*s);
  EXPECT_EQ(std::get<PadAttrs>(s->nodes[0].attrs).pads, (std::vector<int64_t>{0, 0, 0, 1, 0, 0, 0, 2}));
  EXPECT_EQ(s->info("y")->shape, (Shape{2, 3, 4, 8}));
}

// ViT: patches flattened by a shape subgraph, the class token expanded to the batch, the
// token sequence built, x[:, 0] taken. Everything off the data path folds.
TEST(SpecializeMovement, VitTokenSubgraphsFold) {
  Builder b(13);
  b.input("x", {-1, 6, 2, 2});  // a patch embedding's output
  Tensor cls({1, 1, 6}, DType::kFloat32), pos({1, 5, 6}, DType::kFloat32);
  for (int64_t i = 0; i < 6; ++i) cls.data_as<float>()[i] = 0.1f * float(i);
  for (int64_t i = 0; i < 30; ++i) pos.data_as<float>()[i] = 0.01f * float(i);
  b.constant("cls", cls).constant("pos", pos);
  b.node("Shape", {"x"}, {"shp"});
  b.ints("zero", {0}, true).node("Gather", {"shp", "zero"}, {"n"}, attrs({{"axis", int64_t{0}}}));
  b.ints("ax0", {0}).node("Unsqueeze", {"n", "ax0"}, {"n1"});
  b.ints("six_m1", {6, -1}).node("Concat", {"n1", "six_m1"}, {"flat_shape"}, attrs({{"axis", int64_t{0}}}));
  b.node("Reshape", {"x", "flat_shape"}, {"flat"});
  b.node("Transpose", {"flat"}, {"tokens"}, attrs({{"perm", std::vector<int64_t>{0, 2, 1}}}));
  b.ints("one_six", {1, 6}).node("Concat", {"n1", "one_six"}, {"cls_shape"}, attrs({{"axis", int64_t{0}}}));
  b.node("Expand", {"cls", "cls_shape"}, {"cls_b"});
  b.node("Concat", {"cls_b", "tokens"}, {"seq"}, attrs({{"axis", int64_t{1}}}));
  b.node("Add", {"seq", "pos"}, {"seq_pos"});
  b.node("Gather", {"seq_pos", "zero"}, {"y"}, attrs({{"axis", int64_t{1}}})).output("y");
  for (int64_t n : {1, 3}) {
    auto s = run(b, {{"x", {n, 6, 2, 2}}});
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    // Left: Reshape, Transpose, Concat, Add, Gather. The Expand of the (constant) class token
    // folded too.
    EXPECT_EQ(s->nodes.size(), 5u) << graph_to_string(*s);
    EXPECT_EQ(node_of(*s, "Shape"), nullptr);
    ASSERT_NE(s->constant("cls_b"), nullptr);
    EXPECT_EQ(s->constant("cls_b")->shape(), (Shape{n, 1, 6}));
    EXPECT_EQ(std::get<ReshapeAttrs>(node_of(*s, "Reshape")->attrs).target, (Shape{n, 6, 4}));
    EXPECT_EQ(s->info("seq")->shape, (Shape{n, 5, 6}));
    EXPECT_EQ(s->info("y")->shape, (Shape{n, 6}));
  }
}

// Positions from the sequence length: Range over Shape, Cast, Unsqueeze, Tile to the batch;
// the whole chain is constant once shapes are known.
TEST(SpecializeMovement, RangeTileConstantOfShapeFold) {
  Builder b(13);
  b.input("x", {-1, -1});
  b.node("Shape", {"x"}, {"shp"});
  b.ints("zero", {0}, true).ints("one", {1}, true);
  b.node("Gather", {"shp", "one"}, {"len"}, attrs({{"axis", int64_t{0}}}));
  b.node("Range", {"zero", "len", "one"}, {"ids"});
  b.node("Cast", {"ids"}, {"idsf"}, attrs({{"to", int64_t{1}}}));
  b.ints("ax0", {0}).node("Unsqueeze", {"idsf", "ax0"}, {"row"});
  b.node("Gather", {"shp", "zero"}, {"n"}, attrs({{"axis", int64_t{0}}}));
  b.node("Unsqueeze", {"n", "ax0"}, {"n1"});
  b.ints("one1", {1}).node("Concat", {"n1", "one1"}, {"reps"}, attrs({{"axis", int64_t{0}}}));
  b.node("Tile", {"row", "reps"}, {"grid"});
  b.node("ConstantOfShape", {"shp"}, {"halves"}, attrs({{"value", Tensor::from_vector<float>({1}, DType::kFloat32, {0.5f})}}));
  b.node("Mul", {"grid", "halves"}, {"scaled"});
  b.node("Add", {"x", "scaled"}, {"y"}).output("y");
  auto s = run(b, {{"x", {2, 4}}});
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  ASSERT_EQ(s->nodes.size(), 1u) << graph_to_string(*s);
  const Tensor* scaled = s->constant("scaled");
  ASSERT_NE(scaled, nullptr);
  EXPECT_EQ(scaled->shape(), (Shape{2, 4}));
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(scaled->float_at(i), 0.5 * double(i % 4));
}

TEST(SpecializeMovement, ExpandAndTileErrors) {
  Builder e(13);
  e.input("x", {2, 3}).ints("shape", {4, 3}).node("Expand", {"x", "shape"}, {"y"}).output("y");
  auto s = run(e, {{"x", {2, 3}}});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("cannot be broadcast"), std::string::npos) << s.status().message();
  Builder t(13);
  t.input("x", {2, 3}).ints("reps", {2}).node("Tile", {"x", "reps"}, {"y"}).output("y");
  auto u = run(t, {{"x", {2, 3}}});
  ASSERT_FALSE(u.is_ok());
  EXPECT_NE(u.status().message().find("repeats has 1 values for rank 2"), std::string::npos) << u.status().message();
}

}  // namespace
}  // namespace tandem::ir

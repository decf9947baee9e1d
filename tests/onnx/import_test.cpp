// Importer tests: small ModelProtos built here, imported from bytes or from a temp file.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnx/import.h"
#include "onnx/model_builder.h"

namespace tandem {
namespace {

using testing::ModelBuilder;
using testing::random_floats;
namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tandem_onnx_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// x[N,3,8,8] -> Conv(3x3, pad 1, 4 out) -> Relu -> y.
ModelBuilder conv_relu_model(int opset = 13, int64_t channels_out = 4) {
  ModelBuilder b(opset);
  b.input("x", {-1, 3, 8, 8});
  b.init(ModelBuilder::float_tensor("w", {channels_out, 3, 3, 3}, random_floats(channels_out * 27, 1)));
  b.init(ModelBuilder::float_tensor("b", {channels_out}, random_floats(channels_out, 2), /*raw=*/false));
  auto* conv = b.node("Conv", {"x", "w", "b"}, {"c"}, "conv0");
  ModelBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  ModelBuilder::attr(conv, "kernel_shape", std::vector<int64_t>{3, 3});
  b.node("Relu", {"c"}, {"y"});  // unnamed: the importer invents a name
  b.output("y", {-1, channels_out, 8, 8});
  return b;
}

TEST(OnnxImport, ConvReluModel) {
  ModelBuilder b = conv_relu_model();
  auto g = import_onnx_bytes(b.bytes(), "conv_relu");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->opset, 13);
  EXPECT_EQ(g->inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g->outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(g->nodes.size(), 2u);
  EXPECT_EQ(g->nodes[0].name, "conv0");
  EXPECT_EQ(g->nodes[0].op_type, "Conv");
  EXPECT_EQ(g->nodes[1].op_type, "Relu");
  EXPECT_FALSE(g->nodes[1].name.empty());
  EXPECT_NE(g->nodes[1].name, g->nodes[0].name);
  const auto& c = std::get<ir::ConvAttrs>(g->nodes[0].attrs);
  EXPECT_EQ(c.pads, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(c.kernel_shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(std::get<ir::ActivationAttrs>(g->nodes[1].attrs).act.kind, ir::ActKind::kRelu);
  // Weights: raw_data and float_data both arrive intact.
  const Tensor* w = g->constant("w");
  const Tensor* bias = g->constant("b");
  ASSERT_TRUE(w && bias);
  EXPECT_EQ(w->shape(), (Shape{4, 3, 3, 3}));
  const auto wv = random_floats(4 * 27, 1), bv = random_floats(4, 2);
  EXPECT_EQ(std::memcmp(w->data(), wv.data(), wv.size() * 4), 0);
  EXPECT_EQ(std::memcmp(bias->data(), bv.data(), bv.size() * 4), 0);
  // Open batch dim -> -1; ONNX shape inference typed the intermediate value.
  ASSERT_TRUE(g->info("x") && g->info("c") && g->info("y"));
  EXPECT_EQ(g->info("x")->shape, (Shape{-1, 3, 8, 8}));
  EXPECT_EQ(g->info("c")->shape, (Shape{-1, 4, 8, 8}));
  EXPECT_TRUE(g->info("c")->rank_known);
  EXPECT_TRUE(g->verify().is_ok());
}

TEST(OnnxImport, ImportsFromFile) {
  const std::string path = temp_path("conv_relu.onnx");
  write_file(path, conv_relu_model().bytes());
  auto g = import_onnx_file(path);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->nodes.size(), 2u);
}

TEST(OnnxImport, ConstantNodesBecomeInitializers) {
  ModelBuilder b(13);
  b.input("x", {2, 3});
  b.constant("k", ModelBuilder::float_tensor("", {3}, {1.0f, 2.0f, 3.0f}));
  auto* c2 = b.node("Constant", {}, {"s"});
  ModelBuilder::attr(c2, "value_float", 0.5f);
  auto* c3 = b.node("Constant", {}, {"shape"});
  ModelBuilder::attr(c3, "value_ints", std::vector<int64_t>{3, 2});
  b.node("Add", {"x", "k"}, {"a"}, "add");
  b.node("Mul", {"a", "s"}, {"m"}, "mul");
  b.node("Reshape", {"m", "shape"}, {"y"}, "reshape");
  b.output("y", {3, 2});
  auto g = import_onnx_bytes(b.bytes(), "const");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 3u);
  for (const auto& n : g->nodes) EXPECT_NE(n.op_type, "Constant");
  ASSERT_TRUE(g->constant("k") && g->constant("s") && g->constant("shape"));
  EXPECT_EQ(g->constant("k")->to_int_vector(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(g->constant("s")->shape(), Shape{});
  EXPECT_FLOAT_EQ(static_cast<float>(g->constant("s")->float_at(0)), 0.5f);
  EXPECT_EQ(g->constant("shape")->dtype(), DType::kInt64);
  EXPECT_EQ(g->constant("shape")->to_int_vector(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(g->inputs, std::vector<std::string>{"x"});
}

TEST(OnnxImport, Opset9UpsampleBecomesResize) {
  ModelBuilder b(9);
  b.input("x", {1, 2, -1, -1});
  b.constant("scales", ModelBuilder::float_tensor("", {4}, {1.0f, 1.0f, 2.0f, 2.0f}));
  auto* up = b.node("Upsample", {"x", "scales"}, {"y"}, "up");
  ModelBuilder::attr(up, "mode", std::string("nearest"));
  b.output("y", {1, 2, -1, -1});
  auto g = import_onnx_bytes(b.bytes(), "upsample");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 1u);
  const auto& n = g->nodes[0];
  EXPECT_EQ(n.op_type, "Resize");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"x", "scales"}));
  const auto& r = std::get<ir::ResizeAttrs>(n.attrs);
  EXPECT_EQ(r.mode, "nearest");
  EXPECT_EQ(r.coordinate_transformation_mode, "asymmetric");
  EXPECT_EQ(r.nearest_mode, "floor");
}

TEST(OnnxImport, Opset9SoftmaxAndBatchNormSemantics) {
  ModelBuilder b(9);
  b.input("x", {2, 3, 4, 4});
  for (const char* p : {"s", "bb", "mean", "var"}) b.init(ModelBuilder::float_tensor(p, {3}, random_floats(3, 5)));
  auto* bn = b.node("BatchNormalization", {"x", "s", "bb", "mean", "var"}, {"n"}, "bn");
  ModelBuilder::attr(bn, "momentum", 0.9f);  // training-only attribute, ignored
  ModelBuilder::attr(bn, "epsilon", 1e-3f);
  b.node("Softmax", {"n"}, {"y"}, "sm");
  b.output("y", {2, 3, 4, 4});
  auto g = import_onnx_bytes(b.bytes(), "bn9");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_FLOAT_EQ(std::get<ir::BatchNormAttrs>(g->nodes[0].attrs).epsilon, 1e-3f);
  const auto& sm = std::get<ir::SoftmaxAttrs>(g->nodes[1].attrs);
  EXPECT_TRUE(sm.coerce_2d);
  EXPECT_EQ(sm.axis, 1);
}

// PyTorch (opset 9) style: x.view(x.size(0), -1) -> Shape, Gather, Unsqueeze, Concat, Reshape.
ModelBuilder pytorch_flatten_model() {
  ModelBuilder b(9, 4);
  b.input("x", {-1, 3, 4, 4});
  b.init(ModelBuilder::float_tensor("fc_w", {5, 48}, random_floats(240, 3)));
  b.init(ModelBuilder::float_tensor("fc_b", {5}, random_floats(5, 4)));
  b.node("Shape", {"x"}, {"shp"});
  b.constant("zero", ModelBuilder::int64_tensor("", {}, {0}));
  auto* gather = b.node("Gather", {"shp", "zero"}, {"n"});
  ModelBuilder::attr(gather, "axis", int64_t{0});
  auto* unsq = b.node("Unsqueeze", {"n"}, {"n1"});
  ModelBuilder::attr(unsq, "axes", std::vector<int64_t>{0});
  b.constant("minus1", ModelBuilder::int64_tensor("", {1}, {-1}));
  auto* cat = b.node("Concat", {"n1", "minus1"}, {"target"});
  ModelBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"x", "target"}, {"flat"});
  auto* gemm = b.node("Gemm", {"flat", "fc_w", "fc_b"}, {"y"});
  ModelBuilder::attr(gemm, "transB", int64_t{1});
  b.output("y", {-1, 5});
  return b;
}

TEST(OnnxImport, PytorchStyleShapeSubgraph) {
  auto g = import_onnx_bytes(pytorch_flatten_model().bytes(), "pt");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->opset, 9);
  ASSERT_EQ(g->nodes.size(), 6u);
  EXPECT_EQ(std::get<ir::SqueezeAttrs>(g->nodes[2].attrs).axes, std::vector<int64_t>{0});
  EXPECT_TRUE(std::get<ir::SqueezeAttrs>(g->nodes[2].attrs).unsqueeze);
  EXPECT_TRUE(std::get<ir::GemmAttrs>(g->nodes[5].attrs).trans_b);
  std::set<std::string> names;
  for (const auto& n : g->nodes) names.insert(n.name);
  EXPECT_EQ(names.size(), g->nodes.size());
}

// paddle2onnx style (opset 11): open H and W, the shape computed from the input and fed to Reshape.
TEST(OnnxImport, PaddleStyleReshapeWithOpenHW) {
  ModelBuilder b(11);
  b.input("image", {-1, 3, -1, -1});
  b.init(ModelBuilder::float_tensor("w", {8, 3, 1, 1}, random_floats(24, 7)));
  b.node("Conv", {"image", "w"}, {"feat"}, "conv");
  b.node("Shape", {"feat"}, {"fshape"}, "shape");
  b.init(ModelBuilder::int64_tensor("starts", {1}, {0}));
  b.init(ModelBuilder::int64_tensor("ends", {1}, {2}));
  b.init(ModelBuilder::int64_tensor("axes", {1}, {0}));
  b.node("Slice", {"fshape", "starts", "ends", "axes"}, {"nc"}, "slice");
  b.init(ModelBuilder::int64_tensor("tail", {1}, {-1}, /*raw=*/true));
  auto* cat = b.node("Concat", {"nc", "tail"}, {"target"}, "concat");
  ModelBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"feat", "target"}, {"y"}, "reshape");
  b.output("y", {-1, 8, -1});
  auto g = import_onnx_bytes(b.bytes(), "paddle");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->info("image")->shape, (Shape{-1, 3, -1, -1}));
  EXPECT_EQ(g->constant("tail")->to_int_vector(), std::vector<int64_t>{-1});
  EXPECT_EQ(g->nodes.size(), 5u);
  EXPECT_EQ(g->nodes.back().op_type, "Reshape");
}

// An SE-style mean (ReduceMean with the axes attribute), ReduceSum with its opset-13 axes input
// and LayerNormalization (opset 17) import with typed attributes and inferred shapes.
TEST(OnnxImport, ReductionsAndLayerNormalization) {
  ModelBuilder b(17);
  b.input("x", {-1, 4, 6, 6});
  b.init(ModelBuilder::int64_tensor("axes", {1}, {-1}));
  b.init(ModelBuilder::float_tensor("g", {6}, random_floats(6, 3)));
  b.init(ModelBuilder::float_tensor("beta", {6}, random_floats(6, 4)));
  auto* mean = b.node("ReduceMean", {"x"}, {"m"}, "se_mean");
  ModelBuilder::attr(mean, "axes", std::vector<int64_t>{2, 3});
  b.node("Mul", {"x", "m"}, {"s"});
  auto* sum = b.node("ReduceSum", {"s", "axes"}, {"r"}, "sum");
  ModelBuilder::attr(sum, "keepdims", int64_t{0});
  auto* ln = b.node("LayerNormalization", {"r", "g", "beta"}, {"y"}, "ln");
  ModelBuilder::attr(ln, "epsilon", 1e-6f);
  b.output("y", {-1, 4, 6});
  auto g = import_onnx_bytes(b.bytes(), "reduce_ln");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  ASSERT_EQ(g->nodes.size(), 4u);
  const auto& m = std::get<ir::ReduceAttrs>(g->nodes[0].attrs);
  EXPECT_EQ(m.kind, ir::ReduceKind::kMean);
  EXPECT_EQ(m.axes, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(m.keepdims);
  EXPECT_FALSE(m.axes_from_input);
  const auto& r = std::get<ir::ReduceAttrs>(g->nodes[2].attrs);
  EXPECT_EQ(r.kind, ir::ReduceKind::kSum);
  EXPECT_TRUE(r.axes_from_input);
  EXPECT_FALSE(r.keepdims);
  const auto& l = std::get<ir::LayerNormAttrs>(g->nodes[3].attrs);
  EXPECT_FLOAT_EQ(l.epsilon, 1e-6f);
  ASSERT_TRUE(g->info("m") && g->info("r"));
  EXPECT_EQ(g->info("m")->shape, (Shape{-1, 4, 1, 1}));
  EXPECT_EQ(g->info("r")->shape, (Shape{-1, 4, 6}));
}

TEST(OnnxImport, MissingFile) {
  auto g = import_onnx_file("/nonexistent/dir/model.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(g.status().message(), "/nonexistent/dir/model.onnx: no such file");
}

TEST(OnnxImport, GarbageBytes) {
  std::string junk = "this is not a model, just some text\n";
  for (float f : random_floats(64, 11)) junk += static_cast<char>(static_cast<int>((f + 1.0f) * 127.0f));
  const std::string path = temp_path("garbage.onnx");
  write_file(path, junk);
  auto g = import_onnx_file(path);
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("not an ONNX model"), std::string::npos) << g.status().message();
  EXPECT_EQ(g.status().message().find('\n'), std::string::npos);
  EXPECT_FALSE(import_onnx_bytes("", "empty").is_ok());
}

TEST(OnnxImport, TruncatedModel) {
  const std::string bytes = conv_relu_model(13, 64).bytes();
  const std::string path = temp_path("truncated.onnx");
  write_file(path, bytes.substr(0, bytes.size() / 2));
  auto g = import_onnx_file(path);
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("truncated"), std::string::npos) << g.status().message();
  EXPECT_NE(g.status().message().find(path), std::string::npos);
}

TEST(OnnxImport, UnsupportedOpsAreListedTogether) {
  ModelBuilder b(13);
  b.input("x", {1, 4});
  b.node("Relu", {"x"}, {"r"}, "ok");
  b.node("Foo", {"r"}, {"f"}, "bar");
  b.node("Bar", {"f"}, {"g"});
  b.node("Foo", {"g"}, {"y"}, "baz");
  b.output("y", {1, 4});
  auto g = import_onnx_bytes(b.bytes(), "m.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(g.status().message(),
            "m.onnx: unsupported ops 'Bar' (node '#2'), 'Foo' (node 'bar') (3 nodes in all)");
}

TEST(OnnxImport, SingleUnsupportedOpNamesNode) {
  ModelBuilder b(13);
  b.input("x", {1, 4});
  b.node("Foo", {"x"}, {"y"}, "bar");
  b.output("y", {1, 4});
  auto g = import_onnx_bytes(b.bytes(), "m.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().message(), "m.onnx: unsupported op 'Foo' (node 'bar')");
}

// FusedAttention is made by a pass; a file may not contain it (in any domain).
TEST(OnnxImport, InternalOpsAreRefused) {
  ModelBuilder b(13);
  b.input("x", {1, 4});
  b.node("FusedAttention", {"x", "x", "x"}, {"y"}, "att");
  b.output("y", {1, 4});
  auto g = import_onnx_bytes(b.bytes(), "m.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(g.status().message(), "m.onnx: unsupported op 'FusedAttention' (node 'att')");
}

TEST(OnnxImport, CheckerFailure) {
  ModelBuilder b(13);
  b.input("x", {1, 4});
  b.node("Relu", {"undefined_tensor"}, {"y"}, "r");
  b.output("y", {1, 4});
  auto g = import_onnx_bytes(b.bytes(), "bad.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.status().message().rfind("bad.onnx: ONNX checker: ", 0), 0u) << g.status().message();
  EXPECT_NE(g.status().message().find("undefined_tensor"), std::string::npos) << g.status().message();
  EXPECT_EQ(g.status().message().find('\n'), std::string::npos);
}

TEST(OnnxImport, ShapeInferenceFailure) {
  ModelBuilder b(13);
  b.input("x", {1, 4});
  b.init(ModelBuilder::float_tensor("w", {5, 6}, random_floats(30, 9)));
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");  // K mismatch: 4 vs 5
  b.output("y", {1, 6});
  auto g = import_onnx_bytes(b.bytes(), "si.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().message().rfind("si.onnx: ONNX shape inference: ", 0), 0u) << g.status().message();
}

TEST(OnnxImport, OpParseErrorNamesNode) {
  ModelBuilder b(13);
  b.input("x", {1, 3, 4, 4});
  auto* r = b.node("Resize", {"x", "", "sc"}, {"y"}, "rz");
  b.init(ModelBuilder::float_tensor("sc", {4}, {1, 1, 2, 2}));
  ModelBuilder::attr(r, "mode", std::string("cubic"));
  b.output("y", {1, 3, 8, 8});
  auto g = import_onnx_bytes(b.bytes(), "cubic.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(g.status().message().find("node 'rz' (Resize)"), std::string::npos) << g.status().message();
  EXPECT_NE(g.status().message().find("cubic"), std::string::npos);
}

TEST(OnnxImport, UnsupportedOpset) {
  ModelBuilder b(8, 3);
  b.input("x", {1, 4});
  b.node("Relu", {"x"}, {"y"}, "r");
  b.output("y", {1, 4});
  auto g = import_onnx_bytes(b.bytes(), "old.onnx");
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("opset 8 is not supported"), std::string::npos) << g.status().message();
}

TEST(OnnxImport, TypedInitializerFields) {
  ModelBuilder b(13);
  b.input("x", {2});
  onnx::TensorProto i8;
  i8.set_name("i8");
  i8.set_data_type(onnx::TensorProto::INT8);
  i8.add_dims(3);
  for (int v : {-5, 0, 7}) i8.add_int32_data(v);
  b.init(i8);
  onnx::TensorProto h;
  h.set_name("h");
  h.set_data_type(onnx::TensorProto::FLOAT16);
  h.add_dims(2);
  h.add_int32_data(float_to_half(1.5f));
  h.add_int32_data(float_to_half(-2.0f));
  b.init(h);
  onnx::TensorProto d;
  d.set_name("d");
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_dims(2);
  d.add_double_data(0.25);
  d.add_double_data(-8.0);
  b.init(d);
  b.node("Relu", {"x"}, {"y"}, "r");
  b.output("y", {2});
  auto g = import_onnx_bytes(b.bytes(), "typed");
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  EXPECT_EQ(g->constant("i8")->dtype(), DType::kInt8);
  EXPECT_EQ(g->constant("i8")->to_int_vector(), (std::vector<int64_t>{-5, 0, 7}));
  EXPECT_EQ(g->constant("h")->dtype(), DType::kFloat16);
  EXPECT_EQ(half_to_float(g->constant("h")->data_as<uint16_t>()[1]), -2.0f);
  EXPECT_EQ(g->constant("d")->float_at(1), -8.0);
  // Unused initializers are not graph inputs.
  EXPECT_EQ(g->inputs, std::vector<std::string>{"x"});
}

TEST(OnnxImport, RawDataSizeMismatchIsAnError) {
  ModelBuilder b(13);
  b.input("x", {3});
  auto t = ModelBuilder::float_tensor("w", {3}, {1, 2, 3});
  t.set_raw_data(t.raw_data().substr(0, 8));
  b.init(t);
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.output("y", {3});
  auto g = import_onnx_bytes(b.bytes(), "raw");
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("tensor 'w'"), std::string::npos) << g.status().message();
}

TEST(OnnxImport, LoadTensorProtoFile) {
  auto t = ModelBuilder::float_tensor("t", {2, 3}, random_floats(6, 21), /*raw=*/false);
  const std::string path = temp_path("tensor.pb");
  write_file(path, t.SerializeAsString());
  auto v = load_tensor_proto_file(path);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->shape(), (Shape{2, 3}));
  const auto want = random_floats(6, 21);
  EXPECT_EQ(std::memcmp(v->data(), want.data(), 24), 0);
  EXPECT_EQ(load_tensor_proto_file("/nonexistent/x.pb").status().code(), StatusCode::kNotFound);
}

TEST(OnnxImport, LoadsOnnxNodeTestData) {
  const fs::path dir = fs::path(TANDEM_ONNX_NODE_TESTS) / "test_relu" / "test_data_set_0";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is not installed";
  auto x = load_tensor_proto_file((dir / "input_0.pb").string());
  auto y = load_tensor_proto_file((dir / "output_0.pb").string());
  ASSERT_TRUE(x.is_ok() && y.is_ok()) << x.status().to_string() << y.status().to_string();
  ASSERT_EQ(x->shape(), y->shape());
  for (int64_t i = 0; i < x->numel(); ++i) EXPECT_EQ(y->float_at(i), std::max(0.0, x->float_at(i)));
  auto model = import_onnx_file((dir.parent_path() / "model.onnx").string());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ(model->nodes.at(0).op_type, "Relu");
}

}  // namespace
}  // namespace tandem

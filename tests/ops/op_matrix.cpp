#include "ops/op_matrix.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace tandem::optest {

std::string Column::name() const {
  if (precision == Precision::kFloat32) return backend;
  return backend + "_" + precision_name(precision);
}

std::vector<Column> matrix_columns() {
  // The precisions each backend claims (the unit spec's /fp16 and /tf32 change only cuda).
  return {{"cpu", Precision::kFloat32},
          {"cuda", Precision::kFloat32},
          {"cuda", Precision::kTF32},
          {"cuda", Precision::kFloat16}};
}

namespace {

std::vector<MatrixCase>& case_registry() {
  static std::vector<MatrixCase> cases;
  return cases;
}

bool contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

const std::vector<MatrixCase>& matrix_cases() { return case_registry(); }

bool register_matrix_case(const char* suite, const char* name, CaseBody body, PrepareGraph prepare) {
  case_registry().push_back(MatrixCase{suite, name, body, prepare});
  return true;
}

OpClass op_class_of(const ir::Graph& g) {
  static const std::set<std::string> kMovement = {"Split",   "Slice",   "Pad",       "Expand",  "Tile",
                                                  "Gather",  "GatherND", "Concat",   "Transpose", "Reshape",
                                                  "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"};
  for (const auto& n : g.nodes)
    if (!kMovement.count(n.op_type)) return OpClass::kArithmetic;
  return OpClass::kDataMovement;
}

Tensor rounded_to_half(const Tensor& t) {
  if (t.dtype() != DType::kFloat32) return t;
  Tensor r(t.shape(), DType::kFloat32);
  for (int64_t i = 0; i < t.numel(); ++i) r.data_as<float>()[i] = half_to_float(float_to_half(t.data_as<float>()[i]));
  return r;
}

void MatrixTest::SetUp() {
  const Column& c = column();
  options_.precision = c.precision;
  auto b = make_backend(c.backend);
  if (!b.is_ok()) GTEST_SKIP() << c.name() << ": " << b.status().message();
  backend_ = std::move(*b);
  // A backend built here may still lack its device (cuda on a machine without a GPU).
  ir::Graph probe = GraphBuilder()
                        .input("x", {1, 4})
                        .node("Relu", {"x"}, {"y"}, ir::ActivationAttrs{{ir::ActKind::kRelu}}, {{1, 4}})
                        .output("y")
                        .build();
  auto exe = backend_->compile(probe, options_);
  if (!exe.is_ok() && exe.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << c.name() << ": " << exe.status().message();
}

void MatrixTest::run_case(const ir::Graph& built, const std::vector<Tensor>& given,
                          std::span<const std::string_view> may_refuse) {
  const Column& c = column();
  auto prepared = prepare(built);
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().to_string() << "\n" << ir::graph_to_string(built);
  ir::Graph g = std::move(*prepared);
  SCOPED_TRACE(c.name() + ":\n" + ir::graph_to_string(g));
  for (const auto& n : g.nodes) {
    const Status st = backend_->supports(g, n);
    if (st.is_ok()) continue;
    EXPECT_TRUE(contains(may_refuse, c.backend) && st.code() == StatusCode::kUnsupported)
        << c.backend << " refuses " << n.op_type << ": " << st.to_string();
    return;
  }
  std::vector<Tensor> inputs = given.empty() ? random_inputs(g) : given;
  if (c.precision == Precision::kFloat16) {
    // The unit stores fp16: give the reference the values the unit sees, so that the error
    // measured is the unit's arithmetic (and a Floor or a Mod jumps at the same inputs).
    for (auto& t : inputs) t = rounded_to_half(t);
    for (auto& [name, t] : g.initializers) t = rounded_to_half(t);
  }
  auto ref = run_on("reference", g, inputs);
  ASSERT_TRUE(ref.is_ok()) << "reference: " << ref.status().to_string();
  auto got = run_on(*backend_, g, inputs, options_);
  ASSERT_TRUE(got.is_ok()) << c.name() << ": " << got.status().to_string();
  const Tolerance tol = tolerance(c.precision, op_class_of(g));
  for (size_t i = 0; i < g.outputs.size(); ++i)
    EXPECT_TRUE(within(tol, (*ref)[i], (*got)[i], c.name() + " output '" + g.outputs[i] + "'"));
}

void MatrixTest::expect_refused(const ir::Graph& built) {
  auto g = prepare(built);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  bool refused = false;
  for (const auto& n : g->nodes) {
    const Status st = backend_->supports(*g, n);
    if (st.is_ok()) continue;
    EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.to_string();
    EXPECT_FALSE(st.message().empty());
    refused = true;
  }
  EXPECT_TRUE(refused) << column().name() << " claims every node of\n" << ir::graph_to_string(*g);
}

void MatrixTest::check_repeatable(const ir::Graph& built) {
  auto g = prepare(built);
  ASSERT_TRUE(g.is_ok()) << g.status().to_string();
  auto exe = backend_->compile(*g, options_);
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  auto run = [&](uint32_t seed) {
    const auto in = random_inputs(*g, seed);
    std::vector<Tensor> outs;
    for (const auto& name : g->outputs) outs.push_back(Tensor::zeros(g->values.at(name).shape, g->values.at(name).dtype));
    auto iv = views_of(in);
    auto ov = views_of(outs);
    EXPECT_TRUE((*exe)->run(iv, ov).is_ok());
    return outs;
  };
  const auto a = run(1), b = run(2), c = run(1);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(a[i].data(), c[i].data(), a[i].nbytes())) << "output " << i << " changed between runs";
    EXPECT_NE(0, std::memcmp(a[i].data(), b[i].data(), a[i].nbytes())) << "output " << i << " ignores the input";
  }
}

void MatrixTest::skip(const std::string& reason) { GTEST_SKIP() << column().name() << ": " << reason; }

}  // namespace tandem::optest

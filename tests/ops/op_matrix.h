// The op-test matrix: every case x every column (a backend in a precision it claims: cpu fp32,
// cuda fp32 / tf32 / fp16) against the reference backend, within the column's row of the
// tolerance table (ops/tolerance.h).
//
// A case is a body that builds graphs and hands each to a CaseRunner:
//
//   TANDEM_MATRIX_CASE(BackendOps, ConvPlain) { r.check(conv_graph({})); }
//
// The macro registers the body (matrix_cases()) and makes it a TEST_P of its suite, a fixture
// derived from MatrixTest. The coverage test (op_coverage_test.cpp) runs every body with a
// runner that only collects the graphs it is handed (no device needed), and fails naming each
// op-table entry of each backend that no case runs, and each graph a column's backend would
// refuse where the case says it must run it.
#pragma once

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ops/op_test_util.h"

namespace tandem::optest {

// One column: a backend in one precision it claims.
struct Column {
  std::string backend;
  Precision precision = Precision::kFloat32;
  // "cpu", "cuda", "cuda_tf32", "cuda_fp16": the test name's suffix.
  std::string name() const;
};

// Every column of the matrix, whether or not this build or machine has the backend.
std::vector<Column> matrix_columns();

// What a case body asks of the column it runs in. Not thread-safe (one test at a time).
class CaseRunner {
 public:
  virtual ~CaseRunner() = default;

  virtual const Column& column() const = 0;

  // Runs `g` on the column and on the reference backend with `inputs` (empty: seeded random
  // values) and compares every output within the column's tolerance.
  void check(const ir::Graph& g, const std::vector<Tensor>& inputs = {}) { run_case(g, inputs, {}); }
  // As check(), but a backend named in `may_refuse` may refuse a node of `g` (kUnsupported).
  void check_unless_refused(const ir::Graph& g, std::initializer_list<std::string_view> may_refuse,
                            const std::vector<Tensor>& inputs = {}) {
    run_case(g, inputs, std::span<const std::string_view>(may_refuse.begin(), may_refuse.size()));
  }
  // The column's backend must refuse some node of `g`, with a reason.
  virtual void expect_refused(const ir::Graph& g) = 0;
  // Compiles `g` once and runs it on inputs seeded 1, 2, 1: the first and the last outputs are
  // bitwise equal, the second differs.
  virtual void check_repeatable(const ir::Graph& g) = 0;
  // Ends the case in this column (the body returns right after), with the reason.
  virtual void skip(const std::string& reason) = 0;

 protected:
  virtual void run_case(const ir::Graph& g, const std::vector<Tensor>& inputs,
                        std::span<const std::string_view> may_refuse) = 0;
};

using CaseBody = void (*)(CaseRunner&);
// The graph a case's graph runs as (its suite's MatrixTest::prepare_graph).
using PrepareGraph = Result<ir::Graph> (*)(const ir::Graph&);
struct MatrixCase {
  std::string suite;
  std::string name;
  CaseBody body;
  PrepareGraph prepare;
};

// Every case of this binary, in registration order (filled before main()).
const std::vector<MatrixCase>& matrix_cases();
bool register_matrix_case(const char* suite, const char* name, CaseBody body, PrepareGraph prepare);

// Data movement only (copies values: exact in every precision) or arithmetic.
OpClass op_class_of(const ir::Graph& g);

// `t` with every float32 value rounded to the nearest fp16 value (others unchanged).
Tensor rounded_to_half(const Tensor& t);

// The fixture of a matrix suite: one column per parameter. Skips, with one line, a column whose
// backend this build or machine lacks.
class MatrixTest : public ::testing::TestWithParam<Column>, public CaseRunner {
 public:
  // (default: `g` itself) The graph a case's graph runs as; a suite hides it to change that
  // (MovementOps specialises first).
  static Result<ir::Graph> prepare_graph(const ir::Graph& g) { return g; }

  const Column& column() const override { return GetParam(); }
  void expect_refused(const ir::Graph& g) override;
  void check_repeatable(const ir::Graph& g) override;
  void skip(const std::string& reason) override;
  void set_prepare(PrepareGraph prepare) { prepare_ = prepare; }

 protected:
  void SetUp() override;
  void run_case(const ir::Graph& g, const std::vector<Tensor>& inputs, std::span<const std::string_view> may_refuse) override;
  Result<ir::Graph> prepare(const ir::Graph& g) const { return prepare_ ? prepare_(g) : g; }

  std::unique_ptr<Backend> backend_;
  UnitOptions options_;
  PrepareGraph prepare_ = nullptr;
};

// For INSTANTIATE_TEST_SUITE_P(..., ::testing::ValuesIn(matrix_columns()), column_test_name).
inline std::string column_test_name(const ::testing::TestParamInfo<Column>& info) { return info.param.name(); }

}  // namespace tandem::optest

// Defines a case of `suite` (a MatrixTest fixture): the body that follows sees `r`, its runner.
#define TANDEM_MATRIX_CASE(suite, name)                                                              \
  void suite##_##name##_case(::tandem::optest::CaseRunner& r);                                      \
  [[maybe_unused]] const bool suite##_##name##_registered =                                         \
      ::tandem::optest::register_matrix_case(#suite, #name, &suite##_##name##_case, &suite::prepare_graph); \
  TEST_P(suite, name) {                                                                             \
    set_prepare(&suite::prepare_graph);                                                            \
    suite##_##name##_case(*this);                                                                   \
  }                                                                                                 \
  void suite##_##name##_case([[maybe_unused]] ::tandem::optest::CaseRunner& r)

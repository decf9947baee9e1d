// The op-test matrix covers every op table: each entry of each backend's table (reference, cpu,
// cuda when built) is run by at least one matrix case in each of the backend's columns, and each
// column's backend claims every graph a case says it must run (and refuses those it expects
// refused). Cases are not run here, and no device is needed: every case body is handed a runner
// that collects the op types of the graphs it checks in a column (not those it expects refused,
// nor those the column's backend is allowed to refuse) and asks the backend's claim
// (backend_supports) about each node.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::Column;

class OpTypeCollector : public optest::CaseRunner {
 public:
  explicit OpTypeCollector(Column column) : column_(std::move(column)) {}
  const Column& column() const override { return column_; }
  // Runs every case's body in this column.
  void collect_all() {
    for (const auto& c : optest::matrix_cases()) {
      case_ = &c;
      c.body(*this);
    }
    case_ = nullptr;
  }
  const std::set<std::string>& op_types() const { return op_types_; }
  // One line per graph the column's backend would refuse where it must run it, or claim where it
  // must refuse it.
  const std::string& wrong_claims() const { return wrong_claims_; }

  void expect_refused(const ir::Graph& g) override {
    if (refusal(g).empty()) note("claims every node of a graph it must refuse");
  }
  void check_repeatable(const ir::Graph& g) override { must_run(g); }
  void skip(const std::string&) override {}

 protected:
  void run_case(const ir::Graph& g, const std::vector<Tensor>&, std::span<const std::string_view> may_refuse) override {
    if (std::find(may_refuse.begin(), may_refuse.end(), column_.backend) == may_refuse.end()) must_run(g);
  }

 private:
  void must_run(const ir::Graph& g) {
    for (const auto& n : g.nodes) op_types_.insert(n.op_type);
    if (const std::string why = refusal(g); !why.empty()) note("refuses " + why);
  }
  // Why the column's backend refuses some node of the prepared `g` ("" when it claims them all).
  std::string refusal(const ir::Graph& built) {
    auto g = case_->prepare(built);
    if (!g.is_ok()) return "the graph: " + g.status().to_string();
    for (const auto& n : g->nodes)
      if (Status st = backend_supports(column_.backend, *g, n); !st.is_ok()) return n.op_type + " (" + st.message() + ")";
    return "";
  }
  void note(const std::string& what) {
    wrong_claims_ += "\n" + case_->suite + "." + case_->name + "/" + column_.name() + ": " + column_.backend + " " + what;
  }
  Column column_;
  const optest::MatrixCase* case_ = nullptr;
  std::set<std::string> op_types_;
  std::string wrong_claims_;
};

// The op types the matrix's cases run in `column`.
std::set<std::string> covered_in(const Column& column) {
  OpTypeCollector collector(column);
  collector.collect_all();
  return collector.op_types();
}

// The entries of `table` that are not in `covered`, comma-separated ("" when none).
std::string uncovered(const std::vector<std::string_view>& table, const std::set<std::string>& covered) {
  std::string missing;
  for (std::string_view op : table)
    if (!covered.count(std::string(op))) missing += (missing.empty() ? "" : ", ") + std::string(op);
  return missing;
}

TEST(OpMatrixCoverage, EveryOpTableEntryHasACaseInEveryColumn) {
  ASSERT_FALSE(optest::matrix_cases().empty());
  std::set<std::string> any_column;  // the reference backend runs in every column
  std::string report;
  for (const Column& column : optest::matrix_columns()) {
    auto table = backend_op_types(column.backend);
    if (!table.is_ok()) {
      std::printf("%s: %s (not in this build)\n", column.name().c_str(), table.status().message().c_str());
      continue;
    }
    const std::set<std::string> covered = covered_in(column);
    any_column.insert(covered.begin(), covered.end());
    if (const std::string missing = uncovered(*table, covered); !missing.empty())
      report += "\n" + column.name() + ": no matrix case runs " + missing;
  }
  auto reference = backend_op_types("reference");
  ASSERT_TRUE(reference.is_ok());
  // Ops only the reference interpreter runs (data-dependent shapes) have no other column to be
  // compared in; they are checked against onnxruntime instead (tests/e2e/detection_test.cpp,
  // tests/onnx/detection_ops_test.cpp) and count as covered here.
  for (const char* op : {"NonMaxSuppression"}) any_column.insert(op);
  if (const std::string missing = uncovered(*reference, any_column); !missing.empty())
    report += "\nreference: no matrix case runs " + missing;
  EXPECT_TRUE(report.empty()) << "op-table entries without a case in tests/ops:" << report;
}

// Without a device: what a column must run, its backend claims (a cuda case that would fail on
// the GPU machine at supports() fails here first).
TEST(OpMatrixCoverage, EveryColumnClaimsTheGraphsItMustRun) {
  std::string report;
  for (const Column& column : optest::matrix_columns()) {
    if (!backend_op_types(column.backend).is_ok()) continue;  // not in this build
    OpTypeCollector collector(column);
    collector.collect_all();
    report += collector.wrong_claims();
  }
  EXPECT_TRUE(report.empty()) << report;
}

// The check fails for an entry without a case (a new op added to a table and nothing else).
TEST(OpMatrixCoverage, NamesAnEntryWithoutACase) {
  const std::set<std::string> covered = covered_in(Column{"cpu", Precision::kFloat32});
  EXPECT_TRUE(covered.count("Conv"));
  EXPECT_EQ(uncovered({"Conv", "NoSuchOp", "Relu", "NorThisOne"}, covered), "NoSuchOp, NorThisOne");
}

// Every backend of this build lists its table without a device, each op type once.
TEST(OpMatrixCoverage, EveryBackendListsItsOpTable) {
  for (const std::string& kind : available_backends()) {
    SCOPED_TRACE(kind);
    auto table = backend_op_types(kind);
    ASSERT_TRUE(table.is_ok()) << table.status().to_string();
    EXPECT_GT(table->size(), 10u);
    const std::set<std::string_view> unique(table->begin(), table->end());
    EXPECT_EQ(unique.size(), table->size()) << "an op type is listed twice";
  }
  EXPECT_EQ(backend_op_types("no-such-backend").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tandem

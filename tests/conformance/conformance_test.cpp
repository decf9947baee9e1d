// ONNX backend node tests (Debian's libonnx-testdata) on every backend of this build.
// For each test the backend claims (every node of the specialised graph passes supports()),
// the outputs must match the ONNX reference outputs; a claim that fails is a test failure.
// Prints a per-op table: claimed, passed, failed, not claimed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "conformance/node_test_case.h"

namespace tandem::conformance {
namespace {

struct OpRow {
  int claimed = 0, passed = 0, failed = 0, not_claimed = 0;
};

void print_table(const std::string& backend, const std::map<std::string, OpRow>& rows, int import_failed) {
  std::printf("\nONNX node tests on backend '%s'\n%-36s %8s %7s %7s %12s\n", backend.c_str(), "op type", "claimed",
              "passed", "failed", "not claimed");
  OpRow total;
  for (const auto& [op, r] : rows) {
    std::printf("%-36s %8d %7d %7d %12d\n", op.c_str(), r.claimed, r.passed, r.failed, r.not_claimed);
    total.claimed += r.claimed, total.passed += r.passed, total.failed += r.failed, total.not_claimed += r.not_claimed;
  }
  std::printf("%-36s %8d %7d %7d %12d\n", "TOTAL", total.claimed, total.passed, total.failed, total.not_claimed);
  std::printf("(%d more tests did not import or specialise: an op, attribute or dtype the IR does not handle)\n\n", import_failed);
}

class OnnxNodeTests : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxNodeTests, ClaimedTestsMatchOnnxOutputs) {
  const std::string kind = GetParam();
  auto backend = make_backend(kind);
  if (!backend.is_ok()) GTEST_SKIP() << "backend '" << kind << "' unavailable: " << backend.status().message();
  const auto dirs = list_node_tests(TANDEM_ONNX_NODE_TESTS);
  if (dirs.empty()) GTEST_SKIP() << "no ONNX node tests in " << TANDEM_ONNX_NODE_TESTS << " (install libonnx-testdata)";
  std::map<std::string, OpRow> rows;
  int import_failed = 0;
  const bool verbose = std::getenv("TANDEM_CONFORMANCE_VERBOSE") != nullptr;  // test-only switch
  for (const auto& dir : dirs) {
    auto test = load_node_test(dir);
    if (!test.is_ok()) {
      ++import_failed;
      if (verbose) std::printf("import  %s: %s\n", dir.c_str(), test.status().message().c_str());
      continue;
    }
    const CaseResult r = run_node_test(**backend, *test);
    OpRow& row = rows[r.op_key];
    switch (r.outcome) {
      case Outcome::kNotClaimed:
        ++row.not_claimed;
        if (verbose) std::printf("refused %s: %s\n", r.test.c_str(), r.detail.c_str());
        break;
      case Outcome::kPassed: ++row.claimed, ++row.passed; break;
      case Outcome::kFailed:
        ++row.claimed, ++row.failed;
        ADD_FAILURE() << kind << ": " << r.test << " (" << r.op_key << "): " << r.detail;
        break;
      case Outcome::kImportFailed: ++import_failed; break;
    }
  }
  print_table(kind, rows, import_failed);
}

INSTANTIATE_TEST_SUITE_P(Backends, OnnxNodeTests, ::testing::Values("reference", "cpu", "cuda"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tandem::conformance

// The model zoo (tests/zoo/zoo.py: timm and torchvision architectures with seeded random weights)
// through the public Engine API on each unit, every output compared with onnxruntime's.
//
// Criteria, per output (relative L2 error against onnxruntime fp32):
//   fp32 units (reference, cpu, cuda:0):  <= kFp32RelL2, and no element off by more than
//                                         kFp32Abs + kFp32Rel * (|ref| + rms(ref))
//   cuda:0/tf32:                          <= the larger of kTf32RelL2 and kFp16Factor * PyTorch's
//                                         own TF32 error + kFp16Floor (zoo.py --torch-fp16)
//   cuda:0/fp16:                          <= kFp16Factor * PyTorch eager fp16's error against
//                                         fp32 on the same input + kFp16Floor (zoo.py
//                                         --torch-fp16 measures it on the GPU machine); without
//                                         that figure, <= kFp16RelL2
// A (model, unit) pair listed in tests/zoo/known_failures.tsv must fail with its listed reason:
// when it starts to pass, the test says so, and the line is to be removed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "backends/backend.h"
#include "core/npy.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

constexpr double kFp32RelL2 = 5e-4;  // torch and onnxruntime differ by up to 1e-4 on deep random-weight nets
constexpr double kFp32Abs = 1e-4;
constexpr double kFp32Rel = 2e-3;
constexpr double kTf32RelL2 = 1e-2;
constexpr double kFp16Factor = 1.5;
constexpr double kFp16Floor = 2e-3;
constexpr double kFp16RelL2 = 1e-2;

const char* const kCpuUnits[] = {"reference", "cpu"};
const char* const kGpuUnits[] = {"cuda:0", "cuda:0/tf32", "cuda:0/fp16"};

std::string zoo_dir() { return std::string(TANDEM_ZOO_DIR); }

nlohmann::json load_manifest() {
  std::ifstream f(zoo_dir() + "/manifest.json");
  if (!f) return nlohmann::json::object();
  return nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
}

const nlohmann::json& manifest() {
  static const nlohmann::json m = load_manifest();
  return m;
}

struct KnownFailure {
  std::string model, units, reason;
};

// tests/zoo/known_failures.tsv: model <TAB> unit prefix ("*" for all) <TAB> text the error contains.
std::vector<KnownFailure> load_known_failures() {
  std::vector<KnownFailure> v;
  std::ifstream f(std::string(TANDEM_SOURCE_DIR) + "/tests/zoo/known_failures.tsv");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    KnownFailure k;
    if (std::getline(ss, k.model, '\t') && std::getline(ss, k.units, '\t') && std::getline(ss, k.reason))
      v.push_back(k);
  }
  return v;
}

const KnownFailure* known_failure(const std::string& model, const std::string& units) {
  static const std::vector<KnownFailure> all = load_known_failures();
  for (const auto& k : all)
    if (k.model == model && (k.units == "*" || units.rfind(k.units, 0) == 0)) return &k;
  return nullptr;
}

const nlohmann::json* find_model(const std::string& name) {
  for (const auto& m : manifest()["models"])
    if (m.value("name", "") == name) return &m;
  return nullptr;
}

struct Errors {
  double rel_l2 = 0;
  int64_t bad = 0, worst = -1;
  double worst_got = 0, worst_want = 0;
};

Errors compare(const Tensor& got, const Tensor& want) {
  Errors e;
  const float* g = got.data_as<float>();
  const float* w = want.data_as<float>();
  double num = 0, den = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = double(g[i]) - w[i];
    num += d * d;
    den += double(w[i]) * w[i];
  }
  e.rel_l2 = std::isfinite(num) ? std::sqrt(num / std::max(den, 1e-30)) : INFINITY;
  const double rms = std::sqrt(den / double(std::max<int64_t>(want.numel(), 1)));
  double worst_excess = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double err = std::fabs(double(g[i]) - w[i]);
    const double tol = kFp32Abs + kFp32Rel * (std::fabs(double(w[i])) + rms);
    if (!(err <= tol)) {
      ++e.bad;
      if (!(err - tol <= worst_excess)) {
        worst_excess = err - tol;
        e.worst = i;
        e.worst_got = g[i];
        e.worst_want = w[i];
      }
    }
  }
  return e;
}

// The bound on an output's relative L2 error for `units`; `fp32` says whether the elementwise
// check applies too.
double rel_l2_bound(const nlohmann::json& m, const std::string& units, size_t output, bool& fp32) {
  fp32 = units.find("/fp16") == std::string::npos && units.find("/tf32") == std::string::npos;
  if (fp32) return kFp32RelL2;
  if (units.find("/tf32") != std::string::npos) {
    if (m.contains("torch_tf32_rel_l2") && output < m["torch_tf32_rel_l2"].size())
      return std::max(kTf32RelL2, kFp16Factor * m["torch_tf32_rel_l2"][output].get<double>() + kFp16Floor);
    return kTf32RelL2;
  }
  if (m.contains("torch_fp16_rel_l2") && output < m["torch_fp16_rel_l2"].size())
    return kFp16Factor * m["torch_fp16_rel_l2"][output].get<double>() + kFp16Floor;
  return kFp16RelL2;
}

// Loads and runs the model on `units`; the outputs, or the first error.
Result<std::vector<Tensor>> run_model(const nlohmann::json& m, const std::string& units, const Tensor& input) {
  auto engine = Engine::load(zoo_dir() + "/" + m["onnx"].get<std::string>(), {.units = units});
  if (!engine.is_ok()) return engine.status();
  return (*engine)->run({input});
}

// The reason GPU units are skipped here ("" when this build and machine have a GPU).
const std::string& no_gpu_reason() {
  static const std::string why = [] {
    auto b = make_backend("cuda");
    return b.is_ok() ? std::string() : b.status().message();
  }();
  return why;
}

using Param = std::tuple<std::string, std::string>;  // model, units

// Each test leaves <zoo>/results/<model>@<units>.json (status, error, errors per output) for
// tests/zoo/coverage.py, which writes the README's coverage table.
class Zoo : public ::testing::TestWithParam<Param> {
 protected:
  void TearDown() override {
    const auto& [name, units] = GetParam();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info->result()->Skipped()) return;
    result_["model"] = name;
    result_["units"] = units;
    result_["passed"] = !info->result()->Failed();
    std::string file = name + "@" + units;
    for (char& c : file)
      if (c == '/' || c == ':') c = '_';
    std::filesystem::create_directories(zoo_dir() + "/results");
    std::ofstream(zoo_dir() + "/results/" + file + ".json") << result_.dump(1) << "\n";
  }
  nlohmann::json result_;
};

TEST_P(Zoo, MatchesOnnxruntime) {
  const auto& [name, units] = GetParam();
  const nlohmann::json* mp = find_model(name);
  ASSERT_NE(mp, nullptr) << name << " is not in " << zoo_dir() << "/manifest.json";
  const nlohmann::json& m = *mp;
  ASSERT_FALSE(m.contains("error")) << name << ": the zoo could not build or export it: " << m["error"];
  if (units.rfind("cuda", 0) == 0 && !no_gpu_reason().empty()) GTEST_SKIP() << "cuda: " << no_gpu_reason();
  auto input = read_npy(zoo_dir() + "/" + m["input"].get<std::string>());
  ASSERT_TRUE(input.is_ok()) << input.status().message();
  const KnownFailure* known = known_failure(name, units);
  if (known) result_["known_failure"] = known->reason;
  // A known crash cannot be run to check that it still fails: it is skipped, loudly, until fixed.
  if (known && known->reason.rfind("crash:", 0) == 0)
    GTEST_SKIP() << name << " on " << units << ": known " << known->reason << " (tests/zoo/known_failures.tsv)";
  auto out = run_model(m, units, *input);
  if (!out.is_ok()) result_["error"] = out.status().message();
  if (known) {
    ASSERT_FALSE(out.is_ok()) << name << " on " << units << " now runs: remove its line from tests/zoo/known_failures.tsv"
                              << " (it was listed as failing with '" << known->reason << "')";
    EXPECT_NE(out.status().message().find(known->reason), std::string::npos)
        << "fails, but not as listed ('" << known->reason << "'): " << out.status().message();
    return;
  }
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  const auto& outs = m["outputs"];
  ASSERT_EQ(out->size(), outs.size());
  for (size_t k = 0; k < outs.size(); ++k) {
    SCOPED_TRACE(name + " on " + units + ", output '" + outs[k]["name"].get<std::string>() + "'");
    auto want = read_npy(zoo_dir() + "/" + outs[k]["file"].get<std::string>());
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    const Tensor& got = (*out)[k];
    ASSERT_EQ(got.dtype(), DType::kFloat32);
    ASSERT_EQ(shape_to_string(got.shape()), shape_to_string(want->shape()));
    bool fp32 = true;
    const double bound = rel_l2_bound(m, units, k, fp32);
    const Errors e = compare(got, *want);
    result_["rel_l2"].push_back(e.rel_l2);
    result_["bound"].push_back(bound);
    EXPECT_LE(e.rel_l2, bound) << "relative L2 error against onnxruntime";
    if (fp32)
      EXPECT_EQ(e.bad, 0) << e.bad << " of " << want->numel() << " elements off; worst at flat index " << e.worst
                          << ": got " << e.worst_got << ", onnxruntime " << e.worst_want;
  }
}

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (const auto& m : manifest().value("models", nlohmann::json::array())) {
    for (const char* u : kCpuUnits) v.emplace_back(m.value("name", "?"), u);
    for (const char* u : kGpuUnits) v.emplace_back(m.value("name", "?"), u);
  }
  return v;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string s = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo, ::testing::ValuesIn(all_params()), param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Zoo);

// The manifest must exist and list the zoo (an empty one would pass everything above vacuously).
TEST(ZooManifest, ListsAtLeast35Models) {
  ASSERT_TRUE(manifest().contains("models")) << zoo_dir() << "/manifest.json is missing: build the tandem_zoo target";
  EXPECT_GE(manifest()["models"].size(), 35u);
}

// The comparison can fail: a perturbed output is caught by both checks.
TEST(ZooCompare, CatchesASmallError) {
  Tensor want = Tensor::zeros({1000}, DType::kFloat32);
  for (int i = 0; i < 1000; ++i) want.data_as<float>()[i] = std::sin(0.1f * float(i));
  Tensor got = want.clone();
  EXPECT_EQ(compare(got, want).bad, 0);
  EXPECT_LE(compare(got, want).rel_l2, 1e-12);
  got.data_as<float>()[17] += 0.01f;
  EXPECT_GT(compare(got, want).bad, 0);
  got.data_as<float>()[17] = std::nanf("");
  EXPECT_GT(compare(got, want).rel_l2, kFp32RelL2);
}

}  // namespace
}  // namespace tandem

// `tandem tune` and the bench's --tuned / --simulate / --plot, run as a user would: a tuned plan
// saved for two CPU core groups runs with the single unit's outputs; the result files parse;
// bad input is one line and a non-zero exit.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_util.h"
#include "core/npy.h"
#include "tandem/tensor.h"

namespace tandem {
namespace {

using cli_test::CmdResult;
using cli_test::model;
using cli_test::quote;
using cli_test::slurp;
namespace fs = std::filesystem;

std::string profile(const std::string& name) { return std::string(TANDEM_SOURCE_DIR) + "/profiles/" + name; }

class TuneCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_tune_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& n) const { return (dir_ / n).string(); }

  CmdResult tandem(const std::vector<std::string>& args, const std::string& env = "") {
    return cli_test::run_tandem(args, dir_, 120, env);
  }
  void expect_one_line_error(const std::vector<std::string>& args, const std::string& needle, const std::string& env = "") {
    CmdResult r = tandem(args, env);
    SCOPED_TRACE(args.size() > 1 ? args[0] + " " + args[1] : args[0]);
    EXPECT_NE(r.rc, 0) << r.out;
    EXPECT_LT(r.rc, 124) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "want '" << needle << "' in: " << r.err;
  }
  fs::path dir_;
};

// Width and height from a PNG's IHDR, or {0, 0} when the file is not a PNG.
std::pair<uint32_t, uint32_t> png_size(const std::string& bytes) {
  static const std::string kSig("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 24 || bytes.compare(0, 8, kSig) != 0 || bytes.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

TEST_F(TuneCli, SavedPlanRunsWithTheSingleUnitsOutputs) {
  const std::string saved = path("plan.json");
  CmdResult r = tandem({"tune", model("paddle_style.onnx"), "--units", "cpu:0,cpu:1", "--shape", "1x3x64x64",
                        "--batches", "2,4", "--profile-batches", "1,2", "--max-cuts", "2", "--top", "2", "--rounds", "2",
                        "--seconds", "0.02", "--save", saved});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("profile: "), std::string::npos) << r.out;  // progress
  EXPECT_NE(r.out.find("chosen: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("measured"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(slurp(saved), nullptr, false);
  ASSERT_TRUE(j.is_object()) << slurp(saved);
  ASSERT_TRUE(j["stages"].is_array());
  EXPECT_TRUE(j["batch"] == 2 || j["batch"] == 4) << j["batch"];
  EXPECT_TRUE(j["tune"]["chosen"].contains("measured_images_per_s")) << j["tune"].dump(2);
  EXPECT_GE(j["tune"]["candidates"].size(), 2u);
  EXPECT_EQ(j["profile"]["format"], "tandem-profile");
  // Five images through the saved plan (its batch, a short last batch) and through cpu:0 alone.
  Tensor x({5, 3, 64, 64}, DType::kFloat32);
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  ASSERT_TRUE(write_npy(path("x.npy"), x).is_ok());
  CmdResult tuned = tandem({"run", model("paddle_style.onnx"), "--units", "cpu:0,cpu:1", "--plan", saved, "--input",
                            path("x.npy"), "--output", path("tuned.npy")});
  ASSERT_EQ(tuned.rc, 0) << tuned.err;
  EXPECT_NE(tuned.out.find("batches of " + std::to_string(j["batch"].get<int>())), std::string::npos)
      << tuned.out;  // the tuned batch, --batch not given
  CmdResult one = tandem({"run", model("paddle_style.onnx"), "--units", "cpu:0", "--input", path("x.npy"), "--output",
                          path("one.npy"), "--batch", "5"});
  ASSERT_EQ(one.rc, 0) << one.err;
  auto a = read_npy(path("tuned.npy"));
  auto b = read_npy(path("one.npy"));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ASSERT_EQ(a->shape(), b->shape());
  // To the output's scale: the plan's segments may run other (equally valid) cpu kernels than the
  // single unit's, each timed per compiled segment (Winograd, layouts).
  double worst = 0, scale = 1;
  for (int64_t i = 0; i < a->numel(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a->data_as<float>()[i]) - b->data_as<float>()[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b->data_as<float>()[i])));
  }
  EXPECT_LE(worst / scale, 1e-5);
}

// tune keeps its profile in the cache folder; the second tune reads it; tandem cache lists it and
// --clear removes it.
TEST_F(TuneCli, ProfileIsCachedListedAndCleared) {
  const std::string env = "TANDEM_CACHE_DIR=" + path("cache");
  const std::vector<std::string> args{"tune", model("paddle_style.onnx"), "--units", "cpu:0,cpu:1", "--shape", "1x3x32x32",
                                      "--batches", "2", "--profile-batches", "1,2", "--max-cuts", "1", "--top", "1",
                                      "--rounds", "1", "--seconds", "0.01"};
  CmdResult first = tandem(args, env);
  ASSERT_EQ(first.rc, 0) << first.err;
  EXPECT_NE(first.out.find("profile: measured"), std::string::npos) << first.out;
  CmdResult second = tandem(args, env);
  ASSERT_EQ(second.rc, 0) << second.err;
  EXPECT_NE(second.out.find("profile: cached"), std::string::npos) << second.out;
  CmdResult listed = tandem({"cache"}, env);
  EXPECT_NE(listed.out.find("a unit profile"), std::string::npos) << listed.out;
  CmdResult cleared = tandem({"cache", "--clear"}, env);
  EXPECT_NE(cleared.out.find("removed 1 file"), std::string::npos) << cleared.out;
  CmdResult third = tandem(args, env);
  EXPECT_NE(third.out.find("profile: measured"), std::string::npos) << third.out;
}

TEST_F(TuneCli, SimulatesAShippedJetsonProfile) {
  const std::string saved = path("orin.json");
  CmdResult r = tandem({"tune", "--profile", profile("jetson_agx_orin_resnet50.json"), "--simulate", "--batches",
                        "1,256,1024", "--save", saved});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("simulated"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(slurp(saved), nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["batch"], 1024) << r.out;  // large batches amortise the DLAs' fixed cost
  EXPECT_EQ(j["stages"][0]["end"], "pool") << r.out;  // the classifier stays off the DLAs
  EXPECT_EQ(j["stages"][0]["units"].size(), 3u) << r.out;
  CmdResult nx = tandem({"tune", "--profile", profile("jetson_xavier_nx_mobilenet.json"), "--simulate"});
  EXPECT_EQ(nx.rc, 0) << nx.err;
}

TEST_F(TuneCli, BadInputIsOneLine) {
  expect_one_line_error({"tune", model("paddle_style.onnx"), "--units", "cpu:0", "--batches", "1,x"}, "--batches");
  expect_one_line_error({"tune", "--profile", path("missing.json"), "--simulate"}, "missing.json");
  std::ofstream(path("bad.json")) << "{\"format\": \"tandem-profile\", \"format_version\": 1, \"units\": [{\"unit\": \"a\"}]}";
  expect_one_line_error({"tune", "--profile", path("bad.json"), "--simulate"}, "pieces");
  std::ofstream(path("garbage.json")) << "not json";
  expect_one_line_error({"bench", "--profile", path("garbage.json"), "--simulate"}, "not valid JSON");
  expect_one_line_error({"tune", model("paddle_style.onnx"), "--units", "cpu:0", "--latency-ms", "-1"}, "latency");
  // No python3 on the PATH: --plot says what it needs before anything runs.
  expect_one_line_error({"bench", "--profile", profile("jetson_xavier_nx_mobilenet.json"), "--simulate", "--plot",
                         path("p.png")}, "matplotlib", "PATH=/nonexistent");
}

// --simulate on a shipped profile: every file parses; the PNG is a real image of a sane size.
TEST_F(TuneCli, SimulatedBenchWritesPlotCsvJson) {
  const std::string png = path("nx.png"), csv = path("nx.csv"), js = path("nx.json");
  CmdResult r = tandem({"bench", "--profile", profile("jetson_xavier_nx_mobilenet.json"), "--simulate", "--batches",
                        "1,16,256,1024,2048", "--plot", png, "--csv", csv, "--json", js});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  const auto [w, h] = png_size(slurp(png));
  EXPECT_GE(w, 400u);
  EXPECT_GE(h, 300u);
  const auto j = nlohmann::json::parse(slurp(js), nullptr, false);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["rows"].size(), 5u);
  EXPECT_EQ(j["published"].size(), 2u);
  for (const auto& row : j["rows"]) EXPECT_GE(row["tuned_speedup"].get<double>(), 1.0 - 1e-9) << row.dump();
  const std::string c = slurp(csv);
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 6) << c;
  EXPECT_EQ(c.rfind("batch,", 0), 0u) << c;
}

// A measured bench with the tuned plan as a configuration, on two one-core units.
TEST_F(TuneCli, BenchWithTheTunedPlanWritesPlotCsvJson) {
  const std::string png = path("b.png"), csv = path("b.csv"), js = path("b.json");
  CmdResult r = tandem({"bench", model("paddle_style.onnx"), "--units", "cpu:0,cpu:1", "--shape", "1x3x64x64",
                        "--batches", "2,4", "--seconds", "0.05", "--tuned", "--profile-batches", "1,2", "--plot", png,
                        "--csv", csv, "--json", js});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_GE(png_size(slurp(png)).first, 400u);
  const auto j = nlohmann::json::parse(slurp(js), nullptr, false);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["rows"].size(), 2u);
  for (const auto& row : j["rows"]) {
    EXPECT_GT(row["tuned"].get<double>(), 0.0) << row.dump();
    EXPECT_GT(row["tuned_predicted"].get<double>(), 0.0) << row.dump();
    EXPECT_FALSE(row["tuned_plan"].get<std::string>().empty());
  }
  const std::string c = slurp(csv);
  EXPECT_NE(c.find("tuned_predicted"), std::string::npos) << c;
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 3) << c;
}

}  // namespace
}  // namespace tandem

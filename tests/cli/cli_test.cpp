// Runs the `tandem` binary (TANDEM_BINARY) as a user would. Bad input must give a non-zero
// exit and exactly one line on stderr that names the problem; good input must work.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "core/npy.h"
#include "core/npz.h"

namespace tandem {
namespace {

using cli_test::CmdResult;
using cli_test::model;
using cli_test::quote;
using cli_test::slurp;
namespace fs = std::filesystem;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tandem_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(TANDEM_BINARY)) << TANDEM_BINARY << " is missing: build the tandem_cli target";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `tandem <args>` with a 60 s limit, capturing exit code, stdout and stderr.
  CmdResult tandem(const std::vector<std::string>& args) { return cli_test::run_tandem(args, dir_, 60); }

  // The command must fail (not crash, not time out) with one stderr line containing every `needles`.
  void expect_one_line_error(const std::vector<std::string>& args, const std::vector<std::string>& needles) {
    CmdResult r = tandem(args);
    std::string cmd = "tandem";
    for (const auto& a : args) cmd += " " + a;
    SCOPED_TRACE(cmd);
    EXPECT_NE(r.rc, 0) << "stdout: " << r.out;
    EXPECT_LT(r.rc, 124) << "crashed or timed out (exit " << r.rc << "); stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr:\n" << r.err;
    EXPECT_FALSE(r.err.empty() || r.err.back() != '\n') << "stderr:\n" << r.err;
    for (const auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << "want '" << n << "' in: " << r.err;
  }

  std::string write_tensor(const std::string& name, const Tensor& t) {
    EXPECT_TRUE(write_npy(path(name), t).is_ok());
    return path(name);
  }

  fs::path dir_;
};

// The cpu backend's timed choices show with TANDEM_CUDA_CONV_LOG; TANDEM_OFF (and the older
// TANDEM_CUDA_OFF) turn them off.
TEST_F(CliTest, FeatureSwitchesReachTheCpuBackend) {
  const std::vector<std::string> args{"run", "--units", "cpu", "--iterations", "1", "--warmup", "0"};
  auto on = cli_test::run_tandem(args, dir_, 120, "TANDEM_CUDA_CONV_LOG=1 TANDEM_CACHE_DIR=none");
  ASSERT_EQ(on.rc, 0) << on.err;
  EXPECT_NE(on.err.find("tandem-cpu-layout:"), std::string::npos) << on.err;
  for (const char* var : {"TANDEM_OFF", "TANDEM_CUDA_OFF"}) {
    auto off = cli_test::run_tandem(args, dir_, 120, std::string("TANDEM_CUDA_CONV_LOG=1 TANDEM_CACHE_DIR=none ") + var + "=layout-choice");
    ASSERT_EQ(off.rc, 0) << off.err;
    EXPECT_EQ(off.err.find("tandem-cpu-layout:"), std::string::npos) << var << ": " << off.err;
  }
}

TEST_F(CliTest, MissingModelFile) {
  std::string p = path("no_such_model.onnx");
  expect_one_line_error({"info", p}, {p});
  expect_one_line_error({"run", p}, {p});
}

TEST_F(CliTest, NotAnOnnxFile) {
  std::ofstream(path("text.onnx")) << "this is a text file, not a protobuf\n";
  expect_one_line_error({"info", path("text.onnx")}, {path("text.onnx")});
  expect_one_line_error({"run", path("text.onnx")}, {path("text.onnx")});
}

TEST_F(CliTest, TruncatedOnnxFile) {
  std::string whole = slurp(model("mobilenet_v2.onnx"));
  ASSERT_GT(whole.size(), 1000u);
  std::ofstream(path("cut.onnx"), std::ios::binary).write(whole.data(), static_cast<std::streamsize>(whole.size() / 2));
  expect_one_line_error({"run", path("cut.onnx"), "--units", "reference"}, {path("cut.onnx")});
}

TEST_F(CliTest, UnsupportedOpNamesOpTypeAndNode) {
  expect_one_line_error({"run", model("unsupported_op.onnx"), "--units", "cpu"}, {"Det", "det_0"});
}

TEST_F(CliTest, InputOfWrongShape) {
  std::string x = write_tensor("wrong_shape.npy", Tensor::zeros({1, 4, 224, 224}, DType::kFloat32));
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--input", x, "--units", "cpu"}, {"shape"});
}

TEST_F(CliTest, InputOfWrongDtype) {
  std::string x = write_tensor("wrong_dtype.npy", Tensor::zeros({1, 3, 224, 224}, DType::kInt64));
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--input", x, "--units", "cpu"}, {"int64"});
}

TEST_F(CliTest, GarbledNpy) {
  std::mt19937 rng(7);
  std::string junk(5000, '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  std::ofstream(path("garbled.npy"), std::ios::binary) << junk;
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--input", path("garbled.npy")}, {path("garbled.npy")});

  // A real .npy cut short.
  std::string ok = write_tensor("short.npy", Tensor::zeros({1, 3, 224, 224}, DType::kFloat32));
  fs::resize_file(ok, 4096);
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--input", ok}, {ok, "truncated"});
}

TEST_F(CliTest, MissingInputFile) {
  std::string p = path("absent.npy");
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--input", p}, {p});
}

TEST_F(CliTest, UnknownUnit) {
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--units", "tpu:0"}, {"tpu"});
}

TEST_F(CliTest, RunWithNoArgumentsUsesTheBuiltInModel) {
  CmdResult r = tandem({"run"});
  EXPECT_EQ(r.rc, 0) << "stderr: " << r.err;
  EXPECT_NE(r.out.find("images/s"), std::string::npos) << "stdout: " << r.out;
}

// Also with fusions turned off by name (--disable-pass): the unfused graph gives the same answer;
// an unknown pass name is one line listing the passes.
TEST_F(CliTest, RunWritesOutputsMatchingOnnxruntime) {
  auto want = read_npy(model("mobilenet_v2.output_b3.npy"));
  ASSERT_TRUE(want.is_ok()) << want.status().message();
  for (const std::string passes_off : {"", "fuse_activations,fold_batch_norm"}) {
    SCOPED_TRACE("--disable-pass '" + passes_off + "'");
    std::string y = path("y.npy");
    std::vector<std::string> args = {"run",  model("mobilenet_v2.onnx"), "--input", model("mobilenet_v2.input_b3.npy"),
                                     "--output", y, "--units", "cpu"};
    if (!passes_off.empty()) args.insert(args.end(), {"--disable-pass", passes_off});
    CmdResult r = tandem(args);
    ASSERT_EQ(r.rc, 0) << "stderr: " << r.err;
    auto got = read_npy(y);
    ASSERT_TRUE(got.is_ok()) << got.status().message();
    ASSERT_EQ(got->shape(), want->shape());
    ASSERT_EQ(got->dtype(), DType::kFloat32);
    int64_t bad = 0;
    for (int64_t i = 0; i < want->numel(); ++i) {
      const double g = got->data_as<float>()[i], w = want->data_as<float>()[i];
      if (!(std::fabs(g - w) <= 1e-4 + 1e-3 * std::fabs(w))) ++bad;
    }
    EXPECT_EQ(bad, 0) << "of " << want->numel() << " outputs";
  }
  expect_one_line_error({"run", model("mobilenet_v2.onnx"), "--disable-pass", "fuse_everything"},
                        {"unknown pass 'fuse_everything'", "fuse_add_layer_norm"});
}

// Every output of a two-output model: a .npz with one array per output, a directory with one
// <output>.npy each, both matching onnxruntime; a single .npy is refused before anything runs.
TEST_F(CliTest, RunWritesEveryOutput) {
  const std::string in = model("two_heads.input_b3.npy");
  auto close_to = [](const Tensor& got, const Tensor& want) {
    if (got.shape() != want.shape() || got.dtype() != DType::kFloat32) return false;
    for (int64_t i = 0; i < want.numel(); ++i) {
      const double g = got.data_as<float>()[i], w = want.data_as<float>()[i];
      if (!(std::fabs(g - w) <= 1e-4 + 1e-3 * std::fabs(w))) return false;
    }
    return true;
  };
  CmdResult r = tandem({"run", model("two_heads.onnx"), "--input", in, "--output", path("y.npz"), "--units", "cpu"});
  ASSERT_EQ(r.rc, 0) << "stderr: " << r.err;
  auto npz = read_npz(path("y.npz"));
  ASSERT_TRUE(npz.is_ok()) << npz.status().message();
  ASSERT_EQ(npz->size(), 2u);
  const char* names[] = {"features", "logits"};
  for (size_t k = 0; k < 2; ++k) {
    SCOPED_TRACE(names[k]);
    EXPECT_EQ((*npz)[k].first, names[k]);
    auto want = read_npy(model(std::string("two_heads.") + names[k] + "_b3.npy"));
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    EXPECT_TRUE(close_to((*npz)[k].second, *want)) << "the .npz array differs from onnxruntime's";
  }
  r = tandem({"run", model("two_heads.onnx"), "--input", in, "--output", path("out") + "/", "--units", "cpu"});
  ASSERT_EQ(r.rc, 0) << "stderr: " << r.err;
  for (const char* name : names) {
    auto got = read_npy(path("out") + "/" + name + ".npy");
    ASSERT_TRUE(got.is_ok()) << got.status().message();
    auto want = read_npy(model(std::string("two_heads.") + name + "_b3.npy"));
    ASSERT_TRUE(want.is_ok()) << want.status().message();
    EXPECT_TRUE(close_to(*got, *want)) << name << ".npy differs from onnxruntime's";
  }
  expect_one_line_error({"run", model("two_heads.onnx"), "--input", in, "--output", path("y.npy")},
                        {"2 outputs", "features", "logits", ".npz"});
  EXPECT_FALSE(fs::exists(path("y.npy")));
}

// --output-dtype: fp16 writes a float16 .npy, argmax the int64 class map (argmax over axis 1 of
// onnxruntime's logits, except where its top two are within the fp32 tie margin), each output
// named on stdout; a bad value, or a model with no float output to convert, is one line.
TEST_F(CliTest, RunOutputDtypeFp16AndArgmax) {
  const std::string in = model("seg_style.input_b3.npy");
  auto want = read_npy(model("seg_style.output_b3.npy"));
  ASSERT_TRUE(want.is_ok()) << want.status().message();
  const float* logits = want->data_as<float>();
  CmdResult r = tandem({"run", model("seg_style.onnx"), "--input", in, "--output", path("c.npy"), "--units", "cpu",
                        "--output-dtype", "argmax", "--batch", "2"});
  ASSERT_EQ(r.rc, 0) << "stderr: " << r.err;
  EXPECT_NE(r.out.find("output 'logits': argmax over axis 1 of float32 [?, 5, 32, 32] -> int64 [?, 32, 32]"),
            std::string::npos) << r.out;
  auto classes = read_npy(path("c.npy"));
  ASSERT_TRUE(classes.is_ok()) << classes.status().message();
  ASSERT_EQ(classes->dtype(), DType::kInt64);
  ASSERT_EQ(classes->shape(), (Shape{3, 32, 32}));
  int64_t wrong = 0;
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t i = 0; i < 32 * 32; ++i) {
      auto at = [&](int64_t k) { return logits[(b * 5 + k) * 1024 + i]; };
      int64_t best = 0;
      for (int64_t k = 1; k < 5; ++k)
        if (at(k) > at(best)) best = k;
      const int64_t got = classes->data_as<int64_t>()[b * 1024 + i];
      if (got != best && !(got >= 0 && got < 5 && at(best) - at(got) <= 1e-4 + 1e-3 * std::fabs(at(best)))) ++wrong;
    }
  EXPECT_EQ(wrong, 0) << "of 3072 pixels";

  r = tandem({"run", model("seg_style.onnx"), "--input", in, "--output", path("h.npy"), "--units", "cpu",
              "--output-dtype", "fp16"});
  ASSERT_EQ(r.rc, 0) << "stderr: " << r.err;
  auto half = read_npy(path("h.npy"));
  ASSERT_TRUE(half.is_ok()) << half.status().message();
  ASSERT_EQ(half->dtype(), DType::kFloat16);
  ASSERT_EQ(half->shape(), want->shape());
  int64_t bad = 0;
  for (int64_t i = 0; i < want->numel(); ++i) {
    const double g = half_to_float(half->data_as<uint16_t>()[i]), w = logits[i];
    if (!(std::fabs(g - w) <= 1e-4 + 1.5e-3 * std::fabs(w))) ++bad;
  }
  EXPECT_EQ(bad, 0) << "of " << want->numel() << " fp16 logits";

  expect_one_line_error({"run", model("seg_style.onnx"), "--output-dtype", "int8"}, {"--output-dtype 'int8'", "fp32, fp16 or argmax"});
  expect_one_line_error({"bench", model("seg_style.onnx"), "--output-dtype", "half", "--batches", "1"},
                        {"--output-dtype 'half'"});
  // seg_argmax's outputs are int64 already: nothing to take the argmax of.
  expect_one_line_error({"run", model("seg_argmax.onnx"), "--output-dtype", "argmax", "--units", "cpu"},
                        {"seg_argmax.onnx", "argmax outputs need a float32 output", "classes int64"});
}

// A detection head on the cpu unit: NonMaxSuppression goes to an added reference stage with one
// note line; the data-dependent rows are written whole, equal to onnxruntime's; joining several
// batches of them is refused in one line.
TEST_F(CliTest, RunPutsADetectionHeadOnAHostStage) {
  const std::string in = model("detection_head.input_b3.npy");
  CmdResult r = tandem({"run", model("detection_head.onnx"), "--input", in, "--output", path("det") + "/", "--units", "cpu"});
  ASSERT_EQ(r.rc, 0) << "stderr: " << r.err;
  EXPECT_NE(r.err.find("note: nodes "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("host unit 'reference'"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("host:reference"), std::string::npos) << r.out;
  auto got = read_npy(path("det") + "/selected.npy");
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  auto want = read_npy(model("detection_head.selected_b3.npy"));
  ASSERT_TRUE(want.is_ok()) << want.status().message();
  EXPECT_EQ(got->shape(), want->shape());
  EXPECT_EQ(got->to_int_vector(), want->to_int_vector());
  expect_one_line_error({"run", model("detection_head.onnx"), "--input", in, "--output", path("det2") + "/", "--units",
                         "cpu", "--batch", "1"},
                        {"'selected'", "rows the data decides", "--batch 3"});
}

TEST_F(CliTest, BenchRejectsBadBatches) {
  expect_one_line_error({"bench", model("mobilenet_v2.onnx"), "--units", "cpu", "--batches", "2,x"}, {"--batches"});
  expect_one_line_error({"bench", model("mobilenet_v2.onnx"), "--units", "cpu", "--batches", "0"}, {"--batches"});
}

TEST_F(CliTest, BenchUnknownUnit) {
  expect_one_line_error({"bench", model("mobilenet_v2.onnx"), "--units", "cpu,tpu:0", "--batches", "1"}, {"tpu"});
}

// A one-thread cpu unit and the reference interpreter on a small input: every unit alone, then together in rounds interleaved
// with the best unit; JSON and CSV carry every row with its fields.
TEST_F(CliTest, BenchWritesEveryRow) {
  const std::string js = path("bench.json"), csv = path("bench.csv");
  CmdResult r = tandem({"bench", model("paddle_style.onnx"), "--units", "cpu/threads=1,reference",
                        "--batches", "2,3", "--shape", "1x3x64x64", "--seconds", "0.05", "--json", js, "--csv", csv});
  ASSERT_EQ(r.rc, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  EXPECT_NE(r.out.find("noise"), std::string::npos) << r.out;
  const nlohmann::json j = nlohmann::json::parse(slurp(js), nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << slurp(js);
  ASSERT_EQ(j["rows"].size(), 2u) << j.dump(2);
  for (const auto& row : j["rows"]) {
    EXPECT_EQ(row["single"].size(), 2u) << row.dump(2);
    for (const auto& [unit, ips] : row["single"].items()) EXPECT_TRUE(ips.is_number() && ips.get<double>() > 0) << unit;
    EXPECT_GT(row["together"].get<double>(), 0.0) << row.dump(2);
    EXPECT_GT(row["best_single_interleaved"].get<double>(), 0.0) << row.dump(2);
    ASSERT_EQ(row["rounds"]["best_single"].size(), 4u) << row.dump(2);
    ASSERT_EQ(row["rounds"]["together"].size(), 4u) << row.dump(2);
    double sum = 0;
    for (const auto& v : row["rounds"]["together"]) sum += v.get<double>();
    EXPECT_NEAR(row["together"].get<double>(), sum / 4, 1e-6 * sum) << row.dump(2);
    EXPECT_GE(row["noise"].get<double>(), 0.0) << row.dump(2);
    EXPECT_FALSE(row["plan"].get<std::string>().empty()) << row.dump(2);
  }
  const std::string c = slurp(csv);
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 3) << c;
  EXPECT_EQ(c.rfind("batch,", 0), 0u) << c;
}

// `tandem cache` lists Tandem's files in the cache folder with their entries; --clear removes
// them and nothing else; TANDEM_CACHE_DIR=none has no folder.
TEST_F(CliTest, CacheListsAndClears) {
  const char* saved = std::getenv("TANDEM_CACHE_DIR");
  const std::string keep = saved ? saved : "";
  const fs::path dir = fs::path(path("cache"));
  fs::create_directories(dir);
  { std::ofstream(dir / "cuda-choices-v1-gpu.tsv") << "conv a\t1 2\nplan b\tfused\nbroken line\n"; }
  { std::ofstream(dir / "notes.txt") << "not ours\n"; }
  ::setenv("TANDEM_CACHE_DIR", dir.c_str(), 1);
  CmdResult shown = tandem({"cache"});
  EXPECT_EQ(shown.rc, 0) << shown.err;
  EXPECT_NE(shown.out.find("cuda-choices-v1-gpu.tsv: 2 choices"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("notes.txt"), std::string::npos) << shown.out;
  CmdResult cleared = tandem({"cache", "--clear"});
  EXPECT_EQ(cleared.rc, 0) << cleared.err;
  EXPECT_NE(cleared.out.find("removed 1 file"), std::string::npos) << cleared.out;
  EXPECT_FALSE(fs::exists(dir / "cuda-choices-v1-gpu.tsv"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_NE(tandem({"cache"}).out.find("nothing cached yet"), std::string::npos);
  ::setenv("TANDEM_CACHE_DIR", "none", 1);
  EXPECT_NE(tandem({"cache"}).out.find("no cache folder"), std::string::npos);
  if (saved) ::setenv("TANDEM_CACHE_DIR", keep.c_str(), 1);
  else ::unsetenv("TANDEM_CACHE_DIR");
  expect_one_line_error({"cache", "--clean"}, {"--clean"});
}

}  // namespace
}  // namespace tandem

// `tandem run`: offline mode. With --input, runs every image through the engine in batches
// and writes the outputs in input order; without, times the model on generated data.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "input_source.h"
#include "core/npy.h"
#include "core/npz.h"
#include "tandem/engine.h"

namespace tandem::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Batches submitted ahead of the one taken (EngineOptions::max_in_flight's default).
constexpr int kStreamDepth = 4;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Rows [begin, end) of a tensor along dim 0, copied.
Tensor slice_rows(const Tensor& t, int64_t begin, int64_t end) {
  Shape s = t.shape();
  const int64_t row = t.numel() / std::max<int64_t>(s[0], 1);
  s[0] = end - begin;
  Tensor out(s, t.dtype());
  const size_t esz = dtype_size(t.dtype());
  std::memcpy(out.data(), static_cast<const char*>(t.data()) + begin * row * esz, out.nbytes());
  return out;
}

void print_progress(int64_t done, int64_t total, double ms) {
  const int width = 30;
  int filled = static_cast<int>(width * done / std::max<int64_t>(total, 1));
  double ips = ms > 0 ? 1000.0 * static_cast<double>(done) / ms : 0.0;
  std::fprintf(stderr, "\r[%.*s%*s] %lld/%lld images, %.1f images/s", filled, "==============================",
               width - filled, "", static_cast<long long>(done), static_cast<long long>(total), ips);
  if (done == total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

struct Timing {
  int64_t batch = 0, images = 0, runs = 0;
  double compile_ms = 0, total_ms = 0;
  std::vector<double> latencies_ms;
};

Status write_report(const RunOptions& o, const Engine& engine, const Timing& t) {
  nlohmann::json j;
  j["model"] = o.model;
  j["units"] = o.units;
  j["plan"] = engine.plan_description();
  j["batch"] = t.batch;
  j["images"] = t.images;
  j["runs"] = t.runs;
  j["compile_ms"] = t.compile_ms;
  j["seconds"] = t.total_ms / 1000.0;
  j["images_per_second"] = t.total_ms > 0 ? 1000.0 * static_cast<double>(t.images) / t.total_ms : 0.0;
  j["latency_ms_median"] = percentile(t.latencies_ms, 0.5);
  j["latency_ms_p90"] = percentile(t.latencies_ms, 0.9);
  j["runtime"] = nlohmann::json::parse(engine.report_json(), nullptr, /*allow_exceptions=*/false);
  std::ofstream f(o.report);
  if (!f) return invalid_argument(o.report + ": cannot write the report");
  f << j.dump(2) << '\n';
  return Status::ok();
}

// Output path: a directory (existing, or ending in '/'), a .npz archive, or one .npy file.
bool is_output_dir(const std::string& path) {
  std::error_code ec;
  return (!path.empty() && path.back() == '/') || std::filesystem::is_directory(path, ec);
}

bool is_npz(const std::string& path) { return path.size() > 4 && path.substr(path.size() - 4) == ".npz"; }

// An output name as a file name: characters other than [A-Za-z0-9._-] become '_'.
std::string file_safe(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return name.empty() ? "output" : name;
}

// A single .npy holds one output: refuse it, before running, for a model with several.
Status check_output_path(const std::string& path, const Engine& engine) {
  const auto& infos = engine.outputs();
  if (path.empty() || is_npz(path) || is_output_dir(path) || infos.size() <= 1) return Status::ok();
  std::string names;
  for (const auto& i : infos) names += (names.empty() ? "" : ", ") + i.name;
  return invalid_argument("--output " + path + ": the model has " + std::to_string(infos.size()) + " outputs (" + names +
                          "); give a directory (one .npy per output) or a .npz file");
}

// Every output of every batch, concatenated along dim 0 per output (batches in input order).
std::vector<Tensor> concat_batches(const std::vector<std::vector<Tensor>>& batches) {
  std::vector<Tensor> all;
  for (size_t k = 0; !batches.empty() && k < batches[0].size(); ++k) {
    Shape s = batches[0][k].shape();
    int64_t rows = 0;
    for (const auto& b : batches) rows += b[k].shape().empty() ? 1 : b[k].shape()[0];
    if (!s.empty()) s[0] = rows;
    Tensor t(s, batches[0][k].dtype());
    size_t off = 0;
    for (const auto& b : batches) {
      std::memcpy(static_cast<char*>(t.data()) + off, b[k].data(), b[k].nbytes());
      off += b[k].nbytes();
    }
    all.push_back(std::move(t));
  }
  return all;
}

// Writes every model output: a .npz (one array per output, named after it), a directory (one
// <output>.npy per output; with an image directory as input, one <image>.npy per image, or
// <image>.<output>.npy when the model has several outputs), or one .npy (single-output models).
Status write_outputs(const std::string& path, const Engine& engine, const InputSource* src,
                     const std::vector<std::vector<Tensor>>& batches, const std::vector<int64_t>& batch_rows) {
  const auto& infos = engine.outputs();
  int64_t images = 0;
  for (int64_t r : batch_rows) images += r;
  // An output whose rows the data decides (NonMaxSuppression's selected boxes) is not per image:
  // its row indices are relative to its own batch, so batches cannot be joined.
  std::vector<bool> per_batch(infos.size(), false);
  for (size_t i = 0; i < batches.size() && i < batch_rows.size(); ++i)
    for (size_t k = 0; k < batches[i].size() && k < per_batch.size(); ++k)
      if (batches[i][k].shape().empty() || batches[i][k].shape()[0] != batch_rows[i]) per_batch[k] = true;
  for (size_t k = 0; k < per_batch.size(); ++k)
    if (per_batch[k] && batches.size() > 1)
      return invalid_argument("output '" + infos[k].name + "' has rows the data decides, which " +
                              std::to_string(batches.size()) + " batches cannot be joined into one file; run every " +
                              "image in one batch (--batch " + std::to_string(images) + ")");
  const std::vector<Tensor> all = concat_batches(batches);
  if (all.size() != infos.size()) {
    std::string msg = "the engine returned ";
    msg += std::to_string(all.size()) + " outputs for a model with " + std::to_string(infos.size());
    return internal_error(msg);
  }
  if (is_npz(path)) {
    NamedTensors named;
    for (size_t k = 0; k < all.size(); ++k) named.emplace_back(infos[k].name, all[k]);
    return write_npz(path, named);
  }
  if (is_output_dir(path)) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return invalid_argument(path + ": cannot create the output directory (" + ec.message() + ")");
    const bool per_image = src && src->name(0).find('[') == std::string::npos;
    for (size_t k = 0; k < all.size(); ++k) {
      if (!per_image || per_batch[k]) {
        TANDEM_RETURN_IF_ERROR(write_npy((std::filesystem::path(path) / (file_safe(infos[k].name) + ".npy")).string(), all[k]));
        continue;
      }
      for (int64_t r = 0; r < all[k].shape()[0]; ++r) {
        std::string stem = std::filesystem::path(src->name(r)).stem().string();
        if (all.size() > 1) stem.append(".").append(file_safe(infos[k].name));
        TANDEM_RETURN_IF_ERROR(write_npy((std::filesystem::path(path) / (stem + ".npy")).string(), slice_rows(all[k], r, r + 1)));
      }
    }
    return Status::ok();
  }
  TANDEM_RETURN_IF_ERROR(check_output_path(path, engine));
  return write_npy(path, all[0]);
}

Result<Timing> run_generated(Engine& engine, const RunOptions& o) {
  Timing t;
  t.batch = o.batch > 0 ? o.batch : 1;
  const TensorInfo& in = engine.inputs()[0];
  TANDEM_ASSIGN_OR_RETURN(Shape shape, resolve_input_shape(in.name, in.shape, o.shape, t.batch));
  Tensor x = random_tensor(engine, shape, o.seed);
  if (!o.quiet)
    std::printf("input '%s' %s: random data (seed %llu)\n", in.name.c_str(), shape_to_string(shape).c_str(),
                static_cast<unsigned long long>(o.seed));
  auto t0 = Clock::now();
  TANDEM_ASSIGN_OR_RETURN(auto first, engine.run({x}));
  t.compile_ms = ms_since(t0);
  for (int i = 0; i < o.warmup; ++i) TANDEM_RETURN_IF_ERROR(engine.run({x}).status());
  const int iterations = o.iterations > 0 ? o.iterations : 20;
  // Latency: one batch at a time; up to `iterations` (at most 200) samples, stopping after 2 s
  // once 10 are in, so a median at small batches rests on enough runs to be stable.
  const auto lat_start = Clock::now();
  for (int i = 0; i < std::min(iterations, 200); ++i) {
    auto ti = Clock::now();
    TANDEM_RETURN_IF_ERROR(engine.run({x}).status());
    t.latencies_ms.push_back(ms_since(ti));
    if (i >= 9 && ms_since(lat_start) > 2000.0) break;
  }
  // Throughput: `iterations` batches streamed through the pipeline (stages overlap), each batch's
  // outputs taken and dropped as it completes, as a consumer that uses them would: their buffers
  // go back to the engine's output pool (page-locked with a GPU unit) instead of piling up.
  engine.reset_report();
  auto start = Clock::now();
  int submitted = 0;
  for (int taken = 0; taken < iterations; ++taken) {
    for (; submitted < iterations && submitted - taken < kStreamDepth; ++submitted)
      TANDEM_RETURN_IF_ERROR(engine.submit({x}));
    TANDEM_RETURN_IF_ERROR(engine.next().status());
  }
  t.total_ms = ms_since(start);
  t.runs = iterations;
  t.images = t.batch * iterations;
  if (!o.output.empty()) TANDEM_RETURN_IF_ERROR(write_outputs(o.output, engine, nullptr, {first}, {shape[0]}));
  return t;
}

Result<Timing> run_offline(Engine& engine, const RunOptions& o) {
  const TensorInfo& in = engine.inputs()[0];
  Shape image_shape(in.shape.begin() + (in.shape.empty() ? 0 : 1), in.shape.end());
  if (!o.shape.empty()) {
    TANDEM_ASSIGN_OR_RETURN(Shape s, parse_shape(o.shape));
    image_shape.assign(s.begin() + 1, s.end());
  }
  TANDEM_ASSIGN_OR_RETURN(auto src, open_input(o.input, image_shape, o.preprocess));
  Timing t;
  const int64_t n = src->count();
  t.batch = o.batch > 0 ? o.batch : std::min<int64_t>(n, 64);
  // Batches go through the pipeline a window at a time (consecutive batches overlap across
  // stages inside a window); only one window of inputs is in memory.
  const int64_t window = 8 * t.batch;
  std::vector<std::vector<Tensor>> outputs;  // per batch, every model output
  std::vector<int64_t> rows;                 // per batch, its images
  const bool progress = !o.quiet && isatty(STDERR_FILENO) && n > t.batch;
  // Compile for the full batch shape first, so the timing below is the steady state.
  {
    auto c0 = Clock::now();
    TANDEM_ASSIGN_OR_RETURN(Tensor first, src->read(0, std::min(n, t.batch)));
    auto warm = engine.run({first});
    if (!warm.is_ok()) return warm.status().with_context(o.input);
    t.compile_ms = ms_since(c0);
    engine.reset_report();
  }
  auto start = Clock::now();
  for (int64_t w = 0; w < n; w += window) {
    std::vector<std::vector<Tensor>> batches;
    for (int64_t b = w; b < std::min(n, w + window); b += t.batch) {
      TANDEM_ASSIGN_OR_RETURN(Tensor x, src->read(b, std::min(n, b + t.batch)));
      rows.push_back(x.shape()[0]);
      batches.push_back({std::move(x)});
    }
    auto ti = Clock::now();
    auto out = engine.run_many(batches);
    if (!out.is_ok()) return out.status().with_context(o.input);
    t.latencies_ms.push_back(ms_since(ti) / static_cast<double>(batches.size()));
    for (auto& o_batch : out.value()) outputs.push_back(std::move(o_batch));
    t.runs += static_cast<int64_t>(batches.size());
    if (progress) print_progress(std::min(n, w + window), n, ms_since(start));
  }
  t.total_ms = ms_since(start);
  t.images = n;
  if (!o.output.empty()) TANDEM_RETURN_IF_ERROR(write_outputs(o.output, engine, src.get(), outputs, rows));
  return t;
}


// The batch size a plan file from `tandem tune --save` was tuned for (0: none given).
int64_t tuned_batch(const std::string& plan) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(plan, ec)) return 0;
  std::ifstream f(plan);
  const nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("batch") && j["batch"].is_number_integer() ? j["batch"].get<int64_t>() : 0;
}

}  // namespace

Result<OutputDType> parse_output_dtype(const std::string& text) {
  if (text == "fp32") return OutputDType::kFloat32;
  if (text == "fp16") return OutputDType::kFloat16;
  if (text == "argmax") return OutputDType::kArgMax;
  return invalid_argument("--output-dtype '" + text + "': expected fp32, fp16 or argmax");
}

std::string describe_conversions(const Engine& engine) {
  std::string out;
  for (const TensorInfo& t : engine.outputs())
    if (!t.conversion.empty())
      out += "output '" + t.name + "': " + t.conversion + " -> " + dtype_name(t.dtype) + " " + shape_to_string(t.shape) + "\n";
  return out;
}

Status run_run(const RunOptions& given) {
  RunOptions o = given;
  if (o.batch == 0 && !o.plan.empty()) o.batch = static_cast<int>(tuned_batch(o.plan));  // a tuned plan's batch
  EngineOptions eo;
  eo.diagnostics = diagnostics_from_environment();
  eo.units = o.units;
  eo.plan = o.plan;
  eo.disabled_passes = o.disabled_passes;
  TANDEM_ASSIGN_OR_RETURN(eo.output_dtype, parse_output_dtype(o.output_dtype));
  TANDEM_ASSIGN_OR_RETURN(auto engine, Engine::load(o.model, eo));
  if (engine->inputs().size() != 1)
    return unsupported(o.model + ": tandem run feeds models with one input; this one has " +
                       std::to_string(engine->inputs().size()));
  TANDEM_RETURN_IF_ERROR(check_output_path(o.output, *engine));
  if (!o.quiet) std::printf("model %s, units %s\n%s", o.model.c_str(), o.units.c_str(), describe_conversions(*engine).c_str());
  Result<Timing> r = o.input.empty() ? run_generated(*engine, o) : run_offline(*engine, o);
  if (!r.is_ok()) return r.status();
  const Timing& t = *r;
  if (!o.quiet)
    for (const std::string& w : engine->plan_warnings()) std::fprintf(stderr, "note: %s\n", w.c_str());
  if (o.dump_plan) std::printf("%s\n", engine->plan_details().c_str());
  else if (!o.quiet) std::printf("plan %s\n", engine->plan_description().c_str());
  const double ips = t.total_ms > 0 ? 1000.0 * static_cast<double>(t.images) / t.total_ms : 0.0;
  if (!o.quiet) std::printf("compile (first run) %.1f ms\n", t.compile_ms);
  std::printf("%lld images in %lld batches of %lld: %.1f images/s, latency median %.3f ms, p90 %.3f ms\n",
              static_cast<long long>(t.images), static_cast<long long>(t.runs), static_cast<long long>(t.batch), ips,
              percentile(t.latencies_ms, 0.5), percentile(t.latencies_ms, 0.9));
  if (!o.quiet) {
    std::string units = engine->report_text();
    if (!units.empty()) std::printf("%s%s", units.c_str(), units.back() == '\n' ? "" : "\n");
  }
  if (!o.output.empty() && !o.quiet) std::printf("wrote %s\n", o.output.c_str());
  if (!o.report.empty()) TANDEM_RETURN_IF_ERROR(write_report(o, *engine, t));
  return Status::ok();
}

}  // namespace tandem::cli

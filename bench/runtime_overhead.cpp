// Runtime overhead: what the runtime (Engine -> Runtime -> worker thread -> Executable) adds to
// one batch over calling the backend's Executable directly (issue 3, "Speed"; goal <= 3%).
//
//   (a) direct:   import -> specialize -> run_passes -> make_backend("cpu") -> bind_thread ->
//                 compile -> time Executable::run on a fixed input (outputs preallocated).
//   (b) runtime:  Engine::load(model, {.units = "cpu/threads=T"}) (a one-unit plan) -> time
//                 run() per batch, and run_many() of K batches (time / K per batch).
//
// Both use the same unit options (parsed from the same unit spec) and the same input. They
// alternate in rounds (the side that goes first alternates too) so that machine noise hits both;
// the result is the median time per batch of each side and overhead = (b - a) / a.
//
//   runtime_overhead build/models/mobilenet_v2.onnx --threads 2 --batch 64 --rounds 5 --json r.json
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "backends/reference/reference_backend.h"
#include "ir/passes/passes.h"
#include "ir/specialize.h"
#include "onnx/import.h"
#include "plan/unit_spec.h"
#include "tandem/engine.h"

namespace {

using tandem::Result;
using tandem::Shape;
using tandem::Status;
using tandem::Tensor;
using tandem::TensorView;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string model;
  int threads = 0;  // 0: every core in this process's affinity
  int batch = 64;
  int rounds = 5;   // alternating rounds
  int runs = 2;     // timed single-batch runs per side per round
  int many = 4;     // batches per run_many call (0: skip run_many)
  int warmup = 1;   // untimed runs per side after compiling
  std::string json;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The backend called directly: everything the runtime would otherwise do, done once up front.
struct Direct {
  std::unique_ptr<tandem::Backend> backend;
  std::unique_ptr<tandem::Executable> exe;
  std::vector<Tensor> outputs;  // preallocated, reused by every run

  Status run(const Tensor& x) {
    std::vector<TensorView> in{x.view()}, out;
    for (const auto& t : outputs) out.push_back(t.view());
    return exe->run(in, out);
  }
};

// Input shape of the model's single input with dim 0 = batch; other open dims are an error.
Result<std::pair<std::string, Shape>> input_shape(const tandem::ir::Graph& g, int batch) {
  if (g.inputs.size() != 1) return tandem::unsupported("the benchmark feeds models with one input");
  const std::string& name = g.inputs[0];
  auto it = g.values.find(name);
  if (it == g.values.end() || !it->second.rank_known || it->second.shape.empty())
    return tandem::invalid_argument("input '" + name + "' has no known rank");
  Shape s = it->second.shape;
  s[0] = batch;
  for (size_t i = 1; i < s.size(); ++i)
    if (s[i] < 0) return tandem::invalid_argument("input '" + name + "' has open dims beyond the batch");
  return std::make_pair(name, s);
}

Result<Direct> make_direct(const Options& o, const std::string& units, const std::string& input, const Shape& shape) {
  TANDEM_ASSIGN_OR_RETURN(tandem::ir::Graph model, tandem::import_onnx_file(o.model));
  TANDEM_ASSIGN_OR_RETURN(tandem::ir::Graph g, tandem::ir::specialize(model, {{input, shape}},
                                                                      tandem::reference_evaluate_node));
  TANDEM_RETURN_IF_ERROR(tandem::ir::run_passes(g));
  TANDEM_ASSIGN_OR_RETURN(auto specs, tandem::plan::parse_unit_spec(units));
  if (specs.size() != 1) return tandem::invalid_argument("the benchmark wants exactly one unit, got '" + units + "'");
  Direct d;
  TANDEM_ASSIGN_OR_RETURN(d.backend, tandem::make_backend(specs[0].kind));
  TANDEM_RETURN_IF_ERROR(d.backend->bind_thread(specs[0].options));
  TANDEM_ASSIGN_OR_RETURN(d.exe, d.backend->compile(g, specs[0].options));
  for (const auto& name : g.outputs) {
    const auto& info = g.values.at(name);
    d.outputs.emplace_back(info.shape, info.dtype);
  }
  return d;
}

Tensor random_input(const Shape& shape) {
  Tensor x(shape, tandem::DType::kFloat32);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  float* p = x.data_as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = u(rng);
  return x;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return INFINITY;
  float m = 0.0f;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(a.data_as<float>()[i] - b.data_as<float>()[i]));
  return m;
}

struct Samples {
  std::vector<double> direct, run, many;  // seconds per batch
};

Status time_direct(Direct& d, const Tensor& x, int n, std::vector<double>& out) {
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    TANDEM_RETURN_IF_ERROR(d.run(x));
    out.push_back(seconds_since(t0));
  }
  return Status::ok();
}

Status time_engine(tandem::Engine& e, const Tensor& x, const Options& o, Samples& s) {
  for (int i = 0; i < o.runs; ++i) {
    auto t0 = Clock::now();
    TANDEM_RETURN_IF_ERROR(e.run({x}).status());
    s.run.push_back(seconds_since(t0));
  }
  if (o.many > 0) {
    std::vector<std::vector<Tensor>> batches(static_cast<size_t>(o.many), std::vector<Tensor>{x});
    auto t0 = Clock::now();
    TANDEM_RETURN_IF_ERROR(e.run_many(batches).status());
    s.many.push_back(seconds_since(t0) / o.many);
  }
  return Status::ok();
}

double overhead_pct(double b, double a) { return a > 0 ? 100.0 * (b - a) / a : 0.0; }

double best(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }

// One table row: median and best (minimum) per batch, each with its overhead over the direct path.
void print_row(const std::string& label, const std::vector<double>& v, const std::vector<double>& direct) {
  std::printf("%-30s %11.2f %8.2f%% %11.2f %8.2f%%\n", label.c_str(), 1e3 * median(v),
              overhead_pct(median(v), median(direct)), 1e3 * best(v), overhead_pct(best(v), best(direct)));
}

Status write_json(const Options& o, const std::string& units, int threads, const Samples& s, float diff) {
  const double a = median(s.direct), b = median(s.run), m = median(s.many);
  nlohmann::json j;
  j["model"] = o.model;
  j["units"] = units;
  j["batch"] = o.batch;
  j["rounds"] = o.rounds;
  j["runs_per_round"] = o.runs;
  j["run_many_batches"] = o.many;
  j["direct_ms_median"] = 1e3 * a;
  j["runtime_run_ms_median"] = 1e3 * b;
  j["runtime_run_many_ms_per_batch_median"] = 1e3 * m;
  j["overhead_run_pct"] = overhead_pct(b, a);
  j["overhead_run_many_pct"] = o.many > 0 ? overhead_pct(m, a) : 0.0;
  j["direct_ms_best"] = 1e3 * best(s.direct);
  j["runtime_run_ms_best"] = 1e3 * best(s.run);
  j["runtime_run_many_ms_per_batch_best"] = 1e3 * best(s.many);
  j["overhead_run_best_pct"] = overhead_pct(best(s.run), best(s.direct));
  j["overhead_run_many_best_pct"] = o.many > 0 ? overhead_pct(best(s.many), best(s.direct)) : 0.0;
  j["threads"] = threads;
  j["max_abs_diff_direct_vs_runtime"] = diff;
  j["samples_s"] = {{"direct", s.direct}, {"run", s.run}, {"run_many_per_batch", s.many}};
  std::ofstream f(o.json);
  if (!f) return tandem::invalid_argument(o.json + ": cannot write");
  f << j.dump(2) << '\n';
  return Status::ok();
}

Status bench(const Options& o) {
  const int threads = o.threads > 0 ? o.threads : tandem::plan::machine_core_count();
  const std::string units = "cpu/threads=" + std::to_string(threads);
  TANDEM_ASSIGN_OR_RETURN(tandem::ir::Graph model, tandem::import_onnx_file(o.model));
  TANDEM_ASSIGN_OR_RETURN(auto in, input_shape(model, o.batch));
  const Tensor x = random_input(in.second);

  auto t0 = Clock::now();
  TANDEM_ASSIGN_OR_RETURN(Direct direct, make_direct(o, units, in.first, in.second));
  std::printf("(a) direct: import + specialize + passes + compile %.2f s\n", seconds_since(t0));
  t0 = Clock::now();
  tandem::EngineOptions eo;
  eo.units = units;  // one unit: the default plan runs the whole model on it
  TANDEM_ASSIGN_OR_RETURN(auto engine, tandem::Engine::load(o.model, eo));
  TANDEM_ASSIGN_OR_RETURN(auto first, engine->run({x}));
  std::printf("(b) runtime: load + first run %.2f s, plan %s\n", seconds_since(t0), engine->plan_description().c_str());
  TANDEM_RETURN_IF_ERROR(direct.run(x));
  const float diff = max_abs_diff(direct.outputs[0], first[0]);
  std::printf("max |direct - runtime| on output 0: %g\n", diff);
  for (int i = 0; i < o.warmup; ++i) {
    TANDEM_RETURN_IF_ERROR(direct.run(x));
    TANDEM_RETURN_IF_ERROR(engine->run({x}).status());
  }

  Samples s;
  for (int r = 0; r < o.rounds; ++r) {
    if (r % 2 == 0) TANDEM_RETURN_IF_ERROR(time_direct(direct, x, o.runs, s.direct));
    TANDEM_RETURN_IF_ERROR(time_engine(*engine, x, o, s));
    if (r % 2 == 1) TANDEM_RETURN_IF_ERROR(time_direct(direct, x, o.runs, s.direct));
    std::printf("round %d/%d: direct %.1f ms, run %.1f ms", r + 1, o.rounds, 1e3 * s.direct.back(), 1e3 * s.run.back());
    if (o.many > 0) std::printf(", run_many %.1f ms/batch", 1e3 * s.many.back());
    std::printf("\n");
    std::fflush(stdout);
  }

  std::printf("\nmodel %s, batch %d, units %s, %d rounds x %d runs\n", o.model.c_str(), o.batch, units.c_str(),
              o.rounds, o.runs);
  std::printf("%-30s %11s %9s %11s %9s\n", "path", "median ms", "overhead", "best ms", "overhead");
  print_row("(a) Executable::run (direct)", s.direct, s.direct);
  print_row("(b) Engine::run", s.run, s.direct);
  if (o.many > 0) print_row("(b) Engine::run_many (K=" + std::to_string(o.many) + ")", s.many, s.direct);
  if (!o.json.empty()) TANDEM_RETURN_IF_ERROR(write_json(o, units, threads, s, diff));
  return Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Runtime overhead: Engine::run / run_many vs Executable::run on one cpu unit"};
  app.add_option("model", o.model, "ONNX model (e.g. build/models/mobilenet_v2.onnx)")->required();
  app.add_option("--threads", o.threads, "Threads of the cpu unit (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--batch", o.batch, "Images per batch")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--rounds", o.rounds, "Alternating rounds")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--runs", o.runs, "Timed single-batch runs per side per round")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--many", o.many, "Batches per run_many call (0: skip)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--warmup", o.warmup, "Untimed runs per side")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--json", o.json, "Write the result as JSON");
  CLI11_PARSE(app, argc, argv);
  Status st = bench(o);
  if (!st.is_ok()) {
    std::fprintf(stderr, "runtime_overhead: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}

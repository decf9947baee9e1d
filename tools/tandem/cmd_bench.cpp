// `tandem bench`: the seed's experiment. For each batch size: every unit alone, then all units
// together under the plan (the default seed plan unless --plan) in rounds interleaved with the best
// unit alone (best, all, all, best, best, all, all, best: drift in clocks or temperature over the
// run cancels instead of favouring whichever ran first); images/s, the speedup over the best single
// unit, the ratio to the ideal (the sum of the units' standalone throughputs), and the noise (how
// far the best unit's own rounds differ).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "bench_plot.h"
#include "cli.h"
#include "plan/search.h"
#include "plan/tune.h"
#include "plan/unit_spec.h"
#include "tandem/engine.h"
#include "tuning.h"

namespace tandem::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Measurement {
  double images_per_s = 0;
  std::string plan;
  std::string error;  // non-empty: this configuration could not run
};

// A loaded engine warmed up on `x` (compiled, its plan chosen), with the time of one batch.
struct Warm {
  std::unique_ptr<Engine> engine;
  double one_batch_s = 0;
  std::string error;  // non-empty: this configuration could not run
};

Warm load_warm(const BenchOptions& o, const std::string& units, const std::string& plan, const Tensor& x) {
  EngineOptions eo;
  eo.units = units;
  eo.plan = plan;
  eo.disabled_passes = o.disabled_passes;
  eo.diagnostics = diagnostics_from_environment();
  Warm w;
  auto dtype = parse_output_dtype(o.output_dtype);
  if (!dtype.is_ok()) {
    w.error = dtype.status().message();
    return w;
  }
  eo.output_dtype = *dtype;
  auto engine = Engine::load(o.model, eo);
  if (!engine.is_ok()) {
    w.error = engine.status().message();
    return w;
  }
  w.engine = std::move(*engine);
  Status st = w.engine->run({x}).status();  // compile + plan
  auto t0 = Clock::now();
  if (st.is_ok()) st = w.engine->run({x}).status();
  w.one_batch_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!st.is_ok()) w.error = st.message();
  return w;
}

// Streams batches through a warm engine for about `seconds` (at least 3 batches), in windows of at
// most 200 batches (a window fills and drains the pipeline once; at batch 1 a single window of
// 200 would last only a few milliseconds on a GPU). Images/s.
Result<double> time_engine(const Warm& w, const Tensor& x, double seconds) {
  const int window = std::clamp(static_cast<int>(std::ceil(seconds / std::max(w.one_batch_s, 1e-6))), 3, 200);
  const std::vector<std::vector<Tensor>> in(static_cast<size_t>(window), std::vector<Tensor>{x});
  int64_t batches = 0;
  auto start = Clock::now();
  double s = 0;
  do {
    TANDEM_RETURN_IF_ERROR(w.engine->run_many(in).status());
    batches += window;
    s = std::chrono::duration<double>(Clock::now() - start).count();
  } while (s < seconds);
  return static_cast<double>(batches) * static_cast<double>(x.shape()[0]) / s;
}

Measurement measure(const BenchOptions& o, const std::string& units, const std::string& plan, const Tensor& x) {
  Measurement m;
  Warm w = load_warm(o, units, plan, x);
  if (!w.error.empty()) {
    m.error = w.error;
    return m;
  }
  auto ips = time_engine(w, x, o.seconds);
  if (!ips.is_ok()) {
    m.error = ips.status().message();
    return m;
  }
  m.images_per_s = *ips;
  m.plan = w.engine->plan_description();
  return m;
}

// The best unit alone and all units together, in rounds of `seconds / 4` ordered best, all, all,
// best, best, all, all, best: each configuration gets `seconds` in all.
struct Interleaved {
  std::vector<double> best, together;
  std::string plan, error;
};

Interleaved interleave(const BenchOptions& o, const std::string& best_unit, const Tensor& x) {
  Interleaved r;
  Warm best = load_warm(o, best_unit, "", x);
  Warm co = load_warm(o, o.units, o.plan, x);
  if (!co.error.empty() || !best.error.empty()) {
    r.error = !co.error.empty() ? co.error : "the best unit alone: " + best.error;
    return r;
  }
  r.plan = co.engine->plan_description();
  for (int k = 0; k < 8; ++k) {
    const bool co_turn = (k % 4 == 1) || (k % 4 == 2);
    auto ips = time_engine(co_turn ? co : best, x, o.seconds / 4);
    if (!ips.is_ok()) {
      r.error = ips.status().message();
      return r;
    }
    (co_turn ? r.together : r.best).push_back(*ips);
  }
  return r;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// What --tuned needs: the profile, and the model loaded for timing plans on the units.
struct Tuning {
  plan::Profile profile;
  std::unique_ptr<TuneModel> model;
};

// The tuned plan at `batch`, as `tandem tune --batches <batch>` chooses it: the search on the
// profile at that batch, its best predictions (and the best of each kind and the best single
// unit) measured, the never-worse rule. Short form and prediction.
Result<std::pair<std::string, double>> tuned_at(Tuning& t, int64_t batch, double seconds) {
  plan::TuneOptions to;
  to.search.batches = {batch};
  to.choice.round_seconds = seconds;
  runtime::PlanTimer timer(t.model->units, t.model->graphs, t.model->sample);  // its runtimes end here
  TANDEM_ASSIGN_OR_RETURN(plan::TuneResult r, plan::tune(t.profile, timer.as_measure_fn(), to));
  const plan::TunedShape& c = r.shapes[r.chosen];
  return std::make_pair(plan::plan_to_short_string(c.plan), c.ranked.prediction.images_per_s);
}

// A progress line on stderr when it is a terminal (so that errors stay one line in scripts).
void progress(size_t done, size_t total, const std::string& what) {
  if (!::isatty(2)) return;
  const int width = 24, filled = static_cast<int>(width * done / std::max<size_t>(total, 1));
  std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu %-40.40s", filled, "========================", width - filled, "", done, total,
               what.c_str());
  if (done == total) std::fprintf(stderr, "\r%*s\r", width + 60, "");
  std::fflush(stderr);
}

// The profile --tuned searches on (--profile FILE, or measured on the units, cached) and the
// model to time its finalists.
Result<std::unique_ptr<Tuning>> load_tuning(const BenchOptions& o) {
  TANDEM_ASSIGN_OR_RETURN(auto pb, parse_batch_list(o.profile_batches, "--profile-batches"));
  auto t = std::make_unique<Tuning>();
  TANDEM_ASSIGN_OR_RETURN(TuneModel tm, load_tune_model(o.model, o.units, o.shape));
  t->model = std::make_unique<TuneModel>(std::move(tm));
  std::string note;
  TANDEM_ASSIGN_OR_RETURN(t->profile,
                          get_profile(ProfileSource{o.model, o.units, o.shape, o.profile, pb, 6, false, o.reprofile},
                                      t->model.get(), note));
  std::printf("%s\n", note.c_str());
  return t;
}

// --json, --csv and --plot from the rows.
Status write_bench_files(const BenchOptions& o, const std::vector<plan::UnitSpec>& specs, const nlohmann::json& rows) {
  const std::string json_path = !o.json.empty() ? o.json : o.plot + ".json";
  if (!o.json.empty() || !o.plot.empty()) {
    nlohmann::json j{{"model", o.model}, {"units", o.units}, {"plan", o.plan}, {"rows", rows}};
    std::ofstream f(json_path);
    if (!f) return invalid_argument(json_path + ": cannot write");
    f << j.dump(2) << '\n';
  }
  if (!o.csv.empty()) {
    std::ofstream f(o.csv);
    if (!f) return invalid_argument(o.csv + ": cannot write");
    f << "batch";
    for (const auto& s : specs) f << "," << s.name;
    f << ",together,speedup,fraction_of_ideal,noise" << (o.tuned ? ",tuned,tuned_predicted,tuned_speedup" : "") << "\n";
    for (const auto& r : rows) {
      f << r["batch"].get<int64_t>();
      for (const auto& s : specs) f << "," << (r["single"][s.name].is_number() ? r["single"][s.name].get<double>() : 0.0);
      f << "," << r["together"].get<double>() << "," << r["speedup_over_best_single"].get<double>() << ","
        << r["fraction_of_ideal"].get<double>() << "," << r.value("noise", 0.0);
      if (o.tuned) f << "," << r.value("tuned", 0.0) << "," << r.value("tuned_predicted", 0.0) << "," << r.value("tuned_speedup", 0.0);
      f << "\n";
    }
  }
  if (!o.plot.empty()) {
    TANDEM_RETURN_IF_ERROR(draw_plot(json_path, o.plot));
    if (o.json.empty()) std::remove(json_path.c_str());
    std::printf("plot: %s\n", o.plot.c_str());
  }
  return Status::ok();
}

}  // namespace

Status run_bench(const BenchOptions& o) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> batches, parse_batch_list(o.batches, "--batches"));
  TANDEM_RETURN_IF_ERROR(parse_output_dtype(o.output_dtype).status());
  if (!o.plot.empty()) TANDEM_RETURN_IF_ERROR(check_plot_tool());
  if (o.simulate) return run_bench_simulated(o, batches);
  TANDEM_ASSIGN_OR_RETURN(auto specs, plan::parse_unit_spec(o.units));
  // --tuned: the profile (measured once, cached) on which each batch's plan is searched.
  std::unique_ptr<Tuning> tuning;
  if (o.tuned) {
    TANDEM_ASSIGN_OR_RETURN(tuning, load_tuning(o));
  }
  // Each unit alone, by its spec text (options kept), then all together.
  std::vector<std::string> singles;
  for (const auto& s : specs) singles.push_back(s.text);
  // All units: the probe's make_tensor() gives the input memory every unit reaches fastest.
  EngineOptions probe_options{o.units, ""};
  probe_options.disabled_passes = o.disabled_passes;
  TANDEM_ASSIGN_OR_RETURN(probe_options.output_dtype, parse_output_dtype(o.output_dtype));  // bad value: one line, now
  TANDEM_ASSIGN_OR_RETURN(auto probe, Engine::load(o.model, probe_options));
  std::printf("%s", describe_conversions(*probe).c_str());
  const TensorInfo& in = probe->inputs()[0];
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-7s", "batch");
  for (const auto& s : specs) std::printf(" %14s", s.name.c_str());
  std::printf(" %14s %9s %9s %7s", "all units", "speedup", "of ideal", "noise");
  if (o.tuned) std::printf(" %14s %14s %9s", "tuned", "tuned pred.", "speedup");
  std::printf("  plan\n");
  const size_t steps = batches.size() * (specs.size() + (specs.size() > 1 ? 1 : 0) + (o.tuned ? 1 : 0));
  size_t step = 0;
  for (int64_t b : batches) {
    TANDEM_ASSIGN_OR_RETURN(Shape shape, resolve_input_shape(in.name, in.shape, o.shape, b));
    Tensor x = random_tensor(*probe, shape, 1);
    std::printf("%-7lld", static_cast<long long>(b));
    std::fflush(stdout);
    nlohmann::json row{{"batch", b}};
    double best = 0, ideal = 0;
    size_t best_i = 0;
    for (size_t i = 0; i < singles.size(); ++i) {
      progress(step++, steps, "batch " + std::to_string(b) + ": " + singles[i] + " alone");
      Measurement m = measure(o, singles[i], "", x);
      if (m.images_per_s > best) {
        best = m.images_per_s;
        best_i = i;
      }
      ideal += m.images_per_s;
      row["single"][specs[i].name] = m.error.empty() ? nlohmann::json(m.images_per_s) : nlohmann::json(m.error);
      std::printf(" %14.1f", m.images_per_s);
      std::fflush(stdout);
    }
    // With several units: all of them together, interleaved with the best unit alone; their
    // rounds give the speedup (mean over mean) and the noise (the spread of the best unit's rounds).
    Measurement co{best, "", ""};
    double baseline = best, noise = 0;
    if (specs.size() > 1 && best > 0) {
      progress(step++, steps, "batch " + std::to_string(b) + ": all units");
      Interleaved il = interleave(o, singles[best_i], x);
      co.error = il.error;
      co.plan = il.plan;
      co.images_per_s = 0;
      if (il.error.empty()) {
        co.images_per_s = mean(il.together);
        baseline = mean(il.best);
        const auto [lo, hi] = std::minmax_element(il.best.begin(), il.best.end());
        noise = (*hi - *lo) / *hi;
        row["rounds"] = {{"best_single", il.best}, {"together", il.together}};
      }
      row["best_single_interleaved"] = baseline;
      row["noise"] = noise;
    }
    const double speedup = baseline > 0 ? co.images_per_s / baseline : 0;
    const double of_ideal = ideal > 0 ? co.images_per_s / ideal : 0;
    row["together"] = co.images_per_s;
    row["plan"] = co.plan;
    row["speedup_over_best_single"] = speedup;
    row["fraction_of_ideal"] = of_ideal;
    if (!co.error.empty()) row["error"] = co.error;
    std::printf(" %14.1f %8.2fx %8.0f%% %6.1f%%", co.images_per_s, speedup, 100 * of_ideal, 100 * noise);
    if (tuning) {  // the tuned plan for this batch, then measured like the others
      progress(step++, steps, "batch " + std::to_string(b) + ": tuning");
      TANDEM_ASSIGN_OR_RETURN(auto tuned, tuned_at(*tuning, b, o.seconds / 4));
      Measurement t = measure(o, o.units, tuned.first, x);
      row["tuned"] = t.images_per_s;
      row["tuned_predicted"] = tuned.second;
      row["tuned_plan"] = tuned.first;
      row["tuned_speedup"] = baseline > 0 ? t.images_per_s / baseline : 0;
      if (!t.error.empty()) row["tuned_error"] = t.error;
      std::printf(" %14.1f %14.1f %8.2fx", t.images_per_s, tuned.second, baseline > 0 ? t.images_per_s / baseline : 0);
    }
    progress(steps, steps, "");
    rows.push_back(row);
    std::printf("  %s%s\n", co.error.empty() ? co.plan.c_str() : ("error: " + co.error).c_str(),
                tuning ? ("; tuned: " + row["tuned_plan"].get<std::string>()).c_str() : "");
  }
  return write_bench_files(o, specs, rows);
}

}  // namespace tandem::cli

#include "bench_plot.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plan/search.h"
#include "tuning.h"

#ifndef TANDEM_PLOT_SCRIPT
#define TANDEM_PLOT_SCRIPT "tools/plot/plot_bench.py"
#endif

namespace tandem::cli {
namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int shell(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

// The best predicted single-unit shape of unit `u` at `batch`, images/s (0: it cannot run it).
double predicted_alone(const plan::Profile& p, size_t u, int64_t batch) {
  plan::PlanShape s{{plan::ShapeStage{0, p.piece_count(), {u}, {batch}}}, batch};
  plan::Prediction pr = plan::predict(p, s);
  return pr.feasible ? pr.images_per_s : 0;
}

}  // namespace

Status check_plot_tool() {
  if (shell("python3 -c 'import matplotlib' >/dev/null 2>&1") != 0)
    return unavailable("--plot needs Python's matplotlib: `python3 -c 'import matplotlib'` failed "
                       "(pip install matplotlib; it is in scripts/requirements.txt)");
  return Status::ok();
}

Status draw_plot(const std::string& json_path, const std::string& png_path) {
  const std::string err = png_path + ".err";
  const int rc = shell("python3 " + quote(TANDEM_PLOT_SCRIPT) + " " + quote(json_path) + " " + quote(png_path) + " 2>" + quote(err));
  std::ifstream f(err);
  std::stringstream ss;
  ss << f.rdbuf();
  std::remove(err.c_str());
  if (rc != 0) {
    std::string m = ss.str();
    while (!m.empty() && m.back() == '\n') m.pop_back();
    const size_t last = m.find_last_of('\n');
    return internal_error("plotting failed (" TANDEM_PLOT_SCRIPT "): " + (last == std::string::npos ? m : m.substr(last + 1)));
  }
  return Status::ok();
}

Status run_bench_simulated(const BenchOptions& o, const std::vector<int64_t>& batches) {
  std::unique_ptr<TuneModel> m;
  if (o.profile.empty()) {
    TANDEM_ASSIGN_OR_RETURN(TuneModel tm, load_tune_model(o.model, o.units, o.shape));
    m = std::make_unique<TuneModel>(std::move(tm));
  }
  TANDEM_ASSIGN_OR_RETURN(auto pb, parse_batch_list(o.profile_batches, "--profile-batches"));
  std::string note;
  TANDEM_ASSIGN_OR_RETURN(plan::Profile p, get_profile(ProfileSource{o.model, o.units, o.shape, o.profile, pb, 6, false, o.reprofile},
                                                       m.get(), note));
  std::printf("%s\nsimulated: predicted by the cost model, nothing runs\n%-7s", note.c_str(), "batch");
  for (const auto& u : p.units) std::printf(" %14s", u.unit.c_str());
  std::printf(" %14s %9s  plan\n", "tuned", "speedup");
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int64_t b : batches) {
    nlohmann::ordered_json row{{"batch", b}};
    double best = 0;
    std::printf("%-7lld", static_cast<long long>(b));
    for (size_t u = 0; u < p.units.size(); ++u) {
      const double ips = predicted_alone(p, u, b);
      row["single"][p.units[u].unit] = ips;
      best = std::max(best, ips);
      std::printf(" %14.1f", ips);
    }
    plan::SearchOptions so;
    so.batches = {b};
    auto ranked = plan::search_shapes(p, so);
    if (ranked.empty()) return invalid_argument("no plan fits the profile's units at batch " + std::to_string(b));
    TANDEM_ASSIGN_OR_RETURN(plan::Plan tuned, plan::shape_to_plan(p, ranked[0].shape));
    const double ips = ranked[0].prediction.images_per_s;
    row["tuned"] = ips;
    row["tuned_plan"] = plan::plan_to_short_string(tuned);
    row["tuned_speedup"] = best > 0 ? ips / best : 0;
    std::printf(" %14.1f %8.2fx  %s\n", ips, best > 0 ? ips / best : 0, plan::plan_to_short_string(tuned).c_str());
    rows.push_back(row);
  }
  auto head = [](const std::string& s) { return s.substr(0, s.find(" (")); };
  nlohmann::ordered_json j{{"model", p.model.empty() ? o.model : p.model}, {"units", p.units_spec}, {"simulated", true},
                           {"title", head(p.machine) + ": " + head(p.model) + " (predicted from the profile)"},
                           {"profile_source", p.source}, {"rows", rows}};
  if (!o.profile.empty()) {  // published figures the profile cites, for the plot
    std::ifstream f(o.profile);
    auto raw = nlohmann::json::parse(f, nullptr, false, true);
    if (raw.is_object() && raw.contains("published")) j["published"] = raw["published"];
  }
  const std::string json_path = !o.json.empty() ? o.json : o.plot + ".json";
  if (!o.json.empty() || !o.plot.empty()) {
    std::ofstream f(json_path);
    if (!f) return invalid_argument(json_path + ": cannot write");
    f << j.dump(2) << "\n";
  }
  if (!o.csv.empty()) {
    std::ofstream f(o.csv);
    if (!f) return invalid_argument(o.csv + ": cannot write");
    f << "batch";
    for (const auto& u : p.units) f << "," << u.unit;
    f << ",tuned,tuned_speedup,tuned_plan\n";
    for (const auto& r : rows) {
      f << r["batch"].get<int64_t>();
      for (const auto& u : p.units) f << "," << r["single"][u.unit].get<double>();
      f << "," << r["tuned"].get<double>() << "," << r["tuned_speedup"].get<double>() << ",\"" << r["tuned_plan"].get<std::string>() << "\"\n";
    }
  }
  if (!o.plot.empty()) {
    TANDEM_RETURN_IF_ERROR(draw_plot(json_path, o.plot));
    if (o.json.empty()) std::remove(json_path.c_str());
    std::printf("plot: %s\n", o.plot.c_str());
  }
  return Status::ok();
}

}  // namespace tandem::cli

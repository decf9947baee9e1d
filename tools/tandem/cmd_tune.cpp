// `tandem tune`: profile the model on the units (or load --profile FILE), search the split, the
// shares and the batch size (plan/search.h), measure the best few predictions and the best single
// unit, keep the best measured with the never-worse rule (plan/measured_choice.h), print predicted
// vs measured, and save the plan (with its profile) for `tandem run|bench --plan`.
// --simulate predicts only: nothing runs, so a profile of a Jetson plans on this machine.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "plan/tune.h"
#include "tuning.h"

namespace tandem::cli {
namespace {

std::string describe_row(const plan::TunedShape& s) {
  char buf[160];
  const auto& pr = s.ranked.prediction;
  if (s.rounds.empty()) {
    std::snprintf(buf, sizeof buf, "%6lld %12.1f %10.2f %12s %10s %7s", static_cast<long long>(s.ranked.shape.batch),
                  pr.images_per_s, 1e3 * pr.latency_s, "-", "-", "-");
  } else {
    std::snprintf(buf, sizeof buf, "%6lld %12.1f %10.2f %12.1f %10.2f %+6.1f%%",
                  static_cast<long long>(s.ranked.shape.batch), pr.images_per_s, 1e3 * pr.latency_s, s.measured,
                  1e3 * s.measured_latency_s, 100 * plan::prediction_error(s));
  }
  return buf;
}

nlohmann::ordered_json shape_json(const plan::TunedShape& s) {
  nlohmann::ordered_json j{{"plan", plan::plan_to_short_string(s.plan)},
                           {"kind", s.ranked.kind},
                           {"batch", s.ranked.shape.batch},
                           {"predicted_images_per_s", s.ranked.prediction.images_per_s},
                           {"predicted_latency_ms", 1e3 * s.ranked.prediction.latency_s}};
  if (!s.rounds.empty()) {
    j["measured_images_per_s"] = s.measured;
    j["measured_rounds"] = s.rounds;
    j["measured_latency_ms"] = 1e3 * s.measured_latency_s;
    j["prediction_error"] = plan::prediction_error(s);
  }
  return j;
}

Status save(const TuneOptions& o, const plan::TuneResult& r, const plan::Profile& profile) {
  const plan::TunedShape& c = r.shapes[r.chosen];
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(plan::plan_to_json(c.plan));
  j["batch"] = c.ranked.shape.batch;
  nlohmann::ordered_json t{{"model", o.model}, {"units", o.units}, {"simulated", r.simulated}, {"why", r.why}};
  if (o.latency_ms > 0) t["latency_ms"] = o.latency_ms;
  if (o.images > 0) t["images"] = o.images;
  t["chosen"] = shape_json(c);
  t["candidates"] = nlohmann::ordered_json::array();
  for (const auto& s : r.shapes) t["candidates"].push_back(shape_json(s));
  j["tune"] = t;
  j["profile"] = nlohmann::ordered_json::parse(plan::profile_to_json(profile));
  std::ofstream f(o.save);
  if (!f) return invalid_argument(o.save + ": cannot write");
  f << j.dump(2) << "\n";
  return f ? Status::ok() : internal_error(o.save + ": write failed");
}

}  // namespace

Status run_tune(const TuneOptions& o) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> batches, parse_batch_list(o.batches, "--batches"));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> profile_batches, parse_batch_list(o.profile_batches, "--profile-batches"));
  if (o.latency_ms < 0) return invalid_argument("--latency-ms must be > 0");
  if (o.simulate && o.profile.empty() && o.model.empty()) return invalid_argument("--simulate needs --profile FILE or a model");
  // A model and units are needed unless a profile is simulated.
  std::unique_ptr<TuneModel> m;
  if (!(o.simulate && !o.profile.empty())) {
    if (o.model.empty()) return invalid_argument("tandem tune needs a model (or --profile FILE --simulate)");
    TANDEM_ASSIGN_OR_RETURN(TuneModel tm, load_tune_model(o.model, o.units, o.shape));
    m = std::make_unique<TuneModel>(std::move(tm));
  }
  ProfileSource src{o.model, o.units, o.shape, o.profile, profile_batches, o.max_cuts, false, o.reprofile};
  std::string note;
  TANDEM_ASSIGN_OR_RETURN(plan::Profile profile, get_profile(src, m.get(), note));
  std::printf("%s\n", note.c_str());
  if (m && !o.profile.empty())  // the file's units must be the ones we run
    for (const auto& u : profile.units)
      TANDEM_RETURN_IF_ERROR(plan::find_unit(m->units, u.unit).status().with_context("--profile " + o.profile));
  plan::TuneOptions to;
  to.search.batches = batches;
  to.search.latency_s = o.latency_ms / 1e3;
  to.search.images = o.images;
  to.measure_top = static_cast<size_t>(o.top);
  to.choice.rounds = o.rounds;
  to.choice.round_seconds = o.seconds;
  std::unique_ptr<runtime::PlanTimer> timer;
  plan::MeasurePlanFn measure;
  if (!o.simulate) {
    timer = std::make_unique<runtime::PlanTimer>(m->units, m->graphs, m->sample);
    measure = [&](const plan::Plan& p, int64_t b, double s) {
      std::printf("measure: %s at batch %lld\n", plan::plan_to_short_string(p).c_str(), static_cast<long long>(b));
      std::fflush(stdout);
      return timer->time(p, b, s);
    };
  }
  TANDEM_ASSIGN_OR_RETURN(plan::TuneResult r, plan::tune(profile, measure, to));
  std::printf("\n%-4s %6s %12s %10s %12s %10s %7s  %s\n", "rank", "batch", "predicted/s", "pred. ms", "measured/s",
              "meas. ms", "error", "plan");
  // The first `show` by prediction, and every measured one (the best single unit may rank low).
  for (size_t i = 0; i < r.shapes.size(); ++i)
    if (i < static_cast<size_t>(o.show) || !r.shapes[i].rounds.empty() || i == r.chosen)
      std::printf("%-4s %s  %s (%s)\n", i == r.chosen ? "*" : std::to_string(i + 1).c_str(), describe_row(r.shapes[i]).c_str(),
                  plan::plan_to_short_string(r.shapes[i].plan).c_str(), r.shapes[i].ranked.kind.c_str());
  const plan::TunedShape& c = r.shapes[r.chosen];
  std::printf("\nchosen: %s at batch %lld: %s\n", plan::plan_to_short_string(c.plan).c_str(),
              static_cast<long long>(c.ranked.shape.batch), r.why.c_str());
  if (!r.simulated)
    std::printf("predicted %.1f images/s, measured %.1f images/s (%+.1f%%)\n", c.ranked.prediction.images_per_s,
                c.measured, 100 * plan::prediction_error(c));
  if (!o.save.empty()) {
    TANDEM_RETURN_IF_ERROR(save(o, r, profile));
    std::printf("saved %s (tandem run %s --plan %s --batch %lld)\n", o.save.c_str(), o.model.c_str(), o.save.c_str(),
                static_cast<long long>(c.ranked.shape.batch));
  }
  return Status::ok();
}

}  // namespace tandem::cli

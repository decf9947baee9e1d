#include "plan/tune.h"

#include <cmath>
#include <sstream>

namespace tandem::plan {

double prediction_error(const TunedShape& s) {
  return s.ranked.prediction.images_per_s > 0 ? s.measured / s.ranked.prediction.images_per_s - 1 : 0;
}

Result<TuneResult> tune(const Profile& profile, const MeasurePlanFn& measure, const TuneOptions& o) {
  TANDEM_RETURN_IF_ERROR(validate_profile(profile));
  std::vector<RankedShape> ranked = search_shapes(profile, o.search);
  if (ranked.empty())
    return invalid_argument(o.search.latency_s > 0 ? "no plan meets the latency bound on these units (predicted)"
                                                   : "no plan fits these units: none runs the whole model and no split fits");
  TuneResult res;
  for (auto& r : ranked) {
    TunedShape t;
    t.ranked = r;
    TANDEM_ASSIGN_OR_RETURN(t.plan, shape_to_plan(profile, r.shape));
    res.shapes.push_back(std::move(t));
  }
  if (!measure) {
    res.simulated = true;
    res.why = "best predicted (simulated: nothing was run)";
    return res;
  }
  // Finalists: the top few by prediction, and the best single unit (the guarantee's yardstick).
  std::vector<size_t> finalists;
  for (size_t i = 0; i < res.shapes.size() && finalists.size() < o.measure_top; ++i) finalists.push_back(i);
  // The best of each kind too: the model's error differs by kind (on two CPU core groups it
  // over-predicted front/tail plans by ~10% and not data-parallel ones), so a kind the model
  // ranks just below the top must still get measured.
  if (o.measure_each_kind)
    for (size_t i = 0; i < res.shapes.size(); ++i) {
      bool have = false;
      for (size_t f : finalists) have |= res.shapes[f].ranked.kind == res.shapes[i].ranked.kind;
      if (!have) finalists.push_back(i);
    }
  const RankedShape* single = best_single(ranked);
  if (single) {
    const size_t si = static_cast<size_t>(single - ranked.data());
    bool in = false;
    for (size_t f : finalists) in |= f == si;
    if (!in) finalists.push_back(si);
  }
  std::vector<TimedCandidate> cands;
  for (size_t f : finalists)
    cands.push_back(TimedCandidate{res.shapes[f].plan, res.shapes[f].ranked.shape.batch, false, {}, 0,
                                   res.shapes[f].ranked.kind});
  // Latency per candidate from its rounds (the measure callback reports one per round).
  std::vector<double> latency(cands.size(), 0);
  MeasurePlanFn keep_latency = [&](const Plan& p, int64_t b, double s) -> Result<PlanTiming> {
    TANDEM_ASSIGN_OR_RETURN(PlanTiming t, measure(p, b, s));
    for (size_t i = 0; i < cands.size(); ++i)
      if (cands[i].plan == p && cands[i].batch == b && (latency[i] == 0 || t.latency_s < latency[i]))
        latency[i] = t.latency_s;
    return t;
  };
  TANDEM_ASSIGN_OR_RETURN(Choice ch, choose_by_measurement(cands, keep_latency, o.choice));
  for (size_t k = 0; k < finalists.size(); ++k) {
    TunedShape& t = res.shapes[finalists[k]];
    t.rounds = ch.candidates[k].rounds;
    t.measured = ch.candidates[k].median;
    t.measured_latency_s = latency[k];
  }
  res.chosen = finalists[ch.chosen];
  res.why = ch.why;
  // A latency bound is checked on the measurement too: over it, the fastest measured candidate
  // within it (the prediction let it in; the measurement decides).
  if (o.search.latency_s > 0 && res.shapes[res.chosen].measured_latency_s > o.search.latency_s) {
    int best = -1;
    for (size_t f : finalists) {
      const TunedShape& t = res.shapes[f];
      if (t.measured_latency_s <= o.search.latency_s &&
          (best < 0 || t.measured > res.shapes[static_cast<size_t>(best)].measured))
        best = static_cast<int>(f);
    }
    std::ostringstream why;
    why << "measured latency " << 1e3 * res.shapes[res.chosen].measured_latency_s << " ms of the fastest is over the "
        << 1e3 * o.search.latency_s << " ms bound; "
        << (best < 0 ? "no measured plan is within it, kept the fastest" : "the fastest measured within it");
    if (best >= 0) res.chosen = static_cast<size_t>(best);
    res.why = why.str();
  }
  // The guarantee, checked on the medians (the choice's rule already demands more).
  if (single) {
    const size_t si = static_cast<size_t>(single - ranked.data());
    const TunedShape& c = res.shapes[res.chosen];
    if (res.chosen != si && c.ranked.shape.stages.size() + c.plan.stages()[0].units.size() > 2 &&
        c.measured < o.never_worse_fraction * res.shapes[si].measured) {
      std::ostringstream why;
      why << "the best single unit: the co-execution plan measured " << c.measured / res.shapes[si].measured
          << "x of it, below " << o.never_worse_fraction;
      res.chosen = si;
      res.why = why.str();
    }
  }
  return res;
}

}  // namespace tandem::plan

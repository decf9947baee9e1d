// Tuning: search the plan shapes on a profile (search.h), rank them by the cost model, measure the
// top few and the best single unit on the real units, and keep the best measured with the
// never-worse rule of measured_choice.h. Without a measurement (simulation: a profile of hardware
// we lack) the best predicted shape is the answer.
#pragma once

#include <string>
#include <vector>

#include "plan/cost_model.h"
#include "plan/measured_choice.h"
#include "plan/profile.h"
#include "plan/search.h"

namespace tandem::plan {

struct TuneOptions {
  SearchOptions search;
  ChoiceOptions choice;     // rounds, round_seconds, co_margin of the measured choice
  size_t measure_top = 3;   // best predicted shapes measured (the best single unit is added)
  bool measure_each_kind = true;  // and the best predicted of each kind (data-parallel, front/tail, ...)
  // The guarantee checked after the choice: a chosen co-execution plan measured below this
  // fraction of the best single unit is replaced by that unit.
  double never_worse_fraction = 0.98;
};

struct TunedShape {
  RankedShape ranked;
  Plan plan = Plan::single_unit("?");
  std::vector<double> rounds;   // measured images/s per round (empty: not measured)
  double measured = 0;          // median of rounds
  double measured_latency_s = 0;
};

struct TuneResult {
  std::vector<TunedShape> shapes;  // ranked by prediction; the first `measured` were measured
  size_t chosen = 0;               // index into shapes
  std::string why;
  bool simulated = false;
};

// `measure` empty: simulate (no runs). Error when no shape fits.
Result<TuneResult> tune(const Profile& profile, const MeasurePlanFn& measure, const TuneOptions& options);

// Measured / predicted - 1 of a measured shape.
double prediction_error(const TunedShape& s);

}  // namespace tandem::plan

// Choosing among candidate plans by measuring them: the planner's guarantee that a plan which
// spreads work over several units is never slower than the best single unit (DESIGN.md,
// planner 4). The planner decides; the caller (the Engine, `tandem tune`) supplies the
// measurement as a callback that runs a plan on the real units and times it, so this file never
// executes anything itself and the tests drive it with scripted timings.
//
// Noise: a single short timing on a busy machine can be off by 2x (on a shared 2-core machine
// one round picked a plan 0.16x as fast as the best single unit). So the finalists (the best
// `finalists` single units and co-plans by their first round) are timed in several rounds,
// interleaved (co-plans, single units, single units, co-plans, ...) so that drift in
// clocks or load hits both alike, and a co-execution plan wins only when the median of its
// per-round ratios to the best single unit clears `co_margin` *and* it beat that unit in every
// round (a sign test: within the noise, the simpler plan wins).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/batch_graphs.h"
#include "plan/default_plan.h"
#include "plan/plan.h"
#include "plan/unit_spec.h"
#include "tandem/status.h"

namespace tandem::plan {

// One timed round of a plan.
struct PlanTiming {
  double images_per_s = 0;
  double latency_s = 0;  // seconds of one batch alone through the plan (0: not measured)
  // images / busy second of each unit while running this plan together (empty when unknown);
  // used to rebalance shares from a co-run.
  std::map<std::string, double> unit_rates;
};

// Runs `plan` on batches of `batch` images for at least `seconds` on the real units and times it.
// Called several times per plan; the callee may keep what it compiled between calls (the Engine
// keeps the runtime).
using MeasurePlanFn = std::function<Result<PlanTiming>(const Plan& plan, int64_t batch, double seconds)>;

struct ChoiceOptions {
  int rounds = 3;               // timed rounds of each finalist (median); >= 1
  double round_seconds = 0.05;  // minimum length of one round
  // A plan that spreads work over several units is kept only when the median of its per-round
  // ratios to the best single unit exceeds 1 + co_margin and it was faster in every round.
  double co_margin = 0.03;
  // Single units and co-plans (each: the best first rounds) timed in every round; of each, the
  // best median competes.
  int finalists = 2;
  // false: choose_plan_for_batch returns the seed's plan as calibrated, timing nothing (the
  // Engine's measure_plan = false).
  bool compare = true;
  int64_t calibration_batch = 4;  // for the seed's default plan (default_plan.h)
  ThroughputFn calibrate;         // empty: real calibration runs (default_plan.h)
  // How the runtime runs a plan at the batch being chosen for (runtime::plan_at_batch: units
  // whose share rounds to no rows leave); candidates equal after it are timed once. Empty: as is.
  std::function<Plan(const Plan&)> as_run;
};

struct TimedCandidate {
  Plan plan;
  int64_t batch = 0;               // batch size it runs at
  bool spreads = false;            // several stages or several units
  std::vector<double> rounds;      // images/s per round
  double median = 0;
  std::string label;               // what it is: "seed", "rebalanced", "single", "data-parallel", "given"
};

struct Choice {
  Plan plan = Plan::single_unit("?");
  size_t chosen = 0;                       // index into candidates
  std::vector<TimedCandidate> candidates;  // in the order they were first timed
  std::string why;                         // one line: why the chosen plan won
};

// Whether `p` spreads work over more than one unit (several stages, or several units in one).
bool spreads(const Plan& p);

// Median of `v` (0 for an empty vector).
double median(std::vector<double> v);

// Times `candidates` (each once, then the finalists — the `finalists` fastest single units and
// co-execution plans — for `rounds - 1` more interleaved rounds) and keeps the best by the rule
// above (the co-plan with the best median against the single unit with the best median). Candidates need not include a single-unit plan; then the fastest median wins.
Result<Choice> choose_by_measurement(std::vector<TimedCandidate> candidates, const MeasurePlanFn& measure,
                                     const ChoiceOptions& options);

// The Engine's choice at one batch size: the seed's default plan, the same rebalanced from the
// units' rates in its own co-run, each unit alone, and data-parallel over the fastest 2, 3, ...
// units alone (shares by their rates); then choose_by_measurement. `graph` is the model at
// `batch`, `graphs` the model by batch.
Result<Choice> choose_plan_for_batch(const ir::Graph& graph, const std::vector<Unit>& units,
                                     const GraphForBatch& graphs, int64_t batch, const MeasurePlanFn& measure,
                                     const ChoiceOptions& options);

}  // namespace tandem::plan

// The seed's default plan (SEED.md): the longest prefix every unit can run is the *front*, run
// data-parallel over all units with shares proportional to each unit's measured throughput on it;
// the rest is the *tail* on the first unit that can run it.
//   - one unit: the whole model on it ("all: <unit>");
//   - every unit runs every node: one stage "all" over all units by throughput;
//   - empty front (no cut before the first node some unit refuses): the whole model on the first
//     unit that can run all of it.
#pragma once

#include <functional>

#include "ir/graph.h"
#include "plan/batch_graphs.h"
#include "plan/plan.h"
#include "plan/unit_spec.h"

namespace tandem::plan {

// Images per second of `unit` running `segment` (specialised, dim 0 = its batch).
using ThroughputFn = std::function<Result<double>(const Unit& unit, const ir::Graph& segment)>;

struct DefaultPlanOptions {
  int64_t calibration_batch = 4;  // batch of the calibration runs (capped by the graph's batch)
  int calibration_runs = 3;       // timed runs after one warm-up
  ThroughputFn measure;           // empty: measure_throughput() with calibration_runs
};

// Compiles `segment` on the unit and times it on a fresh thread bound like the unit's worker
// (pinned to its cores, bind_thread), inputs zero-filled: one warm-up, then `runs` timed runs.
Result<double> measure_throughput(const Unit& unit, const ir::Graph& segment, int runs);

// The default plan for `graph` (specialised at the batch being run). `graphs` gives the model at
// the calibration batch (empty: calibrate on `graph` itself).
Result<Plan> default_plan(const ir::Graph& graph, const std::vector<Unit>& units, const GraphForBatch& graphs,
                          const DefaultPlanOptions& options = {});

}  // namespace tandem::plan

// Runtime: executes a Plan over a stream of batches on all units at once.
//
// One worker thread per unit (pinned to the unit's cores, then Backend::bind_thread). For each
// batch, each stage scatters the batch into per-unit row slices by share (largest remainder; a
// zero share gets no work), the units run their slice of the stage's segment in parallel — each
// on an Executable compiled once per (unit, stage, slice rows) and cached on its worker — and
// write straight into the stage's output buffer at their rows (gather without a copy); the last
// slice to finish starts the next stage. The last stage's outputs come from a TensorPool
// (recycled, page-locked buffers that a GPU writes directly; tensor_pool.h). Consecutive batches overlap (stage 1 of batch i+1 runs
// while stage 2 of batch i does), up to `max_in_flight` batches; a worker prefers later stages
// and older batches, so the pipeline drains. Batches come out in submit order: nothing is
// dropped, duplicated or reordered. Stage-boundary buffers come from a reusable pool.
//
// Failure: when a unit's execution fails (or compile, or bind_thread), the unit is marked failed
// for good, its slice re-runs on another live unit that can run the stage's segment (units of
// the same stage first), and later batches split over the live units. The report names the
// failed unit and every re-run slice. When no unit can take a slice, that batch's next() returns
// the error and no outputs; the runtime stays usable for batches it can still run.
//
// The runtime makes no placement decisions beyond this re-routing: the plan says who runs what.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plan/batch_graphs.h"
#include "plan/plan.h"
#include "plan/unit_spec.h"
#include "runtime/report.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::runtime {

struct RuntimeOptions {
  int max_in_flight = 4;  // batches submitted and not yet taken by next()
  // Host memory the outputs handed to the caller may hold at most in recycled (page-locked, with
  // a GPU unit) buffers (output_pool.h); beyond it, outputs are ordinary tensors.
  size_t output_pool_bytes = size_t{4} << 30;
  // Test hook (tests only): unit name -> successful slice runs after which every run of that
  // unit fails, as if the device had died.
  std::map<std::string, int> fail_unit_after;
};

class Runtime {
 public:
  // `units`: every unit that may run work (the plan's, plus any that may take re-routed slices).
  // `graphs`: the model specialised per batch size. The plan is checked against the graph of
  // each new batch size at its first submit.
  static Result<std::unique_ptr<Runtime>> create(std::vector<plan::Unit> units, plan::Plan plan,
                                                 plan::GraphForBatch graphs, RuntimeOptions options = {});
  virtual ~Runtime() = default;  // stops the workers after the batches in flight finish

  // Thread safety: submit() and next() may be called from two different threads (a producer and
  // a consumer); each of them from one thread at a time. report()/reset_report() from any thread.

  // Queues one batch: inputs in the graph's input order, all with the same dim 0 (the batch).
  // Blocks while max_in_flight batches are submitted and not yet taken by next(). Errors: input
  // count, shape or dtype mismatch, a plan that does not fit the graph at this batch size.
  virtual Status submit(std::vector<Tensor> inputs) = 0;
  // Waits for the oldest batch not yet taken and returns its outputs (graph output order), or its
  // error. Error when no batch is pending.
  virtual Result<std::vector<Tensor>> next() = 0;
  // submit() + next().
  virtual Result<std::vector<Tensor>> run(std::vector<Tensor> inputs) = 0;
  // Streams all batches through the pipeline; outputs in order. Stops at the first failed batch.
  virtual Result<std::vector<std::vector<Tensor>>> run_all(const std::vector<std::vector<Tensor>>& batches) = 0;

  // Since create() or the last reset_report().
  virtual RunReport report() const = 0;
  virtual void reset_report() = 0;

  virtual const plan::Plan& plan() const = 0;
  virtual const std::vector<plan::Unit>& units() const = 0;
};

}  // namespace tandem::runtime

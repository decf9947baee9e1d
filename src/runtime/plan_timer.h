// Timing plans on the real units: what the planner's measured choice (plan/measured_choice.h)
// and `tandem tune` call back into. Running a plan is the runtime's job; choosing is not, so this
// only runs what it is given and reports how fast it went.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plan/measured_choice.h"
#include "runtime/runtime.h"

namespace tandem::runtime {

// One timed round of `rt` on `inputs`: two runs first (the first compiles; the second is the
// latency of one batch alone), then batches streamed for at least `min_seconds` and 3 batches.
// Unit rates (images / busy second) from the round's report.
Result<plan::PlanTiming> time_runtime(Runtime& rt, const std::vector<Tensor>& inputs, double min_seconds);

// Times plans at any batch size on random inputs shaped like `sample` (dim 0 replaced; in
// page-locked memory when a unit offers it), keeping each (plan, batch)'s Runtime for its later
// rounds. Not thread-safe.
class PlanTimer {
 public:
  PlanTimer(std::vector<plan::Unit> units, plan::GraphForBatch graphs, std::vector<Tensor> sample,
            RuntimeOptions options = {});
  Result<plan::PlanTiming> time(const plan::Plan& plan, int64_t batch, double seconds);
  // The outputs of `plan` at `batch` on the timing inputs (for checks).
  Result<std::vector<Tensor>> outputs(const plan::Plan& plan, int64_t batch);
  plan::MeasurePlanFn as_measure_fn() {
    return [this](const plan::Plan& p, int64_t b, double s) { return time(p, b, s); };
  }

 private:
  Result<Runtime*> runtime_for(const plan::Plan& plan, int64_t batch);
  const std::vector<Tensor>& inputs_at(int64_t batch);
  Tensor host_tensor(const Shape& shape, DType dtype) const;

  std::vector<plan::Unit> units_;
  plan::GraphForBatch graphs_;
  std::vector<Tensor> sample_;
  RuntimeOptions options_;
  std::map<std::pair<std::string, int64_t>, std::unique_ptr<Runtime>> runtimes_;
  std::map<int64_t, std::vector<Tensor>> inputs_;
};

}  // namespace tandem::runtime

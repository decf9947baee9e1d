// Cost model: predicted throughput and latency of a plan shape on a Profile (profile.h).
//
// How the runtime runs a plan (runtime/runtime.h) and so what is modelled:
//   - a stage's units run their slices in parallel; a slice of x rows on unit u over pieces
//     [b, e) takes  slowdown_u * sum_i (fixed_ui + per_image_ui * x)  (chunked by max_batch),
//     slowdown_u only when the plan keeps more than one unit busy;
//   - a stage's input crosses from other units: bytes * (copy_s_per_byte of sender + receiver)
//     for each slice whose unit differs from the one that produced it (0 for host units);
//   - consecutive batches overlap across stages, so a unit's busy time per batch is the sum over
//     the stages it takes part in, and throughput = batch / the busiest unit's time per batch;
//   - latency of one batch alone = the sum over stages of its slowest slice (+ copies).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/profile.h"

namespace tandem::plan {

// A plan in the profile's terms: stages over piece ranges, units by index into profile.units,
// and rows per unit (they sum to the batch) instead of shares.
struct ShapeStage {
  size_t begin = 0, end = 0;   // pieces [begin, end)
  std::vector<size_t> units;
  std::vector<int64_t> rows;   // same order as units
  bool operator==(const ShapeStage&) const = default;
};

struct PlanShape {
  std::vector<ShapeStage> stages;
  int64_t batch = 1;
  bool operator==(const PlanShape&) const = default;
};

struct Prediction {
  double images_per_s = 0;
  double latency_s = 0;
  bool feasible = false;  // every unit with rows can run its pieces
};

Prediction predict(const Profile& profile, const PlanShape& shape);

// The shape as a Plan (stage ends named by the profile's cut tensors, shares = rows / batch;
// stage names: "all" for one stage, "front"/"tail" for two, "s0", "s1", ... otherwise).
Result<Plan> shape_to_plan(const Profile& profile, const PlanShape& shape);

// Whether the plan keeps more than one unit busy (then slowdowns apply).
bool keeps_several_busy(const PlanShape& shape);

}  // namespace tandem::plan

// Search: every plan shape the cost model can price on a Profile, each with its rows balanced,
// ranked by predicted throughput (the seed's future work: the split, the shares and the batch
// size found automatically).
//
// Shapes, at each candidate batch size:
//   - each unit alone (the whole model);
//   - data-parallel over every subset of two or more units that run the whole model;
//   - the seed's front/tail at every cut: the front on any subset of the units that run it, the
//     tail on one unit (with a one-unit front that is a two-stage pipeline);
//   - three-stage pipelines, one unit per stage, at every pair of cuts (with 3+ units).
// Rows: water-filling on each unit's busy time per batch (its other stages counted), then
// rounded to whole rows and improved by moving rows between units while the prediction gets
// better. Objective: throughput; with a latency bound, only shapes whose predicted latency of one
// batch is within it (streaming). Near-ties (SearchOptions::near) rank by predicted latency;
// exact ties keep the simpler shape (fewer units, fewer stages).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/cost_model.h"
#include "plan/profile.h"

namespace tandem::plan {

struct SearchOptions {
  std::vector<int64_t> batches = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  double latency_s = 0;          // > 0: predicted latency of one batch must be within it
  // > 0: an offline run of this many images: batches above it become it, and shapes rank by the
  // predicted time of all of them (the first batch's latency, then one batch period per further
  // batch; the last, partial batch priced as a full one) instead of by streaming throughput.
  int64_t images = 0;
  size_t max_results = 20;       // best shapes returned
  size_t max_subset_units = 10;  // subsets are enumerated up to this many units (2^n shapes)
  bool three_stage_pipelines = true;
  // Shapes predicted within this fraction of the best throughput count as ties and rank by
  // predicted latency: the model's small differences are below its error (on MobileNetV2 over two
  // cores, the top ten were within 0.5% of each other and measured 150-190 images/s), and of
  // equally fast plans the one with less latency holds fewer images in flight.
  double near = 0.01;
};

struct RankedShape {
  PlanShape shape;
  Prediction prediction;
  std::string kind;  // "single", "data-parallel", "front/tail", "pipeline"
  double score = 0;  // what the ranking sorts by: images/s streaming, or over SearchOptions::images
};

// Every shape above, best predicted throughput first (at most max_results). Empty when no shape
// fits (no unit runs the whole model and no split fits, or nothing meets the latency bound).
std::vector<RankedShape> search_shapes(const Profile& profile, const SearchOptions& options);

// Rows for `shape`'s multi-unit stages (the rows given are ignored): the balancing above.
PlanShape balance_rows(const Profile& profile, PlanShape shape);

// The best shape of `kind` in `ranked` with a single unit; nullptr if none.
const RankedShape* best_single(const std::vector<RankedShape>& ranked);

}  // namespace tandem::plan

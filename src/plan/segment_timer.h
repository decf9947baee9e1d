// Timing segments on real units for profiles (profiler.h): alone, and several at the same time
// (to see how much units slow each other). Each unit runs on a fresh thread bound like its
// runtime worker (pinned to its cores, Backend::bind_thread), inputs zero-filled, after one
// warm-up run. The median run is reported: a 2-core machine shared with other work has spikes.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "plan/unit_spec.h"
#include "tandem/status.h"

namespace tandem::plan {

// Median seconds of one run of `segment` (specialised at its batch) on `unit`, over `runs` runs;
// on a unit whose runs overlap (Backend::max_runs_in_flight() > 1: a GPU's copies and compute),
// the median time per run over `runs` rounds of back-to-back runs, which is what a stream of
// batches costs it. Inputs and outputs in the backend's host memory (page-locked for a GPU).
Result<double> time_segment(const Unit& unit, const ir::Graph& segment, int runs);

// Median seconds per run of segments[i] on units[i] while all of them run at once (each starts
// once all have compiled and warmed up; each keeps running until every unit has done `runs`
// runs, so none runs alone at the end). Same sizes; at least one.
Result<std::vector<double>> time_segments_together(const std::vector<Unit>& units,
                                                   const std::vector<const ir::Graph*>& segments, int runs);

}  // namespace tandem::plan

// Profiler: measures a Profile (profile.h) of a model on the given units, or reads it from the
// profile cache when one with the same identity is there.
//
// Candidate cuts: for each unit that refuses some node, the last cut before the first node it
// refuses (where the seed's front must end), plus up to `max_cuts` cuts spread evenly over the
// model's FLOPs. Pieces between them are timed on every unit that runs them at each profiled
// batch size (kept as points, and fitted as fixed + per image). At each of those batches every
// unit also runs its longest runnable span of pieces as one segment, which rescales its pieces
// there (pieces timed one by one sum to more than one compiled run over them: a GPU piece pays
// its own upload and download). Then every unit runs that span at `slowdown_batch` alone and all
// at once, in several rounds: the median ratio is its slowdown beside the others.
// Copies: every piece is timed from host inputs to host outputs, so a GPU piece's time holds its
// upload and download (overlapped with compute as a stream of batches overlaps them,
// segment_timer.h); the measured profile's copy_s_per_byte is 0 for every unit, lest the cost
// model count them twice. (A profile from a file may set it: then its times exclude copies.)
//
// The cache folder is given (the library reads no environment); one file per identity:
// <cache_dir>/profile-<hash of machine, model, units, version>.json. A file there whose identity
// differs (hash collision, hand-edited) or that does not parse is measured again and replaced.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/batch_graphs.h"
#include "plan/cuts.h"
#include "plan/profile.h"
#include "plan/unit_spec.h"
#include "tandem/status.h"

namespace tandem::plan {

// Seconds of one run of `segment` (specialised at its batch) on `unit` alone.
using SegmentTimeFn = std::function<Result<double>(const Unit& unit, const ir::Graph& segment)>;
// Seconds per run of segments[i] on units[i] while all run at once.
using TogetherTimeFn =
    std::function<Result<std::vector<double>>(const std::vector<Unit>& units, const std::vector<const ir::Graph*>& segments)>;

struct ProfileOptions {
  std::vector<int64_t> batches = {1, 8};  // batch sizes timed (the fit needs two)
  int max_cuts = 6;                       // evenly spread candidate cuts (besides the needed ones)
  int runs = 3;                           // timed runs per measurement (median)
  int slowdown_rounds = 3;                // alone-then-together rounds for the slowdown (median)
  int64_t slowdown_batch = 16;            // at the largest profiled batch up to this (else the smallest)
  bool refresh = false;                   // measure even when the cache has this profile
  std::string cache_dir;                  // empty: no cache
  std::string machine;                    // identity (profile.h); the units part is the unit spec
  std::string model;
  std::string version;
  SegmentTimeFn time_segment;             // empty: time_segment() of segment_timer.h
  TogetherTimeFn time_together;           // empty: time_segments_together()
  std::function<void(const std::string&)> progress;  // one line per step (may be empty)
};

struct ProfileResult {
  Profile profile;
  bool from_cache = false;
  std::string note;  // why it was (re)measured: "no cached profile", "cached profile is stale: ..."
};

// The units' spec as the profile's identity: each unit's spec text, joined by ','.
std::string units_identity(const std::vector<Unit>& units);

// The candidate cuts of `graph` for `units` (see the header comment), in graph order.
std::vector<Cut> candidate_cuts(const ir::Graph& graph, const std::vector<Unit>& units, int max_cuts);

// Path of the cache file for an identity.
std::string profile_cache_path(const std::string& cache_dir, const Profile& identity);

// Measures (or reads from the cache) the profile of the model `graphs` on `units`.
Result<ProfileResult> profile_units(const GraphForBatch& graphs, const std::vector<Unit>& units,
                                    const ProfileOptions& options);

}  // namespace tandem::plan

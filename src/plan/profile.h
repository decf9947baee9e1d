// Profile: what the cost model (cost_model.h) knows about a model on some units — measured here
// (profiler.h) or loaded from a file for hardware we lack (profiles/*.json, a Jetson on paper).
//
// The model is cut at a few candidate cuts into *pieces*: piece i runs from cut i-1 (the graph
// start for i = 0) to cut i (the graph end for the last). For each unit and piece: whether the
// unit can run it and, if so, its time for x images as fixed + per_image * x (fitted over the
// profiled batch sizes; a stage over several pieces costs their sum). Per unit also: how much
// slower it runs while the other units run at the same time (shared memory bandwidth, a GPU
// beside DLAs), the cost of moving a byte between it and host memory, and a row limit.
//
// Identity: (machine, model, units, version). A profile cached on disk is used only when all four
// match the current run; anything else is *stale* (another Tandem version, a changed model file)
// or *foreign* (another machine or unit spec) and is measured again.
//
// JSON (profile_to_json / profile_from_json), field by field as below:
//   {"format": "tandem-profile", "format_version": 1,
//    "machine": "...", "model": "...", "units_spec": "...", "version": "...", "source": "...",
//    "cuts": [{"tensor": "t", "bytes_per_image": 1234}, ...],
//    "input_bytes_per_image": 602112, "batches": [1, 8],
//    "units": [{"unit": "cpu:0-0", "spec": "cpu:0", "slowdown": 1.1, "copy_s_per_byte": 0,
//               "max_batch": 0, "pieces": [{"fixed_s": 1e-4, "per_image_s": 2e-3,
//                                           "points": [[1, 2.1e-3], [8, 1.6e-2]]}, null, ...]}]}
// A null piece: the unit cannot run it. "points" is optional (measured profiles have it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tandem/status.h"

namespace tandem::plan {

// Seconds of one run over x images: fixed + per_image * x, or — when `points` holds measured
// (batch, seconds) pairs, two or more, sorted by batch — the piecewise-linear curve through them,
// extended past either end along its end segment (a GPU is flat until it fills, then linear; a
// line fitted through batches 1 and 8 would miss that at 256). fixed/per_image are then the
// least-squares line, used only as the search's starting point.
struct LinearCost {
  double fixed_s = 0;
  double per_image_s = 0;
  std::vector<std::pair<int64_t, double>> points = {};
  double at(double images) const;
  bool operator==(const LinearCost&) const = default;
};

// Least-squares line through (batch, seconds) points, both coefficients clamped to >= 0 (a
// negative fixed cost is noise). One point: all of it per image.
LinearCost fit_linear(const std::vector<std::pair<int64_t, double>>& points);

struct UnitProfile {
  std::string unit;                         // canonical unit name ("cpu:0-0", "dla:0")
  std::string spec;                         // the unit as given (options included)
  std::vector<std::optional<LinearCost>> pieces;  // per piece; nullopt: cannot run it
  double slowdown = 1.0;                    // time factor while other units run at once (>= 1)
  double copy_s_per_byte = 0;               // host memory <-> this unit (0: it works in host memory)
  int64_t max_batch = 0;                    // rows per run; larger slices run in chunks (0: no limit)
  bool operator==(const UnitProfile&) const = default;
};

struct CutInfo {
  std::string tensor;           // the tensor crossing the cut (a plan stage's end)
  int64_t bytes_per_image = 0;
  bool operator==(const CutInfo&) const = default;
};

struct Profile {
  std::string machine;     // identity (see the header comment)
  std::string model;
  std::string units_spec;
  std::string version;
  std::string source;      // where the figures come from: "measured ..." or a citation
  std::vector<CutInfo> cuts;      // candidate cuts in graph order; pieces = cuts + 1
  int64_t input_bytes_per_image = 0;
  std::vector<int64_t> batches;   // batch sizes profiled
  std::vector<UnitProfile> units;
  bool operator==(const Profile&) const = default;

  size_t piece_count() const { return cuts.size() + 1; }
  // Seconds for unit u to run pieces [begin, end) on `images` rows alone (no slowdown), chunked
  // by max_batch; nullopt when it cannot run one of them. 0 images cost nothing.
  std::optional<double> time(size_t u, size_t begin, size_t end, int64_t images) const;
  // Whether the four identity fields equal `other`'s.
  bool same_identity(const Profile& other) const;
};

// Checks the structure: at least one unit, every unit has piece_count() pieces, numbers finite
// and >= 0, slowdown >= 1, names unique. The error names the unit or field.
Status validate_profile(const Profile& p);

std::string profile_to_json(const Profile& p);
// Parses and validates; errors name the field ("profile: units[1].pieces[0].per_image_s must be a number").
Result<Profile> profile_from_json(std::string_view text);
Status save_profile(const Profile& p, const std::string& path);
Result<Profile> load_profile(const std::string& path);  // errors start with the path

}  // namespace tandem::plan

// RunReport: what a run (or a window of a stream) did — images, wall time, throughput, and per
// unit its images, busy time and utilisation, plus failed units and re-run slices.
// The CLI prints to_string() and writes to_json() (`--report R.json`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::runtime {

struct UnitReport {
  std::string unit;
  int64_t images = 0;                     // images through this unit, summed over stages
  std::vector<int64_t> images_per_stage;  // by plan stage
  int64_t slices = 0;                     // slice runs
  double busy_s = 0;                      // time inside Executable::run
  double utilisation = 0;                 // busy_s / wall_s
  bool failed = false;
  std::string failure;                    // why it failed, when it did
};

// One slice that ran again on another unit after its unit failed.
struct RerunRecord {
  uint64_t batch = 0;      // sequence number of the batch (0-based, submit order)
  std::string stage;
  int64_t first_image = 0;  // rows [first_image, first_image + images) of the batch
  int64_t images = 0;
  std::string failed_unit;
  std::string rerun_unit;   // empty when no unit could take it (the batch failed)
};

struct RunReport {
  int64_t batches = 0;
  int64_t images = 0;
  double wall_s = 0;        // first submit to last batch completed
  double images_per_s = 0;  // end to end
  std::vector<UnitReport> units;
  std::vector<RerunRecord> reruns;
  int64_t staging_buffers = 0;  // host buffers the runtime's pool holds (stops growing once warm)
  int64_t device_buffers = 0;   // device buffers between stages (a GPU front gathering onto a GPU tail)

  std::string to_string() const;  // a short table
  std::string to_json() const;    // pretty JSON
};

}  // namespace tandem::runtime

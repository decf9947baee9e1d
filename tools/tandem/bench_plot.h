// `tandem bench --plot`: the PNG is drawn by tools/plot/plot_bench.py (matplotlib) from the
// bench JSON; `--simulate`: the curves predicted from a profile, nothing run.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "tandem/status.h"

namespace tandem::cli {

// Fails with one line unless python3 can import matplotlib (checked before any timing starts).
Status check_plot_tool();
// Runs the plot script on `json_path`, writing `png_path`.
Status draw_plot(const std::string& json_path, const std::string& png_path);

// The simulated bench: per batch, each unit alone and the tuned plan as the cost model predicts
// them on the profile (--profile FILE, or measured on the units); writes --json/--csv/--plot.
Status run_bench_simulated(const BenchOptions& o, const std::vector<int64_t>& batches);

}  // namespace tandem::cli

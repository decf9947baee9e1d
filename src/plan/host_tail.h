// The host tail: when the units a user gives cannot run the end of a model (a detection head's
// NonMaxSuppression on a GPU, an op only the reference interpreter has), the planner runs that
// suffix on a host unit as the plan's last stage, automatically, and says so in one line.
//
// Where the tail starts: the latest position at or before the first node no given unit runs
// that is a cut or a split (cuts.h: several batch-major tensors may cross, like boxes and
// scores), and from which one of the host units runs everything. Position 0 (no such split):
// the whole model on the host unit. A node no unit at all runs (given or host) is an error that
// names every such op and node in one line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "plan/unit_spec.h"
#include "tandem/status.h"

namespace tandem::plan {

struct HostTail {
  int position = 0;       // nodes [position, n) run on the host unit
  std::string front_end;  // the tensor the front ends at ("" when position is 0)
  size_t host = 0;        // index into the host units passed in
  std::string host_name;  // that unit's name
  std::string note;       // one line for the user: what runs where, and why
};

// std::nullopt when every node runs on some unit of `units`. `hosts`: the units to fall back to,
// in order of preference (the cpu unit, then the reference interpreter).
Result<std::optional<HostTail>> plan_host_tail(const ir::Graph& graph, const std::vector<Unit>& units,
                                               const std::vector<Unit>& hosts);

}  // namespace tandem::plan

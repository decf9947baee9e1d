// Plan: an immutable chain of stages. A stage is a segment of the graph plus the units that run
// it, each with a share of the batch (data parallel). The runtime executes a plan as given; it
// makes no placement decisions.
//
// How a stage names its extent: by the *tensor where it ends* — the one tensor crossing the cut
// after its last node, or, at a split where several batch-major tensors cross (a detection
// head's boxes and scores), the one its last node produces (see cuts.h). Stage k runs from where stage k-1 ended (the graph start for
// k = 0) up to and including the node producing its end tensor; the last stage runs to the graph
// outputs and names no end. Tensor names survive re-specialisation for another batch size and
// graph passes, node indices do not — that is why a plan uses names.
//
// Short form (`--plan`, `--dump-plan`), stages separated by '|':
//   front@conv5_out: cpu:0-3=0.6, cpu:4-7=0.4 | tail: cpu:0-3
//   stage := NAME ['@' END] ':' UNIT ['=' SHARE] (',' UNIT ['=' SHARE])*
// END is quoted ("input:0") when it holds any of  :|,=@"  or spaces. Shares are given for every
// unit of a stage or for none (then equal). UNIT is a unit name as in the unit spec (any
// spelling; options are ignored). JSON form, equivalent field by field:
//   {"stages": [{"name": "front", "end": "conv5_out",
//                "units": [{"unit": "cpu:0-3", "share": 0.6}, {"unit": "cpu:4-7", "share": 0.4}]},
//               {"name": "tail", "units": [{"unit": "cpu:0-3", "share": 1.0}]}]}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "plan/unit_spec.h"
#include "tandem/status.h"

namespace tandem::plan {

struct StageUnit {
  std::string unit;    // unit name
  double share = 1.0;  // fraction of the batch, >= 0; a stage's shares sum to 1
  bool operator==(const StageUnit&) const = default;
};

struct Stage {
  std::string name;  // unique within the plan
  std::string end;   // tensor where the stage ends; empty for the last stage (graph outputs)
  std::vector<StageUnit> units;
  bool operator==(const Stage&) const = default;
};

// An immutable, structurally valid chain of stages (names unique, shares >= 0 summing to 1,
// every stage but the last names its end). Whether it fits a graph and units: bind_plan().
class Plan {
 public:
  static Result<Plan> make(std::vector<Stage> stages);
  // The whole graph on one unit: "all: <unit>".
  static Plan single_unit(const std::string& unit);

  const std::vector<Stage>& stages() const { return stages_; }
  bool operator==(const Plan&) const = default;

 private:
  Plan() = default;
  std::vector<Stage> stages_;
};

// Short form (see the header comment) <-> Plan.
Result<Plan> parse_plan(std::string_view short_form);
std::string plan_to_short_string(const Plan& plan);

// JSON text <-> Plan; files.
std::string plan_to_json(const Plan& plan);
Result<Plan> plan_from_json(std::string_view json_text);
Status save_plan_json(const Plan& plan, const std::string& path);
Result<Plan> load_plan_json(const std::string& path);
// `text` is a path to a JSON file when such a file exists or it ends in ".json", else a short form.
Result<Plan> load_plan(const std::string& text);

// A plan resolved against one specialised graph and the units.
struct BoundStage {
  std::string name;
  int begin = 0;                     // node positions [begin, end)
  int end = 0;
  std::vector<std::string> inputs;   // tensors crossing `begin` (graph inputs for stage 0)
  std::vector<std::string> outputs;  // tensors crossing `end` (graph outputs for the last stage)
  std::vector<size_t> units;         // indices into the unit list, in plan order
  std::vector<double> shares;        // same order
};

struct BoundPlan {
  Plan plan;
  std::vector<BoundStage> stages;
};

// Checks the plan against the graph and units: every end is a cut, the stages cover the graph in
// order with no empty stage, every unit exists, and every unit with a share > 0 can run every
// node of its stage (else the error names the stage, node, op and unit).
Result<BoundPlan> bind_plan(const Plan& plan, const ir::Graph& graph, const std::vector<Unit>& units);

// Multi-line description for `--dump-plan`: per stage its nodes, FLOPs, output tensor and size,
// then each unit's share.
std::string describe_plan(const BoundPlan& bound, const ir::Graph& graph, const std::vector<Unit>& units);

}  // namespace tandem::plan

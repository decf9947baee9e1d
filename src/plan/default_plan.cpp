#include "plan/default_plan.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "plan/cuts.h"

namespace tandem::plan {
namespace {

Result<double> measure_on_this_thread(const Unit& unit, const ir::Graph& segment, int runs) {
  (void)pin_this_thread(unit.options().cpus);  // best effort: calibration only
  TANDEM_RETURN_IF_ERROR(unit.backend->bind_thread(unit.options()));
  TANDEM_ASSIGN_OR_RETURN(auto exe, unit.backend->compile(segment, unit.options()));
  std::vector<Tensor> tensors;
  auto zeros = [&](const std::vector<std::string>& names, std::vector<TensorView>& views) -> Status {
    for (const std::string& name : names) {
      const ir::ValueInfo* vi = segment.info(name);
      if (!vi || !vi->fully_known()) return internal_error("calibration: tensor '" + name + "' has no known shape");
      tensors.push_back(Tensor::zeros(vi->shape, vi->dtype));
      views.push_back(tensors.back().view());
    }
    return Status::ok();
  };
  std::vector<TensorView> ins, outs;
  TANDEM_RETURN_IF_ERROR(zeros(segment.inputs, ins));
  TANDEM_RETURN_IF_ERROR(zeros(segment.outputs, outs));
  const ir::ValueInfo* first = segment.inputs.empty() ? nullptr : segment.info(segment.inputs[0]);
  const int64_t rows = first && !first->shape.empty() ? std::max<int64_t>(first->shape[0], 1) : 1;
  TANDEM_RETURN_IF_ERROR(exe->run(ins, outs));  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) TANDEM_RETURN_IF_ERROR(exe->run(ins, outs));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(rows) * runs / std::max(s, 1e-9);
}

// The first node some unit cannot run (n when all can run everything).
int first_refused_node(const ir::Graph& graph, const std::vector<Unit>& units) {
  const int n = static_cast<int>(graph.nodes.size());
  for (int i = 0; i < n; ++i)
    for (const Unit& u : units)
      if (!u.supports(graph, graph.nodes[static_cast<size_t>(i)]).is_ok()) return i;
  return n;
}

Result<Plan> whole_model_on_first_capable(const ir::Graph& graph, const std::vector<Unit>& units) {
  Status why;
  for (const Unit& u : units) {
    Status st = u.supports_range(graph, 0, static_cast<int>(graph.nodes.size()));
    if (st.is_ok()) return Plan::single_unit(u.name());
    if (why.is_ok()) why = st;
  }
  return why.with_context("no unit can run the whole model and no front/tail split fits");
}

// Shares proportional to each unit's throughput on the front [0, end).
Result<std::vector<double>> calibrate(const ir::Graph& graph, int end, const std::vector<Unit>& units,
                                      const GraphForBatch& graphs, const DefaultPlanOptions& options) {
  const ir::Graph* g = &graph;
  std::shared_ptr<const ir::Graph> small;
  int64_t batch = graph.inputs.empty() || !graph.info(graph.inputs[0]) || graph.info(graph.inputs[0])->shape.empty()
                      ? 1 : graph.info(graph.inputs[0])->shape[0];
  std::string end_tensor = end == static_cast<int>(graph.nodes.size()) ? "" : crossing_tensors(graph, end)[0];
  if (graphs && options.calibration_batch > 0 && options.calibration_batch < batch) {
    TANDEM_ASSIGN_OR_RETURN(small, graphs(options.calibration_batch));
    g = small.get();
    if (!end_tensor.empty()) {
      TANDEM_ASSIGN_OR_RETURN(end, cut_position(*g, end_tensor));
    }
  }
  TANDEM_ASSIGN_OR_RETURN(ir::Graph front, extract_segment(*g, 0, end));
  std::vector<double> tput;
  double total = 0;
  for (const Unit& u : units) {
    Result<double> r = 0.0;
    if (options.measure) {
      r = options.measure(u, front);
    } else {  // on a fresh thread: bind_thread may pin and set thread counts
      std::thread t([&] { r = measure_on_this_thread(u, front, options.calibration_runs); });
      t.join();
    }
    if (!r) return r.status().with_context("calibrating unit '" + u.name() + "' on the front");
    tput.push_back(std::max(*r, 0.0));
    total += tput.back();
  }
  if (total <= 0) return internal_error("calibration measured no throughput on any unit");
  for (double& t : tput) t /= total;
  return tput;
}

}  // namespace

Result<double> measure_throughput(const Unit& unit, const ir::Graph& segment, int runs) {
  Result<double> r = 0.0;
  std::thread t([&] { r = measure_on_this_thread(unit, segment, runs); });
  t.join();
  return r;
}

Result<Plan> default_plan(const ir::Graph& graph, const std::vector<Unit>& units, const GraphForBatch& graphs,
                          const DefaultPlanOptions& options) {
  if (units.empty()) return invalid_argument("no units to plan for");
  const int n = static_cast<int>(graph.nodes.size());
  if (units.size() == 1 || n == 0) return Plan::single_unit(units[0].name());
  const int refused = first_refused_node(graph, units);
  int front_end = refused;
  std::string end_tensor;
  if (refused < n) {
    front_end = 0;
    for (const Cut& c : find_cuts(graph))
      if (c.position <= refused) {
        front_end = c.position;
        end_tensor = c.tensor;
      }
    if (front_end == 0) return whole_model_on_first_capable(graph, units);
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<double> shares, calibrate(graph, front_end, units, graphs, options));
  Stage front{refused < n ? "front" : "all", end_tensor, {}};
  for (size_t i = 0; i < units.size(); ++i) front.units.push_back(StageUnit{units[i].name(), shares[i]});
  if (refused == n) return Plan::make({front});
  for (const Unit& u : units)
    if (u.supports_range(graph, front_end, n).is_ok())
      return Plan::make({front, Stage{"tail", "", {StageUnit{u.name(), 1.0}}}});
  return whole_model_on_first_capable(graph, units);
}

}  // namespace tandem::plan

#include "plan/batch_graphs.h"

#include <map>
#include <mutex>

#include "backends/reference/reference_backend.h"
#include "ir/specialize.h"

namespace tandem::plan {

ir::Graph rebatch_graph(const ir::Graph& graph, int64_t batch) {
  ir::Graph g = graph;
  for (auto& [name, info] : g.values)
    if (!g.is_constant(name) && info.rank_known && !info.shape.empty()) info.shape[0] = batch;
  return g;
}

GraphForBatch rebatching(std::shared_ptr<const ir::Graph> graph) {
  struct Cache {
    std::mutex mu;
    std::map<int64_t, std::shared_ptr<const ir::Graph>> by_batch;
  };
  auto cache = std::make_shared<Cache>();
  return [graph, cache](int64_t batch) -> Result<std::shared_ptr<const ir::Graph>> {
    if (batch < 1) return invalid_argument("batch " + std::to_string(batch) + " must be >= 1");
    std::lock_guard<std::mutex> lock(cache->mu);
    auto& g = cache->by_batch[batch];
    if (!g) g = std::make_shared<const ir::Graph>(rebatch_graph(*graph, batch));
    return g;
  };
}

GraphForBatch specializing(std::shared_ptr<const ir::Graph> model, std::map<std::string, Shape> input_shapes,
                           ir::PassOptions passes) {
  struct Cache {
    std::mutex mu;
    std::map<int64_t, std::shared_ptr<const ir::Graph>> by_batch;
  };
  auto cache = std::make_shared<Cache>();
  return [model, input_shapes, passes, cache](int64_t batch) -> Result<std::shared_ptr<const ir::Graph>> {
    if (batch < 1) return invalid_argument("batch " + std::to_string(batch) + " must be >= 1");
    std::lock_guard<std::mutex> lock(cache->mu);  // one specialisation at a time: they are rare
    auto& g = cache->by_batch[batch];
    if (g) return g;
    std::map<std::string, Shape> shapes = input_shapes;
    for (auto& [name, shape] : shapes)
      if (!shape.empty()) shape[0] = batch;
    TANDEM_ASSIGN_OR_RETURN(ir::Graph s, ir::specialize(*model, shapes, reference_evaluate_node));
    TANDEM_RETURN_IF_ERROR(ir::run_passes(s, passes));
    g = std::make_shared<const ir::Graph>(std::move(s));
    return g;
  };
}

}  // namespace tandem::plan

#include "plan/cuts.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "ir/flops.h"

namespace tandem::plan {
namespace {

// A non-constant tensor's life: defined before node `def + 1` (def = -1: graph input), last
// needed by node `last_use` (n: a graph output). It crosses positions def+1 .. last_use.
struct Life {
  std::string name;
  int def = -1;
  int last_use = -1;
};

std::vector<Life> tensor_lives(const ir::Graph& g) {
  const int n = static_cast<int>(g.nodes.size());
  std::vector<Life> lives;
  std::unordered_map<std::string, size_t> index;
  auto define = [&](const std::string& name, int def) {
    if (name.empty() || g.is_constant(name) || index.count(name)) return;
    index[name] = lives.size();
    lives.push_back(Life{name, def, def});
  };
  for (const auto& in : g.inputs) define(in, -1);
  for (int i = 0; i < n; ++i) {
    for (const auto& in : g.nodes[static_cast<size_t>(i)].inputs) {
      auto it = in.empty() ? index.end() : index.find(in);
      if (it != index.end()) lives[it->second].last_use = i;
    }
    for (const auto& out : g.nodes[static_cast<size_t>(i)].outputs) define(out, i);
  }
  for (const auto& out : g.outputs) {
    auto it = index.find(out);
    if (it != index.end()) lives[it->second].last_use = n;
  }
  return lives;
}

}  // namespace

int64_t range_flops(const ir::Graph& graph, int begin, int end) {
  int64_t f = 0;
  for (int i = begin; i < end; ++i) f += ir::node_flops(graph, graph.nodes[static_cast<size_t>(i)]);
  return f;
}

int64_t bytes_per_image(const ir::Graph& graph, const std::string& tensor) {
  const ir::ValueInfo* vi = graph.info(tensor);
  if (!vi || !vi->fully_known()) return 0;
  int64_t bytes = shape_numel(vi->shape) * static_cast<int64_t>(dtype_size(vi->dtype));
  if (!vi->shape.empty() && vi->shape[0] > 0) bytes /= vi->shape[0];
  return bytes;
}

std::vector<std::string> crossing_tensors(const ir::Graph& graph, int position) {
  std::vector<std::string> out;
  for (const Life& l : tensor_lives(graph))
    if (l.def < position && l.last_use >= position) out.push_back(l.name);
  return out;
}

std::vector<Cut> find_cuts(const ir::Graph& graph) {
  const int n = static_cast<int>(graph.nodes.size());
  if (n < 2) return {};
  // Difference arrays over positions: how many tensors cross, and the index of one of them
  // (exact when exactly one crosses).
  std::vector<Life> lives = tensor_lives(graph);
  std::vector<int64_t> count(static_cast<size_t>(n) + 2, 0), id_sum(static_cast<size_t>(n) + 2, 0);
  for (size_t t = 0; t < lives.size(); ++t) {
    const Life& l = lives[t];
    if (l.last_use <= l.def) continue;  // never read
    count[static_cast<size_t>(l.def + 1)] += 1;
    count[static_cast<size_t>(l.last_use + 1)] -= 1;
    id_sum[static_cast<size_t>(l.def + 1)] += static_cast<int64_t>(t);
    id_sum[static_cast<size_t>(l.last_use + 1)] -= static_cast<int64_t>(t);
  }
  std::vector<int64_t> prefix_flops(static_cast<size_t>(n) + 1, 0);
  for (int i = 0; i < n; ++i)
    prefix_flops[static_cast<size_t>(i) + 1] =
        prefix_flops[static_cast<size_t>(i)] + ir::node_flops(graph, graph.nodes[static_cast<size_t>(i)]);
  std::vector<Cut> cuts;
  int64_t c = 0, s = 0;
  for (int p = 0; p < n; ++p) {
    c += count[static_cast<size_t>(p)];
    s += id_sum[static_cast<size_t>(p)];
    if (p == 0 || c != 1) continue;
    Cut cut;
    cut.position = p;
    cut.tensor = lives[static_cast<size_t>(s)].name;
    cut.flops_before = prefix_flops[static_cast<size_t>(p)];
    cut.flops_after = prefix_flops[static_cast<size_t>(n)] - cut.flops_before;
    cut.bytes_per_image = bytes_per_image(graph, cut.tensor);
    cuts.push_back(std::move(cut));
  }
  return cuts;
}

Result<int> cut_position(const ir::Graph& graph, const std::string& tensor) {
  for (const Cut& c : find_cuts(graph))
    if (c.tensor == tensor) return c.position;
  if (graph.producer_index(tensor) < 0 && !graph.info(tensor))
    return not_found("tensor '" + tensor + "' is not in graph '" + graph.name + "'");
  return invalid_argument("tensor '" + tensor + "' is not a cut of graph '" + graph.name +
                          "' (other tensors cross there too; `tandem info --cuts` lists the cuts)");
}

Result<int> split_position(const ir::Graph& graph, const std::string& tensor) {
  const int n = static_cast<int>(graph.nodes.size());
  const int producer = graph.producer_index(tensor);
  if (producer < 0) {
    if (!graph.info(tensor)) return not_found("tensor '" + tensor + "' is not in graph '" + graph.name + "'");
    return invalid_argument("tensor '" + tensor + "' is not produced by a node, so no stage can end at it");
  }
  const int p = producer + 1;
  const std::vector<std::string> crossing = crossing_tensors(graph, p);
  if (p >= n || std::find(crossing.begin(), crossing.end(), tensor) == crossing.end())
    return invalid_argument("tensor '" + tensor + "' is not read after its producer, so no stage can end at it");
  const ir::ValueInfo* first = graph.inputs.empty() ? nullptr : graph.info(graph.inputs[0]);
  const int64_t batch = first && first->fully_known() && !first->shape.empty() ? first->shape[0] : -1;
  for (const std::string& t : crossing) {
    const ir::ValueInfo* vi = graph.info(t);
    if (!vi || !vi->fully_known() || vi->shape.empty() || vi->shape[0] != batch)
      return invalid_argument("tensor '" + tensor + "' is not a cut, and the split after its producer is crossed by '" +
                              t + "' " + (vi && vi->rank_known ? shape_to_string(vi->shape) : std::string("[?]")) +
                              ", which does not have the batch (" + std::to_string(batch) + ") as dim 0");
  }
  return p;
}

Result<ir::Graph> extract_segment(const ir::Graph& graph, int begin, int end) {
  const int n = static_cast<int>(graph.nodes.size());
  if (begin < 0 || end > n || begin >= end)
    return invalid_argument("segment [" + std::to_string(begin) + ", " + std::to_string(end) + ") of graph '" +
                            graph.name + "' is empty or outside its " + std::to_string(n) + " nodes");
  ir::Graph seg;
  seg.name = graph.name + "[" + std::to_string(begin) + ":" + std::to_string(end) + ")";
  seg.opset = graph.opset;
  seg.inputs = begin == 0 ? graph.inputs : crossing_tensors(graph, begin);
  seg.outputs = end == n ? graph.outputs : crossing_tensors(graph, end);
  seg.nodes.assign(graph.nodes.begin() + begin, graph.nodes.begin() + end);
  std::set<std::string> mentioned(seg.inputs.begin(), seg.inputs.end());
  mentioned.insert(seg.outputs.begin(), seg.outputs.end());
  for (const auto& node : seg.nodes) {
    for (const auto& in : node.inputs) {
      if (in.empty()) continue;
      mentioned.insert(in);
      if (const Tensor* t = graph.constant(in)) seg.initializers.emplace(in, *t);
    }
    mentioned.insert(node.outputs.begin(), node.outputs.end());
  }
  for (const auto& name : mentioned)
    if (const ir::ValueInfo* vi = graph.info(name)) seg.values.emplace(name, *vi);
  TANDEM_RETURN_IF_ERROR(seg.verify().with_context("segment " + seg.name));
  return seg;
}

}  // namespace tandem::plan

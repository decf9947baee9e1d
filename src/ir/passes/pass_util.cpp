#include "ir/passes/pass_util.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace tandem::ir::passes {

GraphIndex::GraphIndex(const Graph& g) : outputs_(g.outputs.begin(), g.outputs.end()) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& o : g.nodes[i].outputs)
      if (!o.empty()) producer_[o] = static_cast<int>(i);
    for (const auto& in : g.nodes[i].inputs)
      if (!in.empty()) readers_[in].push_back(static_cast<int>(i));
  }
}

int GraphIndex::producer(const std::string& value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? -1 : it->second;
}

const std::vector<int>& GraphIndex::readers(const std::string& value) const {
  static const std::vector<int> kNone;
  auto it = readers_.find(value);
  return it == readers_.end() ? kNone : it->second;
}

int GraphIndex::uses(const std::string& value) const {
  return static_cast<int>(readers(value).size()) + (is_graph_output(value) ? 1 : 0);
}

Epilogue* epilogue_of(Node& node) {
  if (auto* c = std::get_if<ConvAttrs>(&node.attrs)) return &c->epilogue;
  if (auto* c = std::get_if<ConvTransposeAttrs>(&node.attrs)) return &c->epilogue;
  if (auto* gm = std::get_if<GemmAttrs>(&node.attrs)) return &gm->epilogue;
  if (auto* mm = std::get_if<MatMulAttrs>(&node.attrs)) return &mm->epilogue;
  if (auto* bn = std::get_if<BatchNormAttrs>(&node.attrs)) return &bn->epilogue;
  return nullptr;
}

void replace_reads(Graph& g, const std::string& from, const std::string& to) {
  for (auto& node : g.nodes)
    for (auto& in : node.inputs)
      if (in == from) in = to;
  for (auto& o : g.outputs)
    if (o == from) o = to;
}

void erase_nodes(Graph& g, std::vector<int> indices) {
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  size_t next = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (next < indices.size() && indices[next] == static_cast<int>(i)) {
      ++next;
      continue;
    }
    kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
}

void drop_dead_values(Graph& g) {
  std::set<std::string> live(g.inputs.begin(), g.inputs.end());
  live.insert(g.outputs.begin(), g.outputs.end());
  std::set<std::string> read(g.outputs.begin(), g.outputs.end());
  for (const auto& node : g.nodes) {
    for (const auto& in : node.inputs) read.insert(in);
    live.insert(node.inputs.begin(), node.inputs.end());
    live.insert(node.outputs.begin(), node.outputs.end());
  }
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    // A graph input may share its name with an initializer (a default value): keep it.
    bool keep = read.count(it->first) || std::find(g.inputs.begin(), g.inputs.end(), it->first) != g.inputs.end();
    it = keep ? std::next(it) : g.initializers.erase(it);
  }
  for (auto it = g.values.begin(); it != g.values.end();)
    it = live.count(it->first) || g.initializers.count(it->first) ? std::next(it) : g.values.erase(it);
}

std::string unique_name(const Graph& g, const std::string& base) {
  auto taken = [&](const std::string& n) {
    if (g.values.count(n) || g.initializers.count(n)) return true;
    for (const auto& node : g.nodes) {
      if (node.name == n) return true;
      for (const auto& o : node.outputs)
        if (o == n) return true;
    }
    return std::find(g.inputs.begin(), g.inputs.end(), n) != g.inputs.end();
  };
  if (!taken(base)) return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!taken(n)) return n;
  }
}

bool is_scalar_constant(const Graph& g, const std::string& value, float expected, size_t max_rank) {
  const Tensor* t = g.constant(value);
  if (!t || t->numel() != 1 || t->shape().size() > max_rank) return false;
  if (t->dtype() != DType::kFloat32) return false;
  return std::fabs(t->data_as<float>()[0] - expected) <= 1e-6f;
}

size_t rank_of(const Graph& g, const std::string& value) {
  const ValueInfo* vi = g.info(value);
  return vi && vi->rank_known ? vi->shape.size() : 0;
}

std::optional<std::string> other_input(const Node& n, const char* op, const std::string& v) {
  if (n.op_type != op || n.inputs.size() != 2 || n.outputs.size() != 1) return std::nullopt;
  if (n.inputs[0] == v) return n.inputs[1];
  if (n.inputs[1] == v) return n.inputs[0];
  return std::nullopt;
}

int single_reader(const GraphIndex& index, const std::string& v) {
  return index.uses(v) == 1 && index.readers(v).size() == 1 ? index.readers(v)[0] : -1;
}

void replace_pattern(Graph& g, const std::vector<int>& nodes, int last, Node replacement) {
  replacement.name = g.nodes[last].name;  // the last node goes away, so its name stays unique
  replacement.outputs = {g.nodes[last].outputs[0]};
  std::vector<int> dead;
  for (int i : nodes) {
    if (i == last) continue;
    g.values.erase(g.nodes[i].outputs[0]);
    dead.push_back(i);
  }
  g.nodes[last] = std::move(replacement);
  erase_nodes(g, dead);
}

}  // namespace tandem::ir::passes

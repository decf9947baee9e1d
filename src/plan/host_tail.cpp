#include "plan/host_tail.h"

#include <cstdio>
#include <map>

#include "plan/cuts.h"

namespace tandem::plan {
namespace {

bool some_unit_runs(const ir::Graph& graph, const ir::Node& node, const std::vector<Unit>& units) {
  for (const Unit& u : units)
    if (u.supports(graph, node).is_ok()) return true;
  return false;
}

// "NonMaxSuppression (node 'nms'), NonZero (nodes 'a', 'b')".
std::string list_nodes(const std::map<std::string, std::vector<std::string>>& by_op) {
  std::string s;
  for (const auto& [op, nodes] : by_op) {
    s += (s.empty() ? "" : ", ") + op + (nodes.size() > 1 ? " (nodes " : " (node ");
    for (size_t i = 0; i < nodes.size() && i < 3; ++i) s += (i ? ", '" : "'") + nodes[i] + "'";
    if (nodes.size() > 3) s += " and " + std::to_string(nodes.size() - 3) + " more";
    s += ")";
  }
  return s;
}

std::string unit_names(const std::vector<Unit>& units) {
  std::string s;
  for (const Unit& u : units) s += (s.empty() ? "" : ", ") + u.name();
  return s;
}

// The tensor naming position p (a cut's tensor, or one produced by node p-1 that makes p a valid
// split); "" when p is neither.
std::string split_tensor_at(const ir::Graph& graph, int p) {
  const std::vector<std::string> crossing = crossing_tensors(graph, p);
  for (const std::string& t : crossing)
    if (graph.producer_index(t) == p - 1 && split_position(graph, t).is_ok()) return t;
  return "";
}

}  // namespace

Result<std::optional<HostTail>> plan_host_tail(const ir::Graph& graph, const std::vector<Unit>& units,
                                               const std::vector<Unit>& hosts) {
  const int n = static_cast<int>(graph.nodes.size());
  int first = n;
  std::map<std::string, std::vector<std::string>> unrunnable, not_given;
  Status why;
  for (int i = 0; i < n; ++i) {
    const ir::Node& node = graph.nodes[static_cast<size_t>(i)];
    if (some_unit_runs(graph, node, units)) continue;
    if (first == n) first = i;
    not_given[node.op_type].push_back(node.name);
    if (!some_unit_runs(graph, node, hosts)) {
      unrunnable[node.op_type].push_back(node.name);
      if (why.is_ok() && !hosts.empty()) why = hosts.back().supports(graph, node);
    }
  }
  if (first == n) return std::optional<HostTail>{};
  if (!unrunnable.empty()) {
    std::string msg = "no unit can run " + list_nodes(unrunnable) + " (units: " + unit_names(units);
    if (!hosts.empty()) msg += "; host fallback: " + unit_names(hosts);
    msg += ")";
    if (!why.is_ok()) msg += ": " + why.message();
    return unsupported(msg);
  }
  for (int p = first; p >= 0; --p) {
    const std::string tensor = p > 0 ? split_tensor_at(graph, p) : "";
    if (p > 0 && tensor.empty()) continue;
    for (size_t h = 0; h < hosts.size(); ++h) {
      if (!hosts[h].supports_range(graph, p, n).is_ok()) continue;
      HostTail t{p, tensor, h, hosts[h].name(), ""};
      const int64_t all = range_flops(graph, 0, n), tail = range_flops(graph, p, n);
      char share[32];
      std::snprintf(share, sizeof(share), "%.2g%%", all > 0 ? 100.0 * static_cast<double>(tail) / static_cast<double>(all) : 0.0);
      const ir::Node& from = graph.nodes[static_cast<size_t>(p)];
      t.note = (p == 0 ? std::string("the whole model runs") : "nodes " + std::to_string(p) + "-" + std::to_string(n - 1) +
                " (from '" + from.name + "' (" + from.op_type + ") on, " + share + " of the FLOPs) run") +
               " on the host unit '" + hosts[h].name() + "', as the plan's last stage: " + unit_names(units) +
               " cannot run " + list_nodes(not_given);
      return std::optional<HostTail>{std::move(t)};
    }
  }
  return unsupported("no host unit (" + unit_names(hosts) + ") can run the end of the model from a split at or before '" +
                     graph.nodes[static_cast<size_t>(first)].name + "', which " + unit_names(units) + " cannot run");
}

}  // namespace tandem::plan

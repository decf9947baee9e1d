// bind_plan and describe_plan: a Plan checked against one specialised graph and the units.
#include <cstdio>
#include <unordered_map>

#include "plan/cuts.h"
#include "plan/plan.h"

namespace tandem::plan {
namespace {

std::string human(double v, const char* unit) {
  const char* prefix[] = {"", "K", "M", "G", "T"};
  int k = 0;
  while (v >= 1000.0 && k < 4) {
    v /= 1000.0;
    ++k;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.3g %s%s", v, prefix[k], unit);
  return buf;
}

std::string node_label(const ir::Graph& g, int i) {
  const ir::Node& n = g.nodes[static_cast<size_t>(i)];
  return n.name + " (" + n.op_type + ")";
}

Status bind_units(const Stage& st, BoundStage& bs, const ir::Graph& graph, const std::vector<Unit>& units) {
  for (const StageUnit& su : st.units) {
    TANDEM_ASSIGN_OR_RETURN(size_t idx, find_unit(units, su.unit));
    if (su.share > 0) {
      Status ok = units[idx].supports_range(graph, bs.begin, bs.end);
      if (!ok.is_ok()) return ok.with_context("stage '" + st.name + "'");
    }
    bs.units.push_back(idx);
    bs.shares.push_back(su.share);
  }
  return Status::ok();
}

bool has_open_dims(const ir::Graph& graph, const std::vector<std::string>& tensors) {
  for (const std::string& t : tensors)
    if (const ir::ValueInfo* vi = graph.info(t); vi && !vi->fully_known()) return true;
  return false;
}

}  // namespace

Result<BoundPlan> bind_plan(const Plan& plan, const ir::Graph& graph, const std::vector<Unit>& units) {
  const int n = static_cast<int>(graph.nodes.size());
  std::unordered_map<std::string, int> cut_at;
  for (const Cut& c : find_cuts(graph)) cut_at[c.tensor] = c.position;
  BoundPlan bound{plan, {}};
  int prev = 0;
  std::string prev_name;
  for (const Stage& st : plan.stages()) {
    BoundStage bs;
    bs.name = st.name;
    bs.begin = prev;
    if (st.end.empty()) {
      bs.end = n;
    } else {
      auto it = cut_at.find(st.end);
      if (it != cut_at.end()) {
        bs.end = it->second;
      } else {
        auto pos = split_position(graph, st.end);
        if (!pos) return pos.status().with_context("stage '" + st.name + "' ends at '" + st.end + "'");
        bs.end = *pos;
      }
    }
    if (bs.end <= bs.begin)
      return invalid_argument("stage '" + st.name + "' is empty: it ends at '" + st.end + "' (before node " +
                              std::to_string(bs.end) + "), which is not after where " +
                              (prev_name.empty() ? std::string("the graph starts") : "stage '" + prev_name + "' ends") +
                              "; stages must cover the graph in order");
    bs.inputs = bs.begin == 0 ? graph.inputs : crossing_tensors(graph, bs.begin);
    bs.outputs = bs.end == n ? graph.outputs : crossing_tensors(graph, bs.end);
    TANDEM_RETURN_IF_ERROR(bind_units(st, bs, graph, units));
    if (has_open_dims(graph, bs.outputs)) {
      // Data-dependent sizes: only a whole batch on one unit, and nothing after it.
      if (bs.end != n)
        return invalid_argument("stage '" + st.name + "' ends with tensors of data-dependent shape; such tensors "
                                "can only be graph outputs (put the stage last)");
      int given = 0;
      for (double share : bs.shares) given += share > 0;
      if (given > 1)
        return invalid_argument("stage '" + st.name + "' has outputs of data-dependent shape (rows the data decides), "
                                "which cannot be split across units; give the stage to one unit");
    }
    prev = bs.end;
    prev_name = st.name;
    bound.stages.push_back(std::move(bs));
  }
  return bound;
}

std::string describe_plan(const BoundPlan& bound, const ir::Graph& graph, const std::vector<Unit>& units) {
  std::string s = "plan: " + plan_to_short_string(bound.plan) + "\n";
  for (size_t k = 0; k < bound.stages.size(); ++k) {
    const BoundStage& bs = bound.stages[k];
    s += "stage " + std::to_string(k) + " '" + bs.name + "': nodes " + std::to_string(bs.begin) + "-" +
         std::to_string(bs.end - 1) + " (" + node_label(graph, bs.begin) +
         (bs.end - bs.begin > 1 ? " .. " + node_label(graph, bs.end - 1) : std::string()) + "), " + std::to_string(bs.end - bs.begin) + " nodes, " +
         human(static_cast<double>(range_flops(graph, bs.begin, bs.end)), "FLOP") + "\n";
    for (const std::string& out : bs.outputs) {
      const ir::ValueInfo* vi = graph.info(out);
      s += "  -> '" + out + "' " + (vi ? shape_to_string(vi->shape) : std::string("[?]")) + ", " +
           human(static_cast<double>(bytes_per_image(graph, out)), "B") + "/image\n";
    }
    for (size_t i = 0; i < bs.units.size(); ++i) {
      char share[32];
      std::snprintf(share, sizeof(share), "%.4f", bs.shares[i]);
      s += "  " + units[bs.units[i]].name() + "  share " + share + "\n";
    }
  }
  return s;
}

}  // namespace tandem::plan

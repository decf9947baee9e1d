#include "backends/cuda/concat_views.h"

#include <algorithm>

namespace tandem::cuda {
namespace {

// A Concat of 4-D non-constant tensors along the channels, with nothing fused into it.
bool channel_concat(const ir::Graph& g, const OpInstance& op) {
  if (op.node->op_type != "Concat" || !op.act.is_none() || !op.residual.empty()) return false;
  const auto* y = g.info(op.output);
  if (!y || y->shape.size() != 4) return false;
  const int64_t axis = std::get<ir::ConcatAttrs>(op.node->attrs).axis;
  if (axis != 1 && axis != -3) return false;
  for (const auto& in : op.node->inputs)
    if (in.empty() || g.is_constant(in)) return false;
  return true;
}

bool is_graph_output(const ir::Graph& g, const std::string& t) {
  return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
}

// Every reader of `t` reads it as a plain input 0 and reads views.
bool read_as_view(const ir::Graph& g, const std::vector<OpInstance>& ops, const std::string& t) {
  if (is_graph_output(g, t)) return false;
  int readers = 0;
  for (const OpInstance& op : ops) {
    bool other = op.input == t || op.residual == t;
    for (size_t k = 1; k < op.node->inputs.size(); ++k) other = other || op.node->inputs[k] == t;
    if (other) return false;
    if (op.input.empty() && !op.node->inputs.empty() && op.node->inputs[0] == t) {
      const CudaOp* entry = find_cuda_op(op.node->op_type);
      if (!entry || !entry->reads_views) return false;
      ++readers;
    }
  }
  return readers == g.use_count(t);
}

// `t` can be written in place by its producer `p`: a Conv whose plans write views (at most a Relu
// after it; a residual added in its epilogue stays packed), and not a graph output.
bool writes_in_place(const ir::Graph& g, const OpInstance& p, const std::string& t) {
  const CudaOp* entry = find_cuda_op(p.node->op_type);
  if (!entry || !entry->writes_views || p.output != t || !p.input_act.is_none()) return false;
  if (is_graph_output(g, t)) return false;
  const auto& a = std::get<ir::ConvAttrs>(p.node->attrs);
  const ir::Epilogue& act = a.epilogue.is_none() ? p.act : a.epilogue;
  return a.group == 1 && (act.is_none() || act.kind == ir::ActKind::kRelu);
}

}  // namespace

ConcatViews plan_concat_views(const ir::Graph& g, std::vector<OpInstance>& ops, bool channels_last) {
  std::map<std::string, int> op_of;  // tensor -> index of the op that writes it
  for (size_t i = 0; i < ops.size(); ++i) op_of[ops[i].output] = int(i);
  for (auto& op : ops)
    if (channel_concat(g, op)) op.in_place.assign(op.node->inputs.size(), false);

  // Chains: each Concat whose readers take views is hosted by the smallest later Concat it is a
  // strict prefix of; the host's own host, and so on, holds them all.
  std::map<std::string, std::string> host;
  for (size_t a = 0; a < ops.size(); ++a) {
    if (!channel_concat(g, ops[a]) || !read_as_view(g, ops, ops[a].output)) continue;
    const auto& ins = ops[a].node->inputs;
    int best = -1;
    for (size_t b = a + 1; b < ops.size(); ++b) {
      const auto& outer = ops[b].node->inputs;
      if (!channel_concat(g, ops[b]) || outer.size() <= ins.size() || !std::equal(ins.begin(), ins.end(), outer.begin()))
        continue;
      if (g.info(ops[b].output)->dtype != g.info(ops[a].output)->dtype) continue;
      if (best < 0 || outer.size() < ops[size_t(best)].node->inputs.size()) best = int(b);
    }
    if (best >= 0) host[ops[a].output] = ops[size_t(best)].output;
  }
  ConcatViews views;
  for (const auto& [view, outer] : host) {
    std::string whole = outer;
    while (host.count(whole)) whole = host.at(whole);
    views[view] = {whole, 0};
  }
  // A Concat of a chain skips the inputs that a Concat of the chain before it put in place.
  for (const auto& [view, v] : views) {
    const int at = op_of.at(view);
    const size_t held = ops[size_t(at)].node->inputs.size();
    for (size_t b = size_t(at) + 1; b < ops.size(); ++b) {
      auto it = views.find(ops[b].output);
      const bool shares = ops[b].output == v.whole || (it != views.end() && it->second.whole == v.whole);
      if (!shares) continue;
      for (size_t k = 0; k < held && k < ops[b].in_place.size(); ++k) ops[b].in_place[k] = true;
    }
  }

  // Slices: inputs their producer writes into the Concat's output (or into what that views).
  // A tensor several Concats read qualifies when they all place it at the same channel of the
  // same tensor (DenseNet's features, read by every later Concat of a chain).
  if (!channels_last) return views;
  struct Place { size_t op, input; ConcatView at; };
  std::map<std::string, std::vector<Place>> places;
  for (size_t c = 0; c < ops.size(); ++c) {
    if (!channel_concat(g, ops[c])) continue;
    const auto outer = views.find(ops[c].output);
    const ConcatView base = outer != views.end() ? outer->second : ConcatView{ops[c].output, 0};
    int64_t channel = 0;
    for (size_t k = 0; k < ops[c].node->inputs.size(); ++k) {
      const std::string& t = ops[c].node->inputs[k];
      places[t].push_back({c, k, {base.whole, base.channel + channel}});
      channel += g.info(t)->shape[1];
    }
  }
  for (const auto& [t, list] : places) {
    auto p = op_of.find(t);
    if (views.count(t) || p == op_of.end() || int(list.size()) != g.use_count(t)) continue;
    bool same = true;
    for (const Place& pl : list) same = same && pl.at == list[0].at && pl.op > size_t(p->second);
    if (!same || !writes_in_place(g, ops[size_t(p->second)], t)) continue;
    views[t] = list[0].at;
    for (const Place& pl : list) ops[pl.op].in_place[pl.input] = true;
  }
  return views;
}

}  // namespace tandem::cuda

#include "backends/cuda/cuda_schedule.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace tandem::cuda {
namespace {

bool is_activation(const std::string& op) {
  return op == "Relu" || op == "Clip" || op == "Sigmoid" || op == "HardSigmoid" || op == "HardSwish" ||
         op == "LeakyRelu" || op == "Tanh" || op == "Gelu" || op == "Softplus" || op == "Elu" || op == "Selu" ||
         op == "Mish";
}

bool has_own_epilogue(const ir::Node& n) {
  if (const auto* c = std::get_if<ir::ConvAttrs>(&n.attrs)) return !c->epilogue.is_none();
  if (const auto* g = std::get_if<ir::GemmAttrs>(&n.attrs)) return !g->epilogue.is_none();
  if (const auto* t = std::get_if<ir::ConvTransposeAttrs>(&n.attrs)) return !t->epilogue.is_none();
  if (const auto* m = std::get_if<ir::MatMulAttrs>(&n.attrs)) return !m->epilogue.is_none();
  if (const auto* b = std::get_if<ir::BatchNormAttrs>(&n.attrs)) return !b->epilogue.is_none();
  return false;
}

// The single node reading `value`, or -1 (several readers, or a graph output).
int sole_consumer(const ir::Graph& g, const std::unordered_map<std::string, std::vector<int>>& cons,
                  const std::string& value) {
  if (g.use_count(value) != 1) return -1;
  auto it = cons.find(value);
  return (it == cons.end() || it->second.size() != 1) ? -1 : it->second[0];
}

// A depthwise Conv (group == input channels == output channels, one input channel per group):
// our kernel can apply an activation to what it loads.
bool is_depthwise_conv(const ir::Graph& g, const ir::Node& n) {
  if (n.op_type != "Conv" || n.inputs.size() < 2) return false;
  const auto& a = std::get<ir::ConvAttrs>(n.attrs);
  const Tensor* w = g.constant(n.inputs[1]);
  const auto* x = g.info(n.inputs[0]);
  if (!w || !x || a.kernel_shape.size() != 2 || x->shape.size() != 4 || w->shape().size() != 4) return false;
  return a.group > 1 && x->shape[1] == a.group && w->shape()[0] == a.group && w->shape()[1] == 1;
}

}  // namespace

std::vector<OpInstance> schedule_ops(const ir::Graph& g, const BackendDiagnostics& diagnostics) {
  const auto cons = g.consumers();
  std::vector<bool> absorbed(g.nodes.size(), false);
  // Activations moved into a depthwise Conv's loads: consumer index -> (tensor read, activation,
  // op type). Saves the activation's own pass over the (6x expanded) tensor in MobileNet blocks.
  std::map<int, std::tuple<std::string, ir::Epilogue, std::string>> moved;
  std::vector<std::pair<int, OpInstance>> placed;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (absorbed[i]) continue;
    const ir::Node& n = g.nodes[i];
    const CudaOp* op = find_cuda_op(n.op_type);
    OpInstance inst;
    inst.node = &n;
    inst.output = n.outputs[0];
    inst.label = "node '" + n.name + "' (" + n.op_type + ")";
    int pos = int(i);
    if (auto it = moved.find(int(i)); it != moved.end()) {
      inst.input = std::get<0>(it->second);
      inst.input_act = std::get<1>(it->second);
      inst.label += "+in:" + std::get<2>(it->second);
    }
    const bool free_epilogue = !has_own_epilogue(n);
    if (op && op->takes_residual && free_epilogue) {
      int j = sole_consumer(g, cons, inst.output);
      if (j >= 0 && !absorbed[size_t(j)] && g.nodes[size_t(j)].op_type == "Add") {
        const ir::Node& add = g.nodes[size_t(j)];
        const std::string& other = add.inputs[0] == inst.output ? add.inputs[1] : add.inputs[0];
        const auto* oi = g.info(other);
        const auto* yi = g.info(inst.output);
        const auto* ai = g.info(add.outputs[0]);
        if (other != inst.output && !g.is_constant(other) && oi && yi && ai && oi->shape == yi->shape &&
            ai->shape == yi->shape) {
          inst.residual = other;
          inst.output = add.outputs[0];
          inst.label += "+Add";
          absorbed[size_t(j)] = true;
          pos = j;
        }
      }
    }
    const std::string before_act = inst.output;
    if (op && op->takes_act && free_epilogue) {
      int k = sole_consumer(g, cons, inst.output);
      if (k >= 0 && !absorbed[size_t(k)] && is_activation(g.nodes[size_t(k)].op_type)) {
        const auto& act = std::get<ir::ActivationAttrs>(g.nodes[size_t(k)].attrs).act;
        if (!act.is_none()) {
          inst.act = act;
          inst.output = g.nodes[size_t(k)].outputs[0];
          inst.label += "+" + g.nodes[size_t(k)].op_type;
          absorbed[size_t(k)] = true;
          pos = std::max(pos, k);
        }
      }
    }
    // The final activation (a fused follower, or a Conv's own epilogue) moves into the loads of a
    // depthwise Conv that is the only reader: the producer writes the tensor before it, and the
    // activation's own pass over that tensor (6x expanded in MobileNet blocks) disappears.
    const auto* own = n.op_type == "Conv" ? &std::get<ir::ConvAttrs>(n.attrs).epilogue : nullptr;
    const ir::Epilogue final_act = !inst.act.is_none() ? inst.act : own ? *own : ir::Epilogue{};
    if (!final_act.is_none() && (!inst.act.is_none() || own) && cuda_feature(diagnostics, "dw-input-act")) {
      const int d = sole_consumer(g, cons, inst.output);
      if (d > pos && !absorbed[size_t(d)] && !moved.count(d) && is_depthwise_conv(g, g.nodes[size_t(d)]) &&
          g.nodes[size_t(d)].inputs[0] == inst.output) {
        if (!inst.act.is_none()) {
          moved[d] = {before_act, inst.act, inst.label.substr(inst.label.rfind('+') + 1)};
          inst.output = before_act;
          inst.act = {};
        } else {
          moved[d] = {inst.output, *own, "epilogue of " + n.name};
          inst.drop_own_epilogue = true;
        }
        inst.label += " (activation moved into the next depthwise Conv)";
      }
    }
    placed.emplace_back(pos, std::move(inst));
  }
  std::stable_sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<OpInstance> out;
  for (auto& p : placed) out.push_back(std::move(p.second));
  return out;
}

ArenaPlan plan_arena(const ir::Graph& g, const std::vector<OpInstance>& ops,
                     size_t (*bytes_of)(const ir::Graph&, const std::string&, int), int elem_size,
                     const ConcatViews& views) {
  struct Life { std::string name; size_t bytes; int first, last; };
  std::map<std::string, Life> lives;
  const int end = int(ops.size());
  auto owner = [&](const std::string& v) -> const std::string& {
    auto it = views.find(v);
    return it == views.end() ? v : it->second.whole;
  };
  for (const auto& in : g.inputs) lives[in] = {in, bytes_of(g, in, elem_size), -1, -1};
  for (int i = 0; i < end; ++i) {
    const OpInstance& op = ops[size_t(i)];
    auto touch = [&](const std::string& v) {
      auto it = lives.find(owner(v));
      if (it != lives.end()) it->second.last = std::max(it->second.last, i);
    };
    for (const auto& in : op.node->inputs) touch(in);
    touch(op.input);
    touch(op.residual);
    // A viewed tensor lives from its first view's writer on.
    const std::string& out = owner(op.output);
    if (auto it = lives.find(out); it != lives.end()) it->second.last = std::max(it->second.last, i);
    else lives[out] = {out, bytes_of(g, out, elem_size), i, i};
    // A node's further outputs that something reads (Split's pieces) get buffers too.
    // (A piece that is a view of the Split's input, split_views.h, keeps that input alive instead.)
    for (size_t k = 1; k < op.node->outputs.size(); ++k) {
      const std::string& extra = op.node->outputs[k];
      if (extra.empty() || extra == op.output || g.use_count(extra) == 0) continue;
      if (views.count(extra)) touch(extra);
      else lives[extra] = {extra, bytes_of(g, extra, elem_size), i, i};
    }
  }
  for (const auto& out : g.outputs) {
    auto it = lives.find(owner(out));  // a packed Split piece keeps its Split's input alive
    if (it != lives.end()) it->second.last = end;
  }
  std::vector<Life> order;
  for (auto& [_, l] : lives) order.push_back(l);
  std::stable_sort(order.begin(), order.end(), [](const Life& a, const Life& b) { return a.bytes > b.bytes; });
  struct Placed { size_t off, bytes; int first, last; };
  std::vector<Placed> placed;
  ArenaPlan plan;
  constexpr size_t kAlign = 256;
  for (const Life& l : order) {
    const size_t bytes = (l.bytes + kAlign - 1) / kAlign * kAlign;
    // Lowest offset that overlaps no placed tensor alive at the same time (first fit).
    std::vector<Placed> live;
    for (const auto& p : placed)
      if (!(p.last < l.first || l.last < p.first)) live.push_back(p);
    std::sort(live.begin(), live.end(), [](const Placed& a, const Placed& b) { return a.off < b.off; });
    size_t off = 0;
    for (const auto& p : live) {
      if (off + bytes <= p.off) break;
      off = std::max(off, p.off + p.bytes);
    }
    placed.push_back({off, bytes, l.first, l.last});
    plan.offsets[l.name] = off;
    plan.size = std::max(plan.size, off + bytes);
  }
  return plan;
}

}  // namespace tandem::cuda

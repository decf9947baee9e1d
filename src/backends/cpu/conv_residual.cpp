#include "backends/cpu/conv_residual.h"

#include <algorithm>

namespace tandem::cpu {
namespace {

bool is_output(const ir::Graph& g, const std::string& t) {
  return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
}

}  // namespace

std::map<size_t, ConvResidual> find_conv_residuals(const ir::Graph& g) {
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& o : g.nodes[i].outputs) producer[o] = i;
  const auto readers = g.consumers();
  auto sole_reader = [&](const std::string& t) -> long {
    if (is_output(g, t) || g.use_count(t) != 1) return -1;
    auto it = readers.find(t);
    return it == readers.end() || it->second.size() != 1 ? -1 : it->second[0];
  };
  std::map<size_t, ConvResidual> found;
  for (size_t c = 0; c < g.nodes.size(); ++c) {
    const ir::Node& conv = g.nodes[c];
    const auto* a = std::get_if<ir::ConvAttrs>(&conv.attrs);
    if (conv.op_type != "Conv" || !a || !a->epilogue.is_none() || conv.outputs.size() != 1) continue;
    const long add_i = sole_reader(conv.outputs[0]);
    if (add_i < 0) continue;
    const ir::Node& add = g.nodes[size_t(add_i)];
    if (add.op_type != "Add" || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) continue;
    const std::string& r = add.inputs[0] == conv.outputs[0] ? add.inputs[1] : add.inputs[0];
    const auto* ri = g.info(r);
    const auto* yi = g.info(add.outputs[0]);
    const auto* ci = g.info(conv.outputs[0]);
    if (!ri || !yi || !ci || ri->shape != ci->shape || yi->shape != ci->shape || g.is_constant(r)) continue;
    if (ri->dtype != DType::kFloat32 || yi->dtype != DType::kFloat32) continue;
    // The Conv sums into the residual's buffer: it must be one of this segment's own tensors,
    // computed before the Conv and read by nothing after it but the Add.
    auto p = producer.find(r);
    if (p == producer.end() || p->second >= c || is_output(g, r)) continue;
    bool later_reader = false;
    if (auto it = readers.find(r); it != readers.end())
      for (int k : it->second) later_reader = later_reader || (k != add_i && size_t(k) >= c);  // the Conv too
    if (later_reader) continue;
    ConvResidual fr{size_t(add_i), r, -1, {}, add.outputs[0]};
    const long act_i = sole_reader(add.outputs[0]);
    if (act_i >= 0) {
      const ir::Node& act = g.nodes[size_t(act_i)];
      const auto* aa = std::get_if<ir::ActivationAttrs>(&act.attrs);
      if (aa && !aa->act.is_none() && act.outputs.size() == 1 && eltwise_steps(aa->act).is_ok()) {
        fr.act = act_i;
        fr.after = aa->act;
        fr.output = act.outputs[0];
      }
    }
    found[c] = fr;
  }
  return found;
}

}  // namespace tandem::cpu

#include "ir/graph.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace tandem::ir {

bool ValueInfo::fully_known() const {
  if (!rank_known) return false;
  for (int64_t d : shape)
    if (d < 0) return false;
  return true;
}

const Tensor* Graph::constant(const std::string& value) const {
  auto it = initializers.find(value);
  return it == initializers.end() ? nullptr : &it->second;
}

const ValueInfo* Graph::info(const std::string& value) const {
  auto it = values.find(value);
  return it == values.end() ? nullptr : &it->second;
}

int Graph::producer_index(const std::string& value) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs)
      if (o == value) return static_cast<int>(i);
  return -1;
}

std::unordered_map<std::string, std::vector<int>> Graph::consumers() const {
  std::unordered_map<std::string, std::vector<int>> m;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : nodes[i].inputs)
      if (!in.empty()) m[in].push_back(static_cast<int>(i));
  return m;
}

int Graph::use_count(const std::string& value) const {
  int n = 0;
  for (const auto& node : nodes)
    for (const auto& in : node.inputs)
      if (in == value) ++n;
  for (const auto& o : outputs)
    if (o == value) ++n;
  return n;
}

bool Graph::has_open_dims(const Node& node) const {
  auto open = [&](const std::string& v) {
    const ValueInfo* vi = v.empty() ? nullptr : info(v);
    return vi && !vi->fully_known();
  };
  return std::any_of(node.inputs.begin(), node.inputs.end(), open) ||
         std::any_of(node.outputs.begin(), node.outputs.end(), open);
}

bool Graph::has_open_dims() const {
  return std::any_of(nodes.begin(), nodes.end(), [&](const Node& n) { return has_open_dims(n); });
}

Status Graph::verify() const {
  std::set<std::string> defined(inputs.begin(), inputs.end());
  for (const auto& [name, t] : initializers) defined.insert(name);
  std::set<std::string> node_names;
  for (const auto& node : nodes) {
    if (!node_names.insert(node.name).second)
      return internal_error("graph '" + name + "': node name '" + node.name + "' is not unique");
    for (const auto& in : node.inputs)
      if (!in.empty() && !defined.count(in))
        return invalid_argument("node '" + node.name + "' (" + node.op_type + ") reads '" + in +
                                "', which no earlier node, input or initializer defines");
    for (const auto& out : node.outputs)
      if (!out.empty() && !defined.insert(out).second)
        return invalid_argument("tensor '" + out + "' is defined twice (node '" + node.name + "')");
  }
  for (const auto& out : outputs)
    if (!defined.count(out)) return invalid_argument("graph output '" + out + "' is never produced");
  return Status::ok();
}

std::string graph_to_string(const Graph& g) {
  std::ostringstream os;
  for (const auto& node : g.nodes) {
    os << node.name << ": " << node.op_type << '(';
    for (size_t i = 0; i < node.inputs.size(); ++i) os << (i ? ", " : "") << node.inputs[i];
    os << ") ->";
    for (const auto& o : node.outputs) {
      os << ' ' << o;
      if (const ValueInfo* vi = g.info(o); vi && vi->rank_known) os << ' ' << shape_to_string(vi->shape);
    }
    const Epilogue* ep = nullptr;
    if (auto* c = std::get_if<ConvAttrs>(&node.attrs)) ep = &c->epilogue;
    if (auto* c = std::get_if<ConvTransposeAttrs>(&node.attrs)) ep = &c->epilogue;
    if (auto* gm = std::get_if<GemmAttrs>(&node.attrs)) ep = &gm->epilogue;
    if (auto* mm = std::get_if<MatMulAttrs>(&node.attrs)) ep = &mm->epilogue;
    if (auto* bn = std::get_if<BatchNormAttrs>(&node.attrs)) ep = &bn->epilogue;
    if (ep && !ep->is_none()) os << " +" << epilogue_to_string(*ep);
    if (auto* at = std::get_if<AttentionAttrs>(&node.attrs)) {
      os << " scale=" << at->scale;
      if (at->k_transposed) os << " K^T";
      if (at->v_transposed) os << " V^T";
      if (at->out_transposed) os << " Y^T";
    }
    os << '\n';
  }
  return os.str();
}

}  // namespace tandem::ir

#include "ir/specialize.h"

#include <set>

#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

// True when `given` fits `expected` (rank, and every fixed dim).
bool shape_fits(const ValueInfo& expected, const Shape& given) {
  if (!expected.rank_known) return true;
  if (expected.shape.size() != given.size()) return false;
  for (size_t i = 0; i < given.size(); ++i)
    if (expected.shape[i] >= 0 && expected.shape[i] != given[i]) return false;
  return true;
}

Status bind_inputs(const Graph& g, const std::map<std::string, Shape>& input_shapes, Graph& out) {
  for (const auto& name : g.inputs) {
    const ValueInfo* info = g.info(name);
    const std::string expected = info && info->rank_known ? shape_to_string(info->shape) : "(any)";
    auto it = input_shapes.find(name);
    if (it == input_shapes.end())
      return invalid_argument("input '" + name + "' is missing (expected shape " + expected + ")");
    const Shape& given = it->second;
    bool negative = false;
    for (int64_t d : given) negative |= d < 0;
    if (negative || (info && !shape_fits(*info, given)))
      return invalid_argument("input '" + name + "': expected shape " + expected + ", got " +
                              shape_to_string(given));
    ValueInfo v;
    v.dtype = info ? info->dtype : DType::kFloat32;
    v.shape = given;
    v.rank_known = true;
    out.values[name] = v;
  }
  for (const auto& [name, shape] : input_shapes) {
    bool known = false;
    for (const auto& in : g.inputs) known |= in == name;
    if (!known) {
      std::string list;
      for (const auto& in : g.inputs) list += (list.empty() ? "" : ", ") + in;
      return invalid_argument("'" + name + "' is not an input of the model (inputs: " + list + ")");
    }
  }
  return Status::ok();
}

// Infers node `n`'s outputs into out.values and its resolved attributes into n.attrs.
Status infer_node(Graph& out, Node& n) {
  const OpDef* def = find_op_def(n.op_type);
  if (!def) return unsupported("op '" + n.op_type + "' is not known to the IR");
  InferContext ctx{n, n.attrs, out.opset, {}, {}, {}};
  for (const auto& in : n.inputs) {
    if (in.empty()) {
      ctx.inputs.push_back(nullptr);
      ctx.constants.push_back(nullptr);
      continue;
    }
    const ValueInfo* vi = out.info(in);
    if (!vi) return internal_error("input '" + in + "' has no type (it is not produced before this node)");
    ctx.inputs.push_back(vi);
    ctx.constants.push_back(out.constant(in));
  }
  TANDEM_RETURN_IF_ERROR(def->infer(ctx));
  // Open dims are expected from a data-dependent op and from what reads its outputs (ranks known).
  bool dynamic = def->data_dependent;
  for (const ValueInfo* vi : ctx.inputs) dynamic |= vi && !vi->fully_known();
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    if (n.outputs[k].empty()) continue;
    if (k >= ctx.outputs.size()) return internal_error("shape inference gave no info for output " + std::to_string(k));
    const ValueInfo& v = ctx.outputs[k];
    if (dynamic && v.rank_known) {
      out.values[n.outputs[k]] = v;
      continue;
    }
    if (!v.fully_known())
      return invalid_argument("output '" + n.outputs[k] + "' has shape " +
                              (v.rank_known ? shape_to_string(v.shape) : std::string("of unknown rank")) +
                              " after specialisation (a shape, size or axes input that is not constant?)");
    out.values[n.outputs[k]] = v;
  }
  return Status::ok();
}

// Shape's output depends only on its input's (now known) shape, constant or not.
bool fold_shape(Graph& out, const Node& n) {
  const auto* a = std::get_if<ShapeAttrs>(&n.attrs);
  const ValueInfo* in = n.inputs.empty() ? nullptr : out.info(n.inputs[0]);
  if (!a || !in || !in->fully_known() || n.outputs.empty()) return false;
  // infer_shape resolved start/end into 0 <= start <= end <= rank.
  std::vector<int64_t> dims(in->shape.begin() + a->start, in->shape.begin() + a->end);
  out.initializers[n.outputs[0]] = Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, DType::kInt64, dims);
  return true;
}

// Evaluates a foldable node whose inputs are all constant; its outputs become initializers.
Result<bool> try_fold(Graph& out, const Node& n, const NodeEvaluator& eval) {
  if (n.op_type == "Shape") return fold_shape(out, n);
  const OpDef* def = find_op_def(n.op_type);
  if (!eval || !def || !def->foldable || n.inputs.empty()) return false;
  std::vector<Tensor> ins;
  for (const auto& in : n.inputs) {
    if (in.empty()) {
      ins.emplace_back();
      continue;
    }
    const Tensor* t = out.constant(in);
    if (!t) return false;
    ins.push_back(*t);
  }
  TANDEM_ASSIGN_OR_RETURN(auto outs, eval(out, n, ins));
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    if (n.outputs[k].empty()) continue;
    if (k >= outs.size() || outs[k].empty())
      return internal_error("constant folding produced no value for output '" + n.outputs[k] + "'");
    const ValueInfo& v = out.values[n.outputs[k]];
    if (outs[k].shape() != v.shape || outs[k].dtype() != v.dtype)
      return internal_error("constant folding gave " + shape_to_string(outs[k].shape()) + " " +
                            dtype_name(outs[k].dtype()) + " for '" + n.outputs[k] + "', inference said " +
                            shape_to_string(v.shape) + " " + dtype_name(v.dtype));
    out.initializers[n.outputs[k]] = outs[k];
  }
  return true;
}

// Drops initializers nothing reads and value infos of tensors that no longer exist.
void prune(Graph& g) {
  std::set<std::string> used(g.inputs.begin(), g.inputs.end());
  used.insert(g.outputs.begin(), g.outputs.end());
  for (const auto& n : g.nodes) {
    used.insert(n.inputs.begin(), n.inputs.end());
    used.insert(n.outputs.begin(), n.outputs.end());
  }
  for (auto it = g.initializers.begin(); it != g.initializers.end();)
    it = used.count(it->first) ? std::next(it) : g.initializers.erase(it);
  for (auto it = g.values.begin(); it != g.values.end();)
    it = used.count(it->first) ? std::next(it) : g.values.erase(it);
}

}  // namespace

Result<Graph> specialize(const Graph& g, const std::map<std::string, Shape>& input_shapes, const NodeEvaluator& eval) {
  Graph out = g;
  out.nodes.clear();
  TANDEM_RETURN_IF_ERROR(bind_inputs(g, input_shapes, out));
  for (const auto& [name, t] : out.initializers) out.values[name] = ValueInfo{t.dtype(), t.shape(), true};
  for (const Node& original : g.nodes) {
    Node n = original;
    const std::string where = "node '" + n.name + "' (" + n.op_type + ")";
    TANDEM_RETURN_IF_ERROR(infer_node(out, n).with_context(where));
    auto folded = try_fold(out, n, eval);
    if (!folded.is_ok()) return folded.status().with_context(where);
    if (!*folded) out.nodes.push_back(std::move(n));
  }
  for (const auto& o : out.outputs)
    if (!out.info(o) || !out.info(o)->rank_known)
      return invalid_argument("graph output '" + o + "' has no known shape after specialisation");
  prune(out);
  TANDEM_RETURN_IF_ERROR(out.verify());
  return out;
}

}  // namespace tandem::ir

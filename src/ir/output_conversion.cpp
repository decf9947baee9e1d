#include "ir/output_conversion.h"

#include <algorithm>

namespace tandem::ir {
namespace {

std::string describe(const ValueInfo& vi) {
  return std::string(dtype_name(vi.dtype)) + " " + (vi.rank_known ? shape_to_string(vi.shape) : "[?]");
}

bool qualifies(const Graph& g, const std::string& name, OutputConversion c) {
  const ValueInfo* vi = g.info(name);
  if (!vi || vi->dtype != DType::kFloat32 || g.producer_index(name) < 0) return false;
  return c != OutputConversion::kArgMax || (vi->rank_known && vi->shape.size() >= 2);
}

// Renames tensor `from` (a node output) to `to` everywhere but in the graph's outputs.
void rename_tensor(Graph& g, const std::string& from, const std::string& to) {
  for (Node& n : g.nodes) {
    std::replace(n.inputs.begin(), n.inputs.end(), from, to);
    std::replace(n.outputs.begin(), n.outputs.end(), from, to);
  }
  g.values[to] = g.values[from];
}

std::string unused_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.values.count(name) || g.is_constant(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

Node conversion_node(const std::string& input, const std::string& output, OutputConversion c, ValueInfo& out_info) {
  Node n;
  n.inputs = {input};
  n.outputs = {output};
  if (c == OutputConversion::kFloat16) {
    n.op_type = "Cast";
    n.attrs = CastAttrs{DType::kFloat16};
    n.raw_attrs.set("to", int64_t{10});  // TensorProto.FLOAT16
    out_info.dtype = DType::kFloat16;
    return n;
  }
  n.op_type = "ArgMax";
  n.attrs = ArgMaxAttrs{1, false, false};
  n.raw_attrs.set("axis", int64_t{1});
  n.raw_attrs.set("keepdims", int64_t{0});
  out_info.dtype = DType::kInt64;
  out_info.shape.erase(out_info.shape.begin() + 1);
  return n;
}

}  // namespace

Result<std::vector<ConvertedOutput>> convert_outputs(Graph& g, OutputConversion c) {
  std::vector<ConvertedOutput> done;
  if (c == OutputConversion::kNone) return done;
  for (const std::string& out : g.outputs) {
    if (!qualifies(g, out, c)) continue;
    const std::string inner = unused_name(g, out + (c == OutputConversion::kArgMax ? "__logits" : "__fp32"));
    rename_tensor(g, out, inner);
    ValueInfo info = g.values[inner];
    Node n = conversion_node(inner, out, c, info);
    n.name = unused_name(g, out + (c == OutputConversion::kArgMax ? "__argmax" : "__to_fp16"));
    g.values[out] = info;
    g.nodes.push_back(std::move(n));
    const std::string what = c == OutputConversion::kArgMax ? "argmax over axis 1 of " : "float16 of ";
    done.push_back({out, what + describe(g.values[inner])});
  }
  if (done.empty()) {
    std::string outs;
    for (const std::string& o : g.outputs) {
      const ValueInfo* vi = g.info(o);
      outs += (outs.empty() ? "" : ", ") + o + " " + (vi ? describe(*vi) : std::string("(no type)"));
    }
    return invalid_argument(std::string(c == OutputConversion::kArgMax ? "argmax" : "fp16") +
                            " outputs need a float32 output computed by the model" +
                            (c == OutputConversion::kArgMax ? " of rank >= 2 (its axis 1 is reduced)" : "") +
                            "; this model's outputs: " + outs);
  }
  return done;
}

}  // namespace tandem::ir

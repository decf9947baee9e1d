#include "backends/cuda/split_views.h"

#include <algorithm>

namespace tandem::cuda {
namespace {

bool is_graph_output(const ir::Graph& g, const std::string& t) {
  return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
}

// Element strides of `shape` in the unit's layout rule (cuda_context.h).
Strides storage_strides(const Shape& shape, bool nhwc) {
  DevTensor t;
  t.shape = shape;
  t.nhwc = nhwc;
  return logical_strides(t);
}

// A cut along `axis` gives contiguous pieces: every dim stored outside it is 1.
bool packed_pieces(const Shape& shape, bool nhwc, int64_t axis) {
  const Strides s = storage_strides(shape, nhwc);
  for (size_t d = 0; d < shape.size(); ++d)
    if (int64_t(d) != axis && shape[d] != 1 && s.s[d] > s.s[axis]) return false;
  return true;
}

// Every reader of `t` reads it where its op reads views (not as a residual or moved input).
bool read_as_view(const ir::Graph& g, const std::vector<OpInstance>& ops, const std::string& t) {
  if (is_graph_output(g, t)) return false;
  int reads = 0;
  for (const OpInstance& op : ops) {
    if (op.input == t || op.residual == t) return false;
    const CudaOp* entry = find_cuda_op(op.node->op_type);
    for (size_t k = 0; k < op.node->inputs.size(); ++k) {
      if (op.node->inputs[k] != t) continue;
      const bool takes = entry && (entry->reads_any_view || (k == 0 && op.input.empty() && entry->reads_views));
      if (!takes) return false;
      ++reads;
    }
  }
  return reads == g.use_count(t);
}

}  // namespace

void plan_split_views(const ir::Graph& g, std::vector<OpInstance>& ops, bool channels_last, ConcatViews& views) {
  for (OpInstance& op : ops) {
    const ir::Node& n = *op.node;
    const auto* a = std::get_if<ir::SplitAttrs>(&n.attrs);
    if (n.op_type != "Split" || !a || a->axis < 0 || a->split.size() != n.outputs.size()) continue;
    const std::string& x = n.inputs[0];
    const ir::ValueInfo* xi = g.info(x);
    if (g.is_constant(x) || views.count(x) || !xi || !xi->fully_known()) continue;
    const bool nhwc = channels_last && xi->shape.size() == 4;
    const bool packed = packed_pieces(xi->shape, nhwc, a->axis);
    const bool channels = xi->shape.size() == 4 && a->axis == 1;
    if (!packed && !channels) continue;
    op.in_place.assign(n.outputs.size(), false);
    int64_t offset = 0;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      const std::string& out = n.outputs[k];
      const bool read = !out.empty() && g.use_count(out) > 0;
      if (read && a->split[k] > 0 && (packed || read_as_view(g, ops, out))) {
        views[out] = ConcatView{x, offset, int(a->axis), packed};
        op.in_place[k] = true;
      }
      offset += a->split[k];
    }
  }
}

}  // namespace tandem::cuda

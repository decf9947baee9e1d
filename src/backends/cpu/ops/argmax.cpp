// ArgMax of a float32 tensor along any axis, as a host step on the plain buffer (oneDNN 2.6 has
// no arg-reduction primitive): the running maximum of each output element is kept over the
// lines of the axis, the dims after it innermost, so the reads are contiguous and the compare
// vectorises. Ties take the first index (or the last, select_last_index); NaN never wins, as in
// the reference kernel. The int64 output is a plain byte buffer (cpu_op.h).
#include <vector>

#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

struct ArgMaxGeometry {
  int64_t outer = 1, dim = 1, inner = 1;
};

void argmax_lines(const float* x, int64_t* y, const ArgMaxGeometry& g, bool last, std::vector<float>& best) {
  best.resize(static_cast<size_t>(g.inner));
  for (int64_t o = 0; o < g.outer; ++o) {
    const float* plane = x + o * g.dim * g.inner;
    int64_t* out = y + o * g.inner;
    for (int64_t i = 0; i < g.inner; ++i) {
      best[static_cast<size_t>(i)] = plane[i];
      out[i] = 0;
    }
    for (int64_t k = 1; k < g.dim; ++k) {
      const float* row = plane + k * g.inner;
      float* b = best.data();
      if (last) {
        for (int64_t i = 0; i < g.inner; ++i) {
          const bool take = row[i] >= b[i];
          b[i] = take ? row[i] : b[i];
          out[i] = take ? k : out[i];
        }
      } else {
        for (int64_t i = 0; i < g.inner; ++i) {
          const bool take = row[i] > b[i];
          b[i] = take ? row[i] : b[i];
          out[i] = take ? k : out[i];
        }
      }
    }
  }
}

Status argmax_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::ArgMaxAttrs>(node);
  if (!a) return internal_error("ArgMax without ArgMaxAttrs");
  const Shape& x = *shape_of(graph, node.inputs[0]);
  if (a->axis < 0 || a->axis >= static_cast<int64_t>(x.size())) return unsupported("ArgMax axis is not resolved");
  if (graph.is_constant(node.inputs[0])) return unsupported("ArgMax of a constant (folded before it runs)");
  return Status::ok();
}

Status argmax_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::ArgMaxAttrs>(node.attrs);
  const Shape& xs = b.shape(node.inputs[0]);
  ArgMaxGeometry g;
  for (int64_t d = 0; d < static_cast<int64_t>(xs.size()); ++d) {
    if (d < a.axis) g.outer *= xs[static_cast<size_t>(d)];
    else if (d == a.axis) g.dim = xs[static_cast<size_t>(d)];
    else g.inner *= xs[static_cast<size_t>(d)];
  }
  TANDEM_ASSIGN_OR_RETURN(dnnl::memory x, b.host_value(node.inputs[0]));
  dnnl::memory y = b.define_host(node.outputs[0]);
  const bool last = a.select_last_index;
  auto best = std::make_shared<std::vector<float>>();
  b.add_host_step([x, y, g, last, best]() {
    argmax_lines(static_cast<const float*>(x.get_data_handle()), static_cast<int64_t*>(y.get_data_handle()), g, last,
                 *best);
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuArgMax{"ArgMax", 1, argmax_supports, argmax_compile, DType::kInt64};

}  // namespace tandem::cpu

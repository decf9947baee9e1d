// Pad -> reorders between strided views. The kept part of the input (all of it unless pads are
// negative) is reordered into its place in a plain output. Constant mode: the border was
// filled with the constant at compile time and nothing else writes it, so it stays. Edge mode:
// per padded dim, each side is a broadcast reorder of the edge slice of the output itself;
// reflect mode: one reorder per padded row, from the mirrored row. Dims are filled in order,
// so a later dim's border copies the earlier dims' borders too (corners).
#include <algorithm>

#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {
namespace {

struct PadGeometry {
  Dims in, out, begin, end;
  Dims kept, kept_in_at, kept_out_at;  // kept extent, where it starts in the input / the output
};

PadGeometry geometry(const Shape& in, const Shape& out, const std::vector<int64_t>& pads) {
  PadGeometry g;
  const size_t r = in.size();
  g.in = Dims(in.begin(), in.end());
  g.out = Dims(out.begin(), out.end());
  for (size_t d = 0; d < r; ++d) {
    const int64_t b = pads[d], e = pads[d + r];
    g.begin.push_back(b);
    g.end.push_back(e);
    g.kept.push_back(in[d] + std::min<int64_t>(b, 0) + std::min<int64_t>(e, 0));
    g.kept_in_at.push_back(std::max<int64_t>(-b, 0));
    g.kept_out_at.push_back(std::max<int64_t>(b, 0));
  }
  return g;
}

Status pad_supports(const ir::Graph& graph, const ir::Node& node) {
  const auto* a = attrs_of<ir::PadAttrs>(node);
  if (!a) return internal_error("Pad without PadAttrs");
  const size_t rank = shape_of(graph, node.inputs[0])->size();
  if (rank == 0 || a->pads.size() != 2 * rank) return unsupported("Pad pads are not resolved");
  return Status::ok();
}

// Copies output rows `from` -> `to` along dim d (`count` rows; a `from_step` of 0 repeats one
// row); the other dims span the full output before d and the kept part after it.
Status copy_rows(SegmentBuilder& b, const std::string& out, const PadGeometry& g, size_t d, int64_t from,
                 int64_t from_step, int64_t to, int64_t count) {
  Dims dims(g.out.size()), from_at(g.out.size()), to_at(g.out.size()), steps(g.out.size(), 1), unit(g.out.size(), 1);
  for (size_t e = 0; e < g.out.size(); ++e) {
    dims[e] = e < d ? g.out[e] : g.kept[e];
    from_at[e] = to_at[e] = e < d ? 0 : g.kept_out_at[e];
  }
  dims[d] = count, from_at[d] = from, to_at[d] = to, steps[d] = from_step;
  TANDEM_ASSIGN_OR_RETURN(auto src, b.part_of(out, dims, from_at, steps));
  TANDEM_ASSIGN_OR_RETURN(auto dst, b.part_of(out, dims, to_at, unit));
  b.add_step(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
  return Status::ok();
}

// Fills the border along dim d from the output's own kept rows (edge or reflect).
Status fill_border(SegmentBuilder& b, const std::string& out, const PadGeometry& g, size_t d, ir::PadMode mode) {
  const int64_t first = g.kept_out_at[d], last = first + g.kept[d] - 1;  // kept rows in the output
  const int64_t before = std::max<int64_t>(g.begin[d], 0), after = std::max<int64_t>(g.end[d], 0);
  if (mode == ir::PadMode::kEdge) {
    if (before > 0) TANDEM_RETURN_IF_ERROR(copy_rows(b, out, g, d, first, 0, 0, before));
    if (after > 0) TANDEM_RETURN_IF_ERROR(copy_rows(b, out, g, d, last, 0, last + 1, after));
    return Status::ok();
  }
  for (int64_t j = 1; j <= before; ++j) TANDEM_RETURN_IF_ERROR(copy_rows(b, out, g, d, first + j, 1, first - j, 1));
  for (int64_t j = 1; j <= after; ++j) TANDEM_RETURN_IF_ERROR(copy_rows(b, out, g, d, last - j, 1, last + j, 1));
  return Status::ok();
}

Status pad_compile(SegmentBuilder& b, const ir::Node& node) {
  const auto& a = std::get<ir::PadAttrs>(node.attrs);
  const std::string& out = node.outputs[0];
  const PadGeometry g = geometry(b.shape(node.inputs[0]), b.shape(out), a.pads);
  dnnl::memory dst = b.define(out, plain_md(g.out));
  const int64_t out_numel = shape_numel(b.shape(out));
  if (out_numel == 0) return Status::ok();
  if (a.mode == ir::PadMode::kConstant) {
    std::fill_n(static_cast<float*>(dst.get_data_handle()), out_numel, a.value);
    b.keep_buffer(out);
  }
  int64_t kept_numel = 1;
  for (int64_t k : g.kept) kept_numel *= k;
  if (kept_numel == 0) return Status::ok();  // constant mode only (inference refuses the others)
  TANDEM_ASSIGN_OR_RETURN(auto src, b.part_of(node.inputs[0], g.kept, g.kept_in_at, Dims(g.in.size(), 1)));
  TANDEM_ASSIGN_OR_RETURN(auto inner, b.part_of(out, g.kept, g.kept_out_at, Dims(g.out.size(), 1)));
  b.add_step(dnnl::reorder(src, inner), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, inner}});
  if (a.mode == ir::PadMode::kConstant) return Status::ok();
  for (size_t d = 0; d < g.out.size(); ++d) TANDEM_RETURN_IF_ERROR(fill_border(b, out, g, d, a.mode));
  return Status::ok();
}

}  // namespace

extern const CpuOp kCpuPad{"Pad", 1, pad_supports, pad_compile};

}  // namespace tandem::cpu

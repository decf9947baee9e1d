// Tile: one strided copy over the output seen with each repeated dim d split in two,
// [repeats, in_d]: the input read with strides [0, s_d], the output written with
// [in_d * S_d, S_d] (S_d its stride for d in either layout). Up to 6 dims after the split.
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

// Dims of the copy: one per input dim, one more per repeated dim.
size_t copy_rank(const std::vector<int64_t>& repeats) {
  size_t rank = repeats.size();
  for (int64_t r : repeats) rank += r != 1 ? 1 : 0;
  return rank;
}

Status supports_tile(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto* a = std::get_if<ir::TileAttrs>(&node.attrs);
  const ir::ValueInfo* x = graph.info(node.inputs[0]);
  if (!a || !x || a->repeats.size() != x->shape.size()) return unsupported("Tile repeats are not resolved");
  const size_t rank = copy_rank(a->repeats);
  if (rank > static_cast<size_t>(kMaxRank))
    return unsupported("Tile needs " + std::to_string(rank) + " dims once repeated dims are split (cuda copies up to 6)");
  return Status::ok();
}

Status build_tile(BuildContext& ctx, const OpInstance& op) {
  const auto& a = std::get<ir::TileAttrs>(op.node->attrs);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.node->inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  if (y->numel() == 0) return Status::ok();
  if (a.repeats.size() != x->shape.size() || copy_rank(a.repeats) > static_cast<size_t>(kMaxRank)) return internal_error("Tile rank is over the copy's limit");
  const Strides xs = logical_strides(*x), ys = logical_strides(*y);
  Shape dims;
  Strides in, out;
  for (size_t d = 0; d < x->shape.size(); ++d) {
    if (a.repeats[d] != 1) {
      in.s[dims.size()] = 0;
      out.s[dims.size()] = x->shape[d] * ys.s[d];
      dims.push_back(a.repeats[d]);
    }
    in.s[dims.size()] = xs.s[d];
    out.s[dims.size()] = ys.s[d];
    dims.push_back(x->shape[d]);
  }
  ctx.add_step(copy_step(x->data, x->elem, in, y->data, y->elem, out, dims));
  return Status::ok();
}

}  // namespace

extern const CudaOp kCudaTile{"Tile", supports_tile, build_tile};

}  // namespace tandem::cuda

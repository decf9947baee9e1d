// Tile: out[d] = in[d] * repeats[d]; element i of a dim reads input element i % in[d].
// repeats must be a constant input (after folding).
#include "ir/ops/tile.h"

#include "ir/ops/infer_util.h"
#include "ir/ops/op_def.h"

namespace tandem::ir {
namespace {

Result<OpAttrs> parse_tile(const AttrMap&, int) { return OpAttrs{TileAttrs{}}; }

Status infer_tile(InferContext& ctx) {
  TANDEM_RETURN_IF_ERROR(require_inputs(ctx, 2, "input and repeats"));
  auto& t = std::get<TileAttrs>(ctx.attrs);
  const ValueInfo& x = *ctx.inputs[0];
  const Tensor* reps = optional_constant(ctx, 1);
  if (!reps) {
    ctx.outputs = {x.rank_known ? known_rank(x.dtype, Shape(x.shape.size(), -1)) : unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (reps->dtype() != DType::kInt64 || reps->shape().size() != 1) return invalid_argument("repeats must be a 1-D int64 tensor");
  t.repeats = reps->to_int_vector();
  for (int64_t r : t.repeats)
    if (r < 0) return invalid_argument("repeats must be >= 0");
  if (!x.rank_known) {
    ctx.outputs = {unknown_rank(x.dtype)};
    return Status::ok();
  }
  if (t.repeats.size() != x.shape.size())
    return invalid_argument("repeats has " + std::to_string(t.repeats.size()) + " values for rank " +
                            std::to_string(x.shape.size()));
  Shape y = x.shape;
  for (size_t d = 0; d < y.size(); ++d)
    if (y[d] >= 0) y[d] *= t.repeats[d];
  ctx.outputs = {known_rank(x.dtype, std::move(y))};
  return Status::ok();
}

}  // namespace

extern const OpDef kTileOpDef{"Tile", parse_tile, infer_tile, true};

}  // namespace tandem::ir

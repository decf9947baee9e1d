// Einsum, any equation: every output element sums, over the labels the output lacks, the
// product of the inputs at those label values ("..." dims of size 1 broadcast).
#include <algorithm>
#include <map>

#include "backends/reference/ref_util.h"
#include "ir/ops/einsum.h"

namespace tandem::reference {
namespace {

Status supports_einsum(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

Status run_einsum(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::EinsumAttrs* attrs, attrs_of<ir::EinsumAttrs>(ctx.node));
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    TANDEM_RETURN_IF_ERROR(require_input(ctx, i, "operand"));
    shapes.push_back(ctx.inputs[i].shape());
  }
  ir::EinsumAttrs a = *attrs;
  if (a.inputs.size() != ctx.inputs.size()) {  // terms not split yet (a graph that was not inferred)
    TANDEM_ASSIGN_OR_RETURN(a, ir::parse_einsum_equation(attrs->equation, ctx.inputs.size()));
  }
  TANDEM_ASSIGN_OR_RETURN(ir::EinsumBinding b, ir::bind_einsum(a, shapes));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  // Loop order: the output's labels, then the summed ones; `value[id]` is a label's current value.
  std::vector<int> order = b.output_labels, summed;
  for (const auto& [id, n] : b.size)
    if (std::find(order.begin(), order.end(), id) == order.end()) summed.push_back(id);
  Shape out_shape, sum_shape;
  for (int id : order) out_shape.push_back(b.size.at(id));
  for (int id : summed) sum_shape.push_back(b.size.at(id));
  std::map<int, int64_t> value;
  std::vector<std::vector<int64_t>> strides;
  for (const Shape& s : shapes) strides.push_back(strides_of(s));
  float* out = y.data_as<float>();
  std::vector<int64_t> oi(out_shape.size(), 0), si(sum_shape.size(), 0);
  if (y.numel() == 0) return Status::ok();
  int64_t flat = 0;
  do {
    for (size_t d = 0; d < order.size(); ++d) value[order[d]] = oi[d];
    double acc = 0.0;
    std::fill(si.begin(), si.end(), 0);
    const bool empty_sum = shape_numel(sum_shape) == 0;
    if (!empty_sum) do {
        for (size_t d = 0; d < summed.size(); ++d) value[summed[d]] = si[d];
        double prod = 1.0;
        for (size_t i = 0; i < shapes.size(); ++i) {
          int64_t off = 0;
          for (size_t d = 0; d < shapes[i].size(); ++d)
            off += (shapes[i][d] == 1 ? 0 : value[b.input_labels[i][d]]) * strides[i][d];
          prod *= ctx.inputs[i].data_as<float>()[off];
        }
        acc += prod;
      } while (next_index(si, sum_shape));
    out[flat++] = static_cast<float>(acc);
  } while (next_index(oi, out_shape));
  return Status::ok();
}

}  // namespace

extern const RefOp kRefEinsum{"Einsum", supports_einsum, run_einsum};

}  // namespace tandem::reference

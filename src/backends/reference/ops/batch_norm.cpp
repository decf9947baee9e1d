// BatchNormalization, inference form: y = scale * (x - mean) / sqrt(var + epsilon) + bias over
// channel dim 1, then the fused activation (BatchNormAttrs::epilogue). The training outputs
// (running mean/var) are refused.
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/batch_norm.h"

namespace tandem::reference {
namespace {

Status supports_batch_norm(const ir::Graph& graph, const ir::Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (has_output(node, i)) return unsupported("BatchNormalization in training mode (more than one output)");
  return require_all_float32(graph, node);
}

Status run_batch_norm(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::BatchNormAttrs* a, attrs_of<ir::BatchNormAttrs>(ctx.node));
  const char* names[] = {"X", "scale", "B", "mean", "var"};
  for (size_t i = 0; i < 5; ++i) TANDEM_RETURN_IF_ERROR(require_input(ctx, i, names[i]));
  const Tensor& x = ctx.inputs[0];
  const Shape& xs = x.shape();
  const int64_t channels = xs.size() >= 2 ? xs[1] : 1;
  for (size_t i = 1; i < 5; ++i)
    if (ctx.inputs[i].numel() != channels)
      return invalid_argument(std::string(names[i]) + " has " + std::to_string(ctx.inputs[i].numel()) +
                              " elements; X has " + std::to_string(channels) + " channels");
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const int64_t batch = xs.empty() ? 1 : xs[0];
  const int64_t inner = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  const float *px = x.data_as<float>(), *scale = ctx.inputs[1].data_as<float>(), *bias = ctx.inputs[2].data_as<float>();
  const float *mean = ctx.inputs[3].data_as<float>(), *var = ctx.inputs[4].data_as<float>();
  float* py = y.data_as<float>();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      const float inv = 1.0f / std::sqrt(var[c] + a->epsilon);
      const int64_t base = (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i)
        py[base + i] = ir::apply_epilogue(a->epilogue, scale[c] * (px[base + i] - mean[c]) * inv + bias[c]);
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefBatchNormalization{"BatchNormalization", supports_batch_norm, run_batch_norm};

}  // namespace tandem::reference

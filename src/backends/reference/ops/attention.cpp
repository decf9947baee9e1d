// FusedAttention, straight from its definition (ir/ops/attention.h): for each batch, head and
// query row, the scaled scores plus bias, a max-subtracted softmax in double, then P V.
#include <algorithm>
#include <cmath>

#include "backends/reference/ref_util.h"
#include "ir/ops/attention.h"

namespace tandem::reference {
namespace {

Status supports_attention(const ir::Graph& graph, const ir::Node& node) { return require_all_float32(graph, node); }

// Element offsets of one operand [bh][rows][cols] stored as given or with rows/cols swapped.
struct MatrixView {
  int64_t rows, cols;
  bool transposed;
  int64_t at(int64_t bh, int64_t r, int64_t c) const {
    return transposed ? (bh * cols + c) * rows + r : (bh * rows + r) * cols + c;
  }
};

Status run_attention(RefOpContext& ctx) {
  TANDEM_ASSIGN_OR_RETURN(const ir::AttentionAttrs* a, attrs_of<ir::AttentionAttrs>(ctx.node));
  for (size_t i = 0; i < (a->has_bias ? 4u : 3u); ++i) TANDEM_RETURN_IF_ERROR(require_input(ctx, i, "Q, K, V, bias"));
  const Shape bias_shape = a->has_bias ? ctx.inputs[3].shape() : Shape{};
  TANDEM_ASSIGN_OR_RETURN(ir::AttentionDims d,
                          ir::attention_dims(*a, ctx.inputs[0].shape(), ctx.inputs[1].shape(), ctx.inputs[2].shape(),
                                             a->has_bias ? &bias_shape : nullptr));
  TANDEM_ASSIGN_OR_RETURN(Tensor y, alloc_output(ctx, 0, DType::kFloat32));
  const MatrixView qv{d.n, d.d, false}, kv{d.m, d.d, a->k_transposed}, vv{d.m, d.dv, a->v_transposed},
      ov{d.n, d.dv, a->out_transposed};
  const float* q = ctx.inputs[0].data_as<float>();
  const float* k = ctx.inputs[1].data_as<float>();
  const float* v = ctx.inputs[2].data_as<float>();
  const float* bias = a->has_bias ? ctx.inputs[3].data_as<float>() : nullptr;
  float* out = y.data_as<float>();
  std::vector<double> s(static_cast<size_t>(d.m));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.heads; ++h) {
      const int64_t bh = b * d.heads + h;
      for (int64_t i = 0; i < d.n; ++i) {
        double mx = -INFINITY;
        for (int64_t j = 0; j < d.m; ++j) {
          double acc = 0.0;
          for (int64_t t = 0; t < d.d; ++t) acc += double(q[qv.at(bh, i, t)]) * k[kv.at(bh, j, t)];
          s[size_t(j)] = double(a->scale) * acc;
          if (bias) {
            const int64_t bo = (((b % d.bias_batch) * d.bias_heads + h % d.bias_heads) * d.bias_n + i % d.bias_n) *
                                   d.bias_m + j % d.bias_m;
            s[size_t(j)] += bias[bo];
          }
          mx = std::max(mx, s[size_t(j)]);
        }
        double sum = 0.0;
        for (double& x : s) sum += (x = std::exp(x - mx));
        for (int64_t e = 0; e < d.dv; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < d.m; ++j) acc += s[size_t(j)] * v[vv.at(bh, j, e)];
          out[ov.at(bh, i, e)] = static_cast<float>(acc / sum);
        }
      }
    }
  return Status::ok();
}

}  // namespace

extern const RefOp kRefFusedAttention{"FusedAttention", supports_attention, run_attention};

}  // namespace tandem::reference

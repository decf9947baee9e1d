// run_passes: the pass pipeline, and count_ops.
#include "ir/passes/passes.h"

namespace tandem::ir {
namespace {

// Enough for any chain of rewrites we know (each round only shrinks the graph); a guard
// against two passes undoing each other, which would be a bug.
constexpr int kMaxRounds = 8;

// A fingerprint that changes whenever a pass rewrote something: ops, wiring and epilogues.
std::string fingerprint(const Graph& g) { return graph_to_string(g) + std::to_string(g.initializers.size()); }

}  // namespace

Status run_passes(Graph& g, const PassOptions& opts) {
  TANDEM_RETURN_IF_ERROR(g.verify().with_context("before passes"));
  std::string before = fingerprint(g);
  for (int round = 0; round < kMaxRounds; ++round) {
    // Identity first so the patterns below see producer -> consumer directly; BN folding before
    // activation fusion because Conv -> BN -> Relu needs the BN gone for the Relu to fuse.
    if (opts.drop_identity) TANDEM_RETURN_IF_ERROR(drop_identity(g));
    if (opts.fold_pad_into_conv) TANDEM_RETURN_IF_ERROR(fold_pad_into_conv(g));
    if (opts.fuse_layer_norm) TANDEM_RETURN_IF_ERROR(fuse_layer_norm(g));
    if (opts.fold_batch_norm) TANDEM_RETURN_IF_ERROR(fold_batch_norm(g));
    // After BN folding (a branch's Conv -> BN is one Conv then), before activation fusion (the
    // Relu after the Add fuses into the merged Conv).
    if (opts.merge_parallel_convs) TANDEM_RETURN_IF_ERROR(merge_parallel_convs(g));
    // Einsum products become MatMuls first, so attention written with einsum fuses too; attention
    // before matmul_add_to_gemm, which would otherwise take a vector bias of the scores.
    if (opts.lower_einsum) TANDEM_RETURN_IF_ERROR(lower_einsum(g));
    if (opts.fuse_attention) TANDEM_RETURN_IF_ERROR(fuse_attention(g));
    if (opts.matmul_add_to_gemm) TANDEM_RETURN_IF_ERROR(matmul_add_to_gemm(g));
    if (opts.fuse_activations) TANDEM_RETURN_IF_ERROR(fuse_activation(g));
    // Last: the LayerNormalization made of a decomposed form above absorbs its residual Add too.
    if (opts.fuse_add_layer_norm) TANDEM_RETURN_IF_ERROR(fuse_add_layer_norm(g));
    std::string after = fingerprint(g);
    if (after == before) return Status::ok();
    before = std::move(after);
  }
  return Status::ok();
}

std::map<std::string, int> count_ops(const Graph& g) {
  std::map<std::string, int> counts;
  for (const auto& node : g.nodes) ++counts[node.op_type];
  return counts;
}

}  // namespace tandem::ir

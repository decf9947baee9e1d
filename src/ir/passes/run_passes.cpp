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

namespace {

// Name -> flag, in run order; pass_names() and disable_pass() read this one table.
const std::vector<std::pair<std::string, bool PassOptions::*>>& pass_flags() {
  static const std::vector<std::pair<std::string, bool PassOptions::*>> flags = {
      {"drop_identity", &PassOptions::drop_identity},
      {"fold_pad_into_conv", &PassOptions::fold_pad_into_conv},
      {"fuse_layer_norm", &PassOptions::fuse_layer_norm},
      {"fold_batch_norm", &PassOptions::fold_batch_norm},
      {"merge_parallel_convs", &PassOptions::merge_parallel_convs},
      {"lower_einsum", &PassOptions::lower_einsum},
      {"fuse_attention", &PassOptions::fuse_attention},
      {"matmul_add_to_gemm", &PassOptions::matmul_add_to_gemm},
      {"fuse_activations", &PassOptions::fuse_activations},
      {"fuse_add_layer_norm", &PassOptions::fuse_add_layer_norm},
  };
  return flags;
}

}  // namespace

const std::vector<std::string>& pass_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, flag] : pass_flags()) n.push_back(name);
    return n;
  }();
  return names;
}

Status disable_pass(PassOptions& opts, const std::string& name) {
  for (const auto& [known, flag] : pass_flags())
    if (known == name) {
      opts.*flag = false;
      return Status::ok();
    }
  std::string list;
  for (const auto& n : pass_names()) list += (list.empty() ? "" : ", ") + n;
  return invalid_argument("unknown pass '" + name + "' (passes: " + list + ")");
}

std::map<std::string, int> count_ops(const Graph& g) {
  std::map<std::string, int> counts;
  for (const auto& node : g.nodes) ++counts[node.op_type];
  return counts;
}

}  // namespace tandem::ir

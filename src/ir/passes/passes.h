// Graph-rewriting passes over a *specialised* graph (every shape known, constant shape
// subgraphs already folded into initializers by `specialize`). One pass per file.
//
// Contract shared by every pass:
// - Edits `g` in place; the graph stays topologically ordered and verifies.
// - Graph input and output names never change; values computed stay the same up to float
//   rounding (a folded BatchNorm changes weights, hence the last bits).
// - A pattern that does not match exactly is left alone: a pass never fails on a graph it
//   cannot improve. A non-ok Status means the graph was malformed (a dangling tensor, ...).
// - Values (`g.values`) of removed tensors and initializers no node reads any more are removed.
// - Not thread-safe on one graph; different graphs may be processed concurrently.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "tandem/status.h"

namespace tandem::ir {

// Removes Identity and Dropout (inference) nodes, rewiring their consumers to the input. When the
// dropped node's output is a graph output, the producer's output is renamed instead, so graph
// output names survive. Kept: a Dropout whose mask output is read or whose training_mode is not a
// constant false, and an Identity whose output is a graph output while its input is a graph
// input, initializer or another graph output (neither name may change).
Status drop_identity(Graph& g);

// Folds BatchNormalization into the Conv / ConvTranspose that produces its input, when the
// weights (and bias, if any) and all BN parameters are constant, the conv output is read only by
// the BN, and the conv has no epilogue. New weight/bias initializers are created (the old ones
// are dropped when nothing else reads them). A standalone BN stays.
Status fold_batch_norm(Graph& g);

// Add of two Convs over the same input (same strides, group and output; windows sharing a centre)
// -> one Conv with the summed weights (the smaller kernel zero-padded) and biases; Add of a Conv
// and a BatchNormalization of the Conv's input (stride 1, as many output as input channels,
// centred window) -> one Conv with the BN's scale on each channel's window centre. Branches must
// be read only by the Add, carry no epilogue and have constant parameters. RepVGG / ACNet /
// MobileOne blocks exported without re-parameterisation become one conv each.
Status merge_parallel_convs(Graph& g);

// Fuses activations into the epilogue of the producing Conv / ConvTranspose / Gemm / MatMul (producer
// output used only by the activation; no epilogue yet): Relu, Clip (resolved constant min/max),
// HardSigmoid, HardSwish, Sigmoid, LeakyRelu, Tanh, Gelu (both forms), Softplus, Elu, Selu, Mish,
// and SiLU written as x * Sigmoid(x).
// Also rewrites decomposed HardSwish — x * Clip(x+3, 0, 6) / 6 (Div by 6 or Mul by 1/6, in
// either order) and x * HardSigmoid(x) with alpha 1/6, beta 0.5 — into one HardSwish node,
// decomposed GELU — 0.5 x (1 + Erf(x / sqrt 2)) and 0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715
// x^3))) in the forms exporters write (pass_util.h) — into one Gelu node, and x * Tanh(Softplus(x))
// into one Mish node (each then fused when x comes from a Conv/Gemm). Intermediates must have a
// single use and constants the exact values (tolerance 1e-6).
Status fuse_activation(Graph& g);

// MatMul(A [M,K], constant B [K,N]) followed by Add of a constant bias of shape [N] or [1,N]
// (or a single element) -> Gemm(A, B, bias[N]). Any other MatMul whose B has rank >= 2 (a
// batched A such as the transformer's [B,N,C] x [C,D], or a runtime B) followed by Add of a
// constant bias [N], [1,..,1,N] or a single element -> MatMul(A, B, bias[N]) with
// MatMulAttrs::has_bias. A non-constant bias and a MatMul output read by anything else are left
// alone.
Status matmul_add_to_gemm(Graph& g);

// Einsum with two operands that is a batched matrix product — each label is a batch label (in
// both inputs and the output), a row label (first input and output), a column label (second
// input and output) or a contracted label (both inputs, not the output), at most one row, one
// column and one contracted label, no repeated label, no "..." — becomes Transpose (where the
// operand's dims are not in [batch..., row, k] / [batch..., k, col] order) + MatMul + Transpose
// (where the output is not [batch..., row, col]). "bhid,bhjd->bhij", "bhij,bhjd->bhid" and
// "nct,ncp->ntp" are such products. Other equations stay (the reference backend runs them).
Status lower_einsum(Graph& g);

// Scaled dot-product attention -> one FusedAttention node (ir/ops/attention.h):
//   MatMul(Q', K') -> [Mul|Div by a scalar constant] -> [Add(bias)] -> Softmax(last axis)
//   -> MatMul(P, V)
// where Q' is Q or Mul(Q, c) / Div(Q, c), and K' is Transpose(K) swapping the last two dims
// (K read directly), Mul(K^T, c) of such a Transpose (torch's SDPA export scales both sides by
// sqrt(scale)), or any other K^T tensor (read transposed, no copy). The bias is any tensor
// that fits the scores, or — Swin's shifted windows — Reshape to [images, windows, ...] -> Add of
// a constant mask -> Reshape back, with both terms constant (folded into one periodic bias).
// The second product may also be MatMul(V^T, Transpose(P)) (EfficientViT), giving the output
// transposed. Every intermediate must be read only by the pattern; Q, K, V must be float32 of
// rank 3 or 4 with the same batch dims; the scale constants are applied in the fused op.
Status fuse_attention(Graph& g);
// Folds a constant-mode Pad into the Conv reading it (its only reader) when the Pad pads only
// the spatial dims, by non-negative amounts, with 0: the Conv's pads grow by the Pad's (TF-style
// "same" padding in timm tf_* / EfficientNetV2 exports). Likewise a Pad of -inf into a MaxPool
// (no ceil_mode, indices unread) while every pad stays smaller than the window.
Status fold_pad_into_conv(Graph& g);
// Rewrites the decomposed layer normalisation of exporters before opset 17 —
// ReduceMean(x) over trailing axes, Sub, Pow(., 2) (or Mul(d, d)), ReduceMean over the same axes,
// Add(eps), Sqrt, Div, then optionally Mul(gamma) and Add(beta) with constant float32 gamma/beta —
// into one LayerNormalization (a ones Scale when there is no Mul). Each intermediate must be read
// only by the pattern; other forms are left alone.
Status fuse_layer_norm(Graph& g);
// The residual Add feeding a LayerNormalization — s = Add(a, b) of two runtime float32 tensors of
// one shape (no broadcast), y = LayerNormalization(s, ...) with Mean / InvStdDev unread and Scale /
// B available before the Add — becomes one AddLayerNorm(a, b, Scale[, B]) -> y [, s] at the Add's
// place (ir/ops/layer_norm.h); s stays an output (same name) only when something else reads it.
Status fuse_add_layer_norm(Graph& g);

// Runs every pass below in a sensible order until nothing changes. Options let a caller turn
// fusion off (a backend that cannot fuse) — extend the struct, don't add _v2 functions.
struct PassOptions {
  bool fold_batch_norm = true;
  bool fuse_activations = true;
  bool matmul_add_to_gemm = true;
  bool drop_identity = true;
  bool lower_einsum = true;
  bool fuse_attention = true;
  bool fold_pad_into_conv = true;
  bool fuse_layer_norm = true;
  bool fuse_add_layer_norm = true;
  bool merge_parallel_convs = true;
  bool operator==(const PassOptions&) const = default;
};
Status run_passes(Graph& g, const PassOptions& opts = {});

// The passes a user may turn off, by name (the PassOptions field names): `tandem run
// --disable-pass NAME`, EngineOptions::disabled_passes. Unknown names: an error listing them all.
const std::vector<std::string>& pass_names();
Status disable_pass(PassOptions& opts, const std::string& name);

// Op type -> number of nodes of that type (tests, `tandem info`).
std::map<std::string, int> count_ops(const Graph& g);

}  // namespace tandem::ir

// Concats without copies (issue "zoo speed", item 2). Two kinds of view (DevTensor::storage):
// - Chains: where a Concat's inputs are a strict prefix of a later Concat's along the channels,
//   and every reader of its output reads views (CudaOp::reads_views), its output is the leading
//   channels of the later one's, and each input is copied once, by the first Concat that holds
//   it. DenseNet's layer k reads the concat of features 0..k-1: without views every feature is
//   copied again at every later layer of its block (60% of its time on an H200 at batch 128).
// - Slices (NHWC units): a Concat input whose producer writes views (CudaOp::writes_views: a Conv,
//   whose plans then write with the concat's row stride) and that only Concats read, all placing
//   it at the same channel of the same tensor, is written by its producer in place: GoogLeNet's
//   and Inception's branches, DenseNet's features.
// The Concats skip what is already in place (OpInstance::in_place).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {

// Also the views of split_views.h: pieces of a Split's input.
struct ConcatView {
  std::string whole;    // the packed tensor viewed (a Concat's output, a Split's input)
  int64_t channel = 0;  // the view's first channel in it (the first index along `axis`)
  int axis = 1;         // the dim cut: 1, but for packed Split pieces
  // The view is a packed tensor of its own shape at an offset in `whole` (a Split along the
  // outermost dim that is not 1): DevTensor::storage stays empty and every op may read it.
  bool packed = false;
  bool operator==(const ConcatView& o) const = default;
};
using ConcatViews = std::map<std::string, ConcatView>;  // view -> what it views

// Plans both kinds (slices only when `channels_last`) and marks the Concats' inputs in place.
ConcatViews plan_concat_views(const ir::Graph& graph, std::vector<OpInstance>& ops, bool channels_last);

}  // namespace tandem::cuda

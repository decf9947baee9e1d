// Output conversion: what a user asks of a model's outputs that the model itself does not
// compute (EngineOptions::output_dtype): fp16 logits, or the class map of a segmentation model.
// It is a graph edit before anything is planned, so the conversion runs on the unit that
// computes the output (a GPU downloads 2 bytes a pixel-logit, or 8 a pixel, instead of 4 x C).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "tandem/status.h"

namespace tandem::ir {

enum class OutputConversion {
  kNone,     // the model's outputs as they are
  kFloat16,  // every float32 output cast to float16 (Cast, to = FLOAT16)
  kArgMax,   // every float32 output of rank >= 2 replaced by its ArgMax over axis 1 (the channel
             // or class axis; keepdims 0: [N, C, H, W] -> [N, H, W], [N, C] -> [N]), int64 as ONNX
             // ArgMax gives (what onnxruntime and numpy.argmax give too)
};

// One converted output.
struct ConvertedOutput {
  std::string name;  // the graph output (its name is kept: the model's tensor is renamed)
  std::string note;  // "argmax over axis 1 of float32 [N, 21, H, W]"
};

// Appends the conversion's node after each output it applies to; other outputs stay as they are.
// Errors (kInvalidArgument, one line naming every output): no output qualifies.
Result<std::vector<ConvertedOutput>> convert_outputs(Graph& g, OutputConversion conversion);

}  // namespace tandem::ir

// Typed attributes of Einsum. Parse (the equation) and shape inference are in einsum.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::ir {

// The equation split into terms: one per input and the output, "..." written as the single
// character '.'. Without "->" the output is, as ONNX says, "..." (when any input has one)
// followed by the labels that occur once, in alphabetical order.
struct EinsumAttrs {
  std::string equation;
  std::vector<std::string> inputs;
  std::string output;
};

// The equation applied to actual shapes. Labels are ids: a letter's id is its position in
// "a..zA..Z"; the k-th dim covered by "..." (counted from the right) has id kEllipsisBase + k.
constexpr int kEllipsisBase = 52;
struct EinsumBinding {
  std::vector<std::vector<int>> input_labels;  // per input, per dim
  std::vector<int> output_labels;              // per output dim
  std::map<int, int64_t> size;                 // every label's size (ellipsis dims broadcast)
  Shape output_shape;
};

// Parses "bhid,bhjd->bhij" (spaces ignored) for `num_inputs` inputs.
Result<EinsumAttrs> parse_einsum_equation(const std::string& equation, size_t num_inputs);
// Binds the terms to the input shapes: each term covers its input's rank, a letter has one size
// everywhere, "..." dims broadcast.
Result<EinsumBinding> bind_einsum(const EinsumAttrs& a, const std::vector<Shape>& inputs);

}  // namespace tandem::ir

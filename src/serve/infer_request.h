// One KServe v2 inference request, decoded: JSON tensors and the binary tensor data extension
// (https://github.com/kserve/kserve/blob/master/docs/predict-api/v2/required_api.md, Triton's
// binary_tensor_data.md). The body is a JSON header, then — when the HTTP header
// Inference-Header-Content-Length says how long the JSON is — the raw bytes of each input whose
// parameters carry binary_data_size, in the order the inputs appear.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tandem/engine.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::serve {

struct RequestedOutput {
  std::string name;
  size_t index = 0;     // in the model's output order
  bool binary = false;  // answer as raw bytes (binary_data) rather than a JSON array
};

struct InferRequest {
  std::string id;                       // echoed in the response; may be empty
  std::vector<Tensor> inputs;           // in the model's input order; dim 0 (rows) the same for all
  std::vector<RequestedOutput> outputs; // what to answer with, in the order asked (all, when none asked)
  int64_t rows = 0;
};

// Decodes and checks a request against the model's inputs and outputs: every input present once,
// its datatype, its rank and fixed dims, a batch of at least 1 row shared by all inputs, the data's
// length (JSON element count or binary_data_size against the shape), the binary part's length
// against the sum of binary_data_size. `header_length`: the Inference-Header-Content-Length
// header, when sent. Errors: InvalidArgument, one line naming the problem.
// `body_owner`, when given, owns the memory `body` points into: a binary input whose bytes start
// 64-byte aligned is then used in place (its tensor shares that memory and keeps it alive) rather
// than copied; the server reads bodies so that the first input lands aligned.
// `layout`, when given, is told where the data was (for RequestDecoder's memo).
struct BinaryLayout;
Result<InferRequest> decode_infer_request(std::string_view body, std::optional<size_t> header_length,
                                          const std::vector<TensorInfo>& model_inputs,
                                          const std::vector<TensorInfo>& model_outputs,
                                          std::shared_ptr<const void> body_owner = nullptr,
                                          BinaryLayout* layout = nullptr);

// Where a decoded request's data was: when every input was binary, the inputs in body order as
// (model input index, bytes).
struct BinaryLayout {
  bool all_binary = false;
  std::vector<std::pair<size_t, size_t>> inputs;
};

// Binary input `bytes` as a tensor of `shape` x `dtype`: in place when `owner` owns them and they
// start 64-byte aligned (the tensor keeps `owner` alive), else a copy.
Tensor binary_tensor(const char* bytes, const Shape& shape, DType dtype, const std::shared_ptr<const void>& owner);

// Parses the Inference-Header-Content-Length value ("123"); InvalidArgument when not a number.
Result<size_t> parse_header_length(const std::string& value);

}  // namespace tandem::serve

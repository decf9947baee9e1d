// RequestDecoder: decode_infer_request() for one model, with a memo of the JSON headers it has seen.
// Clients send the same header again and again (one per input shape: tritonclient, perf_analyzer,
// tandem load), and parsing it was two thirds of decoding a small binary request. A header seen
// before, whose every input was binary, is not parsed again: its inputs' shapes and datatypes, the
// outputs asked for and the id are taken from the memo, and only the binary part is bound to them.
// Anything else (JSON data, a binary part whose length does not match, an error) is decoded in full,
// so every answer and every error is what decode_infer_request() gives.
//
// Thread safety: decode() from any number of threads.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "serve/infer_request.h"

namespace tandem::serve {

class RequestDecoder {
 public:
  RequestDecoder(std::vector<TensorInfo> model_inputs, std::vector<TensorInfo> model_outputs, size_t max_headers = 64);

  // As decode_infer_request(body, header_length, inputs, outputs, body_owner).
  Result<InferRequest> decode(std::string_view body, std::optional<size_t> header_length,
                              const std::shared_ptr<const void>& body_owner);
  // Headers decoded from the memo so far (for tests).
  int64_t hits() const;

 private:
  struct Known {
    InferRequest request;       // id, outputs, rows; inputs empty
    std::vector<Shape> shapes;  // per model input
    std::vector<DType> dtypes;
    BinaryLayout layout;
    size_t binary_bytes = 0;
  };

  std::vector<TensorInfo> inputs_, outputs_;
  size_t max_headers_;
  mutable std::mutex mu_;  // guards known_, hits_
  std::unordered_map<std::string, std::shared_ptr<const Known>> known_;
  int64_t hits_ = 0;
};

}  // namespace tandem::serve

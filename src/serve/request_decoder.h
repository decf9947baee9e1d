// RequestDecoder: decode_infer_request() for one model, with a memo of the JSON headers it has seen.
// Clients send the same header again and again (one per input shape: tritonclient, perf_analyzer,
// tandem load), and parsing it was two thirds of decoding a small binary request. A header seen
// before, whose every input was binary or in shared memory, is not parsed again: its inputs' shapes
// and datatypes, the outputs asked for and the id are taken from the memo, and only the binary part
// and the shared memory regions (looked up again: they may have gone) are bound to them. A body
// without Inference-Header-Content-Length (up to 4 KB) is all header: shared memory inputs need no
// binary part, and tritonclient sends the length only with one.
// Anything else (JSON data, a binary part whose length does not match, a region that is gone, an
// error) is decoded in full, so every answer and every error is what decode_infer_request() gives.
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
  // `shm`: the server's regions (outlives the decoder); null: shared memory is off. `max_headers`:
  // each shared memory client names its own regions, so each has headers of its own.
  RequestDecoder(std::vector<TensorInfo> model_inputs, std::vector<TensorInfo> model_outputs,
                 const SharedMemoryRegistry* shm = nullptr, size_t max_headers = 1024);

  // As decode_infer_request(body, header_length, inputs, outputs, body_owner, nullptr, shm).
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

  // The memo's answer for `k` with the binary part `binary`; nullopt when a region is gone.
  std::optional<InferRequest> from_memo(const Known& k, std::string_view binary,
                                        const std::shared_ptr<const void>& body_owner) const;

  std::vector<TensorInfo> inputs_, outputs_;
  const SharedMemoryRegistry* shm_;
  size_t max_headers_;
  mutable std::mutex mu_;  // guards known_, hits_
  std::unordered_map<std::string, std::shared_ptr<const Known>> known_;
  int64_t hits_ = 0;
};

}  // namespace tandem::serve

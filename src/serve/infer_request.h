// One KServe v2 inference request, decoded: JSON tensors and the binary tensor data extension
// (https://github.com/kserve/kserve/blob/master/docs/predict-api/v2/required_api.md, Triton's
// binary_tensor_data.md). The body is a JSON header, then — when the HTTP header
// Inference-Header-Content-Length says how long the JSON is — the raw bytes of each input whose
// parameters carry binary_data_size, in the order the inputs appear. An input or requested output
// whose parameters name shared_memory_region and shared_memory_byte_size (shared_memory_offset
// optional) is read from / written to a registered system shared memory region instead
// (Triton's shared memory extension, shared_memory.h).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/shared_memory.h"
#include "tandem/engine.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::serve {

// Where a tensor is in shared memory: a registered region's name, the offset into it, the bytes.
struct SharedMemoryRef {
  std::string region;
  size_t offset = 0;
  size_t byte_size = 0;
};

struct RequestedOutput {
  std::string name;
  size_t index = 0;     // in the model's output order
  bool binary = false;  // answer as raw bytes (binary_data) rather than a JSON array
  std::optional<SharedMemoryRef> shm;  // written there; the response carries no data for it
};

struct InferRequest {
  std::string id;                       // echoed in the response; may be empty
  // In the model's input order; dim 0 (rows) the same for all. An input in shared memory borrows
  // the mapping (Tensor::wrap), which `holds` keeps: keep the request while its inputs are read.
  std::vector<Tensor> inputs;
  std::vector<RequestedOutput> outputs; // what to answer with, in the order asked (all, when none asked)
  int64_t rows = 0;
  // Per model output: the shared memory its rows go to (data null: the response carries it);
  // empty when no output goes to shared memory.
  std::vector<SharedMemorySpan> output_shm;
  std::vector<std::shared_ptr<const void>> holds;  // the mappings the inputs borrow
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
// `shm`: the server's registered regions; null: shared memory parameters are refused (400). A
// shared memory input's byte size must match its shape; an output's must hold its rows (checked
// here when the model fixes the output's other dims, else by the batcher).
struct BinaryLayout;
Result<InferRequest> decode_infer_request(std::string_view body, std::optional<size_t> header_length,
                                          const std::vector<TensorInfo>& model_inputs,
                                          const std::vector<TensorInfo>& model_outputs,
                                          std::shared_ptr<const void> body_owner = nullptr,
                                          BinaryLayout* layout = nullptr, const SharedMemoryRegistry* shm = nullptr);

// Where a decoded request's data was: when no input carried JSON data (all binary or in shared
// memory), the binary inputs in body order as (model input index, bytes) and the shared memory ones.
struct BinaryLayout {
  bool no_json_data = false;
  std::vector<std::pair<size_t, size_t>> inputs;
  std::vector<std::pair<size_t, SharedMemoryRef>> shm_inputs;
};

// Input `name` of `shape` x `dtype` (whose bytes match ref.byte_size) borrowed from shared memory;
// its mapping is added to `holds`. InvalidArgument: shared memory off (`shm` null), an unknown
// region, a range past the region's end.
Result<Tensor> shared_memory_input(const SharedMemoryRegistry* shm, const SharedMemoryRef& ref, const Shape& shape,
                                   DType dtype, const std::string& name, std::vector<std::shared_ptr<const void>>& holds);
// Resolves r.output_shm for the requested outputs with shared memory (r.rows set); errors as above,
// and an output that the model's fixed dims say does not fit.
Status bind_output_shared_memory(InferRequest& r, const std::vector<TensorInfo>& model_outputs,
                                 const SharedMemoryRegistry* shm);

// Binary input `bytes` as a tensor of `shape` x `dtype`: in place when `owner` owns them and they
// start 64-byte aligned (the tensor keeps `owner` alive), else a copy.
Tensor binary_tensor(const char* bytes, const Shape& shape, DType dtype, const std::shared_ptr<const void>& owner);

// Parses the Inference-Header-Content-Length value ("123"); InvalidArgument when not a number.
Result<size_t> parse_header_length(const std::string& value);

}  // namespace tandem::serve

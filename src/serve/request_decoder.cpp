#include "serve/request_decoder.h"

namespace tandem::serve {
namespace {

constexpr size_t kMaxHeaderlessMemo = 4096;  // bytes

}  // namespace

RequestDecoder::RequestDecoder(std::vector<TensorInfo> model_inputs, std::vector<TensorInfo> model_outputs,
                               const SharedMemoryRegistry* shm, size_t max_headers)
    : inputs_(std::move(model_inputs)), outputs_(std::move(model_outputs)), shm_(shm), max_headers_(max_headers) {}

int64_t RequestDecoder::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

std::optional<InferRequest> RequestDecoder::from_memo(const Known& k, std::string_view binary,
                                                      const std::shared_ptr<const void>& body_owner) const {
  InferRequest r = k.request;
  r.inputs.resize(inputs_.size());
  size_t offset = 0;
  for (const auto& [index, bytes] : k.layout.inputs) {
    r.inputs[index] = binary_tensor(binary.data() + offset, k.shapes[index], k.dtypes[index], body_owner);
    offset += bytes;
  }
  for (const auto& [index, ref] : k.layout.shm_inputs) {
    auto t = shared_memory_input(shm_, ref, k.shapes[index], k.dtypes[index], inputs_[index].name, r.holds);
    if (!t.is_ok()) return std::nullopt;
    r.inputs[index] = std::move(*t);
  }
  if (!bind_output_shared_memory(r, outputs_, shm_).is_ok()) return std::nullopt;
  return r;
}

Result<InferRequest> RequestDecoder::decode(std::string_view body, std::optional<size_t> header_length,
                                            const std::shared_ptr<const void>& body_owner) {
  // Without the header length, only small bodies are looked up: a large one is JSON data, never
  // memoised, and copying it for a lookup would cost more than the memo saves.
  const size_t json_length = header_length.value_or(body.size());
  const bool memo = header_length ? json_length <= body.size() : body.size() <= kMaxHeaderlessMemo;
  if (memo) {
    const std::string_view header = body.substr(0, json_length), binary = body.substr(json_length);
    std::shared_ptr<const Known> k;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = known_.find(std::string(header));
      if (it != known_.end()) k = it->second;
    }
    if (k && k->binary_bytes == binary.size()) {
      if (std::optional<InferRequest> r = from_memo(*k, binary, body_owner)) {
        std::lock_guard<std::mutex> lock(mu_);
        ++hits_;
        return std::move(*r);
      }
    }
  }
  BinaryLayout layout;
  Result<InferRequest> r = decode_infer_request(body, header_length, inputs_, outputs_, body_owner, &layout, shm_);
  if (!memo || !r.is_ok() || !layout.no_json_data) return r;
  auto k = std::make_shared<Known>();
  k->request.id = r->id;
  k->request.outputs = r->outputs;
  k->request.rows = r->rows;
  for (const Tensor& t : r->inputs) k->shapes.push_back(t.shape()), k->dtypes.push_back(t.dtype());
  for (const auto& in : layout.inputs) k->binary_bytes += in.second;
  k->layout = std::move(layout);
  std::lock_guard<std::mutex> lock(mu_);
  if (known_.size() >= max_headers_) known_.clear();  // many distinct headers (ids): start afresh
  known_.emplace(std::string(body.substr(0, json_length)), std::move(k));
  return r;
}

}  // namespace tandem::serve

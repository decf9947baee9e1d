#include "serve/request_decoder.h"

namespace tandem::serve {

RequestDecoder::RequestDecoder(std::vector<TensorInfo> model_inputs, std::vector<TensorInfo> model_outputs,
                               size_t max_headers)
    : inputs_(std::move(model_inputs)), outputs_(std::move(model_outputs)), max_headers_(max_headers) {}

int64_t RequestDecoder::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

Result<InferRequest> RequestDecoder::decode(std::string_view body, std::optional<size_t> header_length,
                                            const std::shared_ptr<const void>& body_owner) {
  const bool memo = header_length && *header_length <= body.size();
  if (memo) {
    const std::string_view header = body.substr(0, *header_length), binary = body.substr(*header_length);
    std::shared_ptr<const Known> k;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = known_.find(std::string(header));
      if (it != known_.end()) k = it->second;
    }
    if (k && k->binary_bytes == binary.size()) {
      InferRequest r = k->request;
      r.inputs.resize(inputs_.size());
      size_t offset = 0;
      for (const auto& [index, bytes] : k->layout.inputs) {
        r.inputs[index] = binary_tensor(binary.data() + offset, k->shapes[index], k->dtypes[index], body_owner);
        offset += bytes;
      }
      std::lock_guard<std::mutex> lock(mu_);
      ++hits_;
      return r;
    }
  }
  BinaryLayout layout;
  Result<InferRequest> r = decode_infer_request(body, header_length, inputs_, outputs_, body_owner, &layout);
  if (!memo || !r.is_ok() || !layout.all_binary) return r;
  auto k = std::make_shared<Known>();
  k->request.id = r->id;
  k->request.outputs = r->outputs;
  k->request.rows = r->rows;
  for (const Tensor& t : r->inputs) k->shapes.push_back(t.shape()), k->dtypes.push_back(t.dtype());
  for (const auto& in : layout.inputs) k->binary_bytes += in.second;
  k->layout = std::move(layout);
  std::lock_guard<std::mutex> lock(mu_);
  if (known_.size() >= max_headers_) known_.clear();  // many distinct headers (ids): start afresh
  known_.emplace(std::string(body.substr(0, *header_length)), std::move(k));
  return r;
}

}  // namespace tandem::serve

// Encoding of a KServe v2 inference response: JSON, with the outputs asked for as binary
// (binary_data) appended as raw bytes after it, their JSON entries carrying binary_data_size. An
// output in shared memory (written there by the batcher) carries its region, offset and the bytes
// written as parameters, and no data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "serve/infer_request.h"
#include "tandem/tensor.h"

namespace tandem::serve {

struct EncodedResponse {
  std::string body;
  std::optional<size_t> header_length;  // set when binary data follows the JSON
};

// `outputs`: all model outputs (model order), rows of this request only.
EncodedResponse encode_infer_response(const std::string& model_name, const std::string& model_version,
                                      const InferRequest& request, const std::vector<TensorInfo>& model_outputs,
                                      const std::vector<Tensor>& outputs);

// {"error": "<message>"}
std::string error_body(const std::string& message);

}  // namespace tandem::serve

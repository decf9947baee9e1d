#include "serve/infer_response.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "serve/datatype.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

template <typename T>
json elements(const Tensor& t) {
  const T* p = t.data_as<T>();
  return json(std::vector<T>(p, p + t.numel()));
}

json json_data(const Tensor& t) {
  switch (t.dtype()) {
    case DType::kFloat32: return elements<float>(t);
    case DType::kFloat64: return elements<double>(t);
    case DType::kInt64: return elements<int64_t>(t);
    case DType::kInt32: return elements<int32_t>(t);
    case DType::kInt8: return elements<int8_t>(t);
    case DType::kUInt8: return elements<uint8_t>(t);
    case DType::kBool: {
      json a = json::array();
      for (int64_t i = 0; i < t.numel(); ++i) a.push_back(t.data_as<uint8_t>()[i] != 0);
      return a;
    }
    case DType::kFloat16: {
      json a = json::array();
      for (int64_t i = 0; i < t.numel(); ++i) a.push_back(half_to_float(t.data_as<uint16_t>()[i]));
      return a;
    }
  }
  return json::array();
}

// A JSON string literal (quoted, escaped).
std::string quoted(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

void append_shape(std::string& out, const Shape& shape) {
  out += '[';
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d) out += ',';
    out += std::to_string(shape[d]);
  }
  out += ']';
}

}  // namespace

// The JSON is written directly rather than built as a nlohmann document: per request that saved
// the document's allocations, and the binary outputs are appended to the one body string,
// reserved to its final size.
EncodedResponse encode_infer_response(const std::string& model_name, const std::string& model_version,
                                      const InferRequest& request, const std::vector<TensorInfo>& model_outputs,
                                      const std::vector<Tensor>& outputs) {
  size_t binary_bytes = 0;
  bool any_binary = false;
  for (const RequestedOutput& ro : request.outputs)
    if (ro.binary) binary_bytes += outputs[ro.index].nbytes(), any_binary = true;
  std::string head;
  head.reserve(128 + 96 * request.outputs.size());
  head += "{\"model_name\":" + quoted(model_name) + ",\"model_version\":" + quoted(model_version);
  if (!request.id.empty()) head += ",\"id\":" + quoted(request.id);
  head += ",\"outputs\":[";
  for (size_t i = 0; i < request.outputs.size(); ++i) {
    const RequestedOutput& ro = request.outputs[i];
    const Tensor& t = outputs[ro.index];
    if (i) head += ',';
    head += "{\"name\":" + quoted(model_outputs[ro.index].name) + ",\"datatype\":\"" + v2_datatype(t.dtype()) +
            "\",\"shape\":";
    append_shape(head, t.shape());
    if (ro.shm) {  // written into the region already: its parameters, with the bytes written
      head += ",\"parameters\":{\"shared_memory_region\":" + quoted(ro.shm->region) +
              ",\"shared_memory_byte_size\":" + std::to_string(t.nbytes());
      if (ro.shm->offset) head += ",\"shared_memory_offset\":" + std::to_string(ro.shm->offset);
      head += '}';
    } else if (ro.binary) {
      head += ",\"parameters\":{\"binary_data_size\":" + std::to_string(t.nbytes()) + "}";
    } else {
      head += ",\"data\":" + json_data(t).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    head += '}';
  }
  head += "]}";
  EncodedResponse e;
  if (any_binary) e.header_length = head.size();
  e.body.reserve(head.size() + binary_bytes);
  e.body += head;
  for (const RequestedOutput& ro : request.outputs)
    if (ro.binary) e.body.append(static_cast<const char*>(outputs[ro.index].data()), outputs[ro.index].nbytes());
  return e;
}

std::string error_body(const std::string& message) { return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace tandem::serve

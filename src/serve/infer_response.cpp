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

}  // namespace

EncodedResponse encode_infer_response(const std::string& model_name, const std::string& model_version,
                                      const InferRequest& request, const std::vector<TensorInfo>& model_outputs,
                                      const std::vector<Tensor>& outputs) {
  json res = {{"model_name", model_name}, {"model_version", model_version}};
  if (!request.id.empty()) res["id"] = request.id;
  json outs = json::array();
  std::string binary;
  for (const RequestedOutput& ro : request.outputs) {
    const Tensor& t = outputs[ro.index];
    json o = {{"name", model_outputs[ro.index].name}, {"datatype", v2_datatype(t.dtype())}, {"shape", t.shape()}};
    if (ro.binary) {
      o["parameters"] = {{"binary_data_size", t.nbytes()}};
      binary.append(static_cast<const char*>(t.data()), t.nbytes());
    } else {
      o["data"] = json_data(t);
    }
    outs.push_back(std::move(o));
  }
  res["outputs"] = std::move(outs);
  EncodedResponse e;
  e.body = res.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!binary.empty() || std::any_of(request.outputs.begin(), request.outputs.end(),
                                     [](const RequestedOutput& o) { return o.binary; })) {
    e.header_length = e.body.size();
    e.body += binary;
  }
  return e;
}

std::string error_body(const std::string& message) { return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace tandem::serve

#include "serve/model_metadata.h"

#include "serve/datatype.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

json shape_json(const Shape& s) {
  json a = json::array();
  for (int64_t d : s) a.push_back(d < 0 ? -1 : d);
  return a;
}

json tensors_metadata(const std::vector<TensorInfo>& ts) {
  json a = json::array();
  for (const TensorInfo& t : ts) a.push_back({{"name", t.name}, {"datatype", v2_datatype(t.dtype)}, {"shape", shape_json(t.shape)}});
  return a;
}

// Config entries: dims without the batch dim (max_batch_size > 0 says dim 0 is the batch).
json tensors_config(const std::vector<TensorInfo>& ts) {
  json a = json::array();
  for (const TensorInfo& t : ts) {
    Shape dims(t.shape.begin() + (t.shape.empty() ? 0 : 1), t.shape.end());
    a.push_back({{"name", t.name}, {"data_type", config_datatype(t.dtype)}, {"dims", shape_json(dims)}});
  }
  return a;
}

}  // namespace

json server_metadata(bool shared_memory) {
  json extensions = {"binary_tensor_data", "model_configuration", "statistics"};
  if (shared_memory) extensions.push_back("system_shared_memory");
  return {{"name", "tandem"}, {"version", "0.1.0"}, {"extensions", std::move(extensions)}};
}

json model_metadata(const ModelDescription& m) {
  return {{"name", m.name},
          {"versions", {m.version}},
          {"platform", "tandem_onnx"},
          {"inputs", tensors_metadata(m.inputs)},
          {"outputs", tensors_metadata(m.outputs)}};
}

json model_config(const ModelDescription& m) {
  json c = {{"name", m.name},
            {"platform", "tandem_onnx"},
            {"backend", "tandem"},
            {"max_batch_size", m.max_batch},
            {"input", tensors_config(m.inputs)},
            {"output", tensors_config(m.outputs)},
            {"dynamic_batching",
             {{"preferred_batch_size", m.batch_sizes}, {"max_queue_delay_microseconds", m.max_delay_us}}},
            {"version_policy", {{"specific", {{"versions", {m.version}}}}}}};
  if (!m.units.empty()) c["parameters"]["units"] = {{"string_value", m.units}};
  if (!m.plan.empty()) c["parameters"]["plan"] = {{"string_value", m.plan}};
  return c;
}

}  // namespace tandem::serve

// Decoding of inference requests (infer_request.h). nlohmann::json reports parse errors by
// exception; they are caught here and become one-line InvalidArgument statuses.
#include "serve/infer_request.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "serve/datatype.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

// Whether JSON integer `v` fits `dt` (an integral dtype): 300 is no INT8, -1 no UINT8.
bool fits_integer(const json& v, DType dt) {
  auto in = [&](auto lo, auto hi) {
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(hi);
    const int64_t x = v.get<int64_t>();
    return x >= static_cast<int64_t>(lo) && (x < 0 || static_cast<uint64_t>(x) <= static_cast<uint64_t>(hi));
  };
  switch (dt) {
    case DType::kInt8: return in(std::numeric_limits<int8_t>::min(), std::numeric_limits<int8_t>::max());
    case DType::kUInt8: return in(0, std::numeric_limits<uint8_t>::max());
    case DType::kInt32: return in(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    case DType::kInt64: return in(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    default: return true;
  }
}

// Writes JSON number/bool `v` as element `i` of `t`; false when `v` has the wrong kind or range.
bool store_element(Tensor& t, int64_t i, const json& v) {
  const bool is_bool = v.is_boolean();
  if (t.dtype() == DType::kBool) {
    if (!is_bool) return false;
    t.data_as<uint8_t>()[i] = v.get<bool>() ? 1 : 0;
    return true;
  }
  if (!v.is_number()) return false;
  const bool integral = t.dtype() != DType::kFloat32 && t.dtype() != DType::kFloat64 && t.dtype() != DType::kFloat16;
  if (integral && !v.is_number_integer()) return false;
  if (integral && !fits_integer(v, t.dtype())) return false;
  switch (t.dtype()) {
    case DType::kFloat32: t.data_as<float>()[i] = v.get<float>(); break;
    case DType::kFloat64: t.data_as<double>()[i] = v.get<double>(); break;
    case DType::kFloat16: t.data_as<uint16_t>()[i] = float_to_half(v.get<float>()); break;
    case DType::kInt64: t.data_as<int64_t>()[i] = v.get<int64_t>(); break;
    case DType::kInt32: t.data_as<int32_t>()[i] = v.get<int32_t>(); break;
    case DType::kInt8: t.data_as<int8_t>()[i] = v.get<int8_t>(); break;
    case DType::kUInt8: t.data_as<uint8_t>()[i] = v.get<uint8_t>(); break;
    case DType::kBool: break;
  }
  return true;
}

// Flattens `data` (a flat or nested array, row-major) into `t`; `n` counts elements seen.
Status fill_from_json(Tensor& t, const json& data, int64_t& n, const std::string& name) {
  if (data.is_array()) {
    for (const json& v : data) TANDEM_RETURN_IF_ERROR(fill_from_json(t, v, n, name));
    return Status::ok();
  }
  if (n >= t.numel())
    return invalid_argument("input '" + name + "': data has more elements than its shape " +
                            shape_to_string(t.shape()) + " holds (" + std::to_string(t.numel()) + ")");
  if (!store_element(t, n, data))
    return invalid_argument("input '" + name + "': element " + std::to_string(n) + " (" + data.dump() +
                            ") is not a " + v2_datatype(t.dtype()) + " value");
  ++n;
  return Status::ok();
}

Result<Shape> parse_shape(const json& j, const std::string& name) {
  if (!j.is_array()) return invalid_argument("input '" + name + "': 'shape' must be an array of integers");
  Shape s;
  for (const json& d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      return invalid_argument("input '" + name + "': 'shape' must be an array of non-negative integers");
    s.push_back(d.get<int64_t>());
  }
  return s;
}

// Checks `shape` against the model's: same rank, fixed dims equal, a batch (dim 0) of >= 1.
Status check_shape(const Shape& shape, const TensorInfo& info) {
  const std::string want = shape_to_string(info.shape);
  if (shape.size() != info.shape.size())
    return invalid_argument("input '" + info.name + "' has shape " + shape_to_string(shape) + ", the model takes " +
                            want);
  for (size_t d = 0; d < shape.size(); ++d)
    if ((info.shape[d] >= 0 && shape[d] != info.shape[d]) || shape[d] < 1)
      return invalid_argument("input '" + info.name + "' has shape " + shape_to_string(shape) +
                              ", the model takes " + want);
  if (shape.empty()) return invalid_argument("input '" + info.name + "' needs a batch dimension");
  return Status::ok();
}

// The bytes of a `shape` x `dt` tensor, refused when they cannot be in a body of `body_bytes` (a
// JSON element takes at least one byte of text too): a shape that lies must not allocate.
Result<size_t> bounded_bytes(const Shape& shape, DType dt, size_t body_bytes, const std::string& name) {
  size_t elements = 1;
  for (int64_t d : shape) {
    if (d != 0 && elements > body_bytes / static_cast<size_t>(d))
      return invalid_argument("input '" + name + "': shape " + shape_to_string(shape) +
                              " holds more data than the request body (" + std::to_string(body_bytes) + " bytes)");
    elements *= static_cast<size_t>(d);
  }
  return elements * dtype_size(dt);
}

// Member `key` of object `j`, or null when `j` is no object or lacks it: a lookup, not a copy
// (json::value() copies the member it returns, a whole "parameters" object for each input).
const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

bool binary_flag(const json* params, const char* key, bool fallback) {
  const json* v = params ? member(*params, key) : nullptr;
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

// The binary part of a body, read input by input in request order.
struct BinaryCursor {
  std::string_view bytes;
  size_t offset = 0;
  size_t body_bytes = 0;  // the whole body: bounds every input's size
  std::shared_ptr<const void> owner;  // owns the bytes: aligned inputs are used in place
};

// The inputs of a request read from shared memory.
struct SharedMemoryInputs {
  const SharedMemoryRegistry* registry = nullptr;  // null: shared memory is off
  std::vector<std::shared_ptr<const void>> holds;
  std::vector<std::pair<std::string, SharedMemoryRef>> refs;  // input name -> where it was
};

// The bytes of a `shape` x `dt` tensor when they are at most `limit`; nullopt otherwise (without
// overflowing on a shape that lies).
std::optional<size_t> bytes_within(const Shape& shape, DType dt, size_t limit) {
  const size_t cap = limit / dtype_size(dt);
  size_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && elements > cap / static_cast<size_t>(d))) return std::nullopt;
    elements *= static_cast<size_t>(d);
  }
  return elements * dtype_size(dt);
}

// The shared memory parameters of `what` ("input 'x'"): none, or a region and byte size (offset 0
// unless given). Triton's rule: region and byte size come together or not at all.
Result<std::optional<SharedMemoryRef>> shared_memory_params(const json* params, const std::string& what) {
  const json* region = params ? member(*params, "shared_memory_region") : nullptr;
  const json* size = params ? member(*params, "shared_memory_byte_size") : nullptr;
  const json* offset = params ? member(*params, "shared_memory_offset") : nullptr;
  if (!region && !size && !offset) return std::optional<SharedMemoryRef>{};
  if (!region || !size)
    return invalid_argument(what + ": shared_memory_region and shared_memory_byte_size go together");
  if (!region->is_string() || region->get<std::string>().empty())
    return invalid_argument(what + ": shared_memory_region must be the name of a registered region");
  if (!size->is_number_unsigned()) return invalid_argument(what + ": shared_memory_byte_size must be a byte count");
  if (offset && !offset->is_number_unsigned()) return invalid_argument(what + ": shared_memory_offset must be a byte count");
  return std::optional<SharedMemoryRef>(
      SharedMemoryRef{region->get<std::string>(), offset ? offset->get<size_t>() : 0, size->get<size_t>()});
}

// Input `name` of `shape` x `dt` from the shared memory `ref` names.
Result<Tensor> decode_shared_memory_input(const json& in, const json* params, const std::string& name, const Shape& shape,
                                          DType dt, const SharedMemoryRef& ref, SharedMemoryInputs& shm) {
  if (in.contains("data")) return invalid_argument("input '" + name + "' has both 'data' and shared memory parameters");
  if (member(*params, "binary_data_size"))
    return invalid_argument("input '" + name + "' has both binary_data_size and shared memory parameters");
  const std::optional<size_t> needed = bytes_within(shape, dt, SIZE_MAX);
  if (needed != ref.byte_size)
    return invalid_argument("input '" + name + "': shared_memory_byte_size is " + std::to_string(ref.byte_size) +
                            " but shape " + shape_to_string(shape) + " of " + v2_datatype(dt) + " needs " +
                            (needed ? std::to_string(*needed) + " bytes" : "more"));
  TANDEM_ASSIGN_OR_RETURN(Tensor t, shared_memory_input(shm.registry, ref, shape, dt, name, shm.holds));
  shm.refs.emplace_back(name, ref);
  return t;
}

// One entry of "inputs": its name and tensor, from JSON data or the next binary_data_size bytes.
Result<std::pair<std::string, Tensor>> decode_input(const json& in, const std::vector<TensorInfo>& model_inputs,
                                                    BinaryCursor& binary, SharedMemoryInputs& shm) {
  if (!in.is_object() || !in.contains("name") || !in["name"].is_string())
    return invalid_argument("each input needs a 'name'");
  const std::string name = in["name"].get<std::string>();
  const TensorInfo* info = nullptr;
  for (const TensorInfo& t : model_inputs)
    if (t.name == name) info = &t;
  if (!info) return invalid_argument("unknown input '" + name + "'");
  if (!in.contains("datatype") || !in["datatype"].is_string())
    return invalid_argument("input '" + name + "' needs a 'datatype'");
  auto dt = parse_v2_datatype(in["datatype"].get<std::string>());
  if (!dt.is_ok()) return invalid_argument("input '" + name + "': " + dt.status().message());
  if (*dt != info->dtype)
    return invalid_argument("input '" + name + "' has datatype " + in["datatype"].get<std::string>() +
                            ", the model takes " + v2_datatype(info->dtype));
  if (!in.contains("shape")) return invalid_argument("input '" + name + "' needs a 'shape'");
  TANDEM_ASSIGN_OR_RETURN(Shape shape, parse_shape(in["shape"], name));
  TANDEM_RETURN_IF_ERROR(check_shape(shape, *info));
  const json* params = member(in, "parameters");
  TANDEM_ASSIGN_OR_RETURN(const std::optional<SharedMemoryRef> ref, shared_memory_params(params, "input '" + name + "'"));
  if (ref) {
    TANDEM_ASSIGN_OR_RETURN(Tensor t, decode_shared_memory_input(in, params, name, shape, *dt, *ref, shm));
    return std::make_pair(name, std::move(t));
  }
  // The data must be in the body, so the body bounds the tensor: check before allocating it.
  TANDEM_ASSIGN_OR_RETURN(const size_t needed, bounded_bytes(shape, *dt, binary.body_bytes, name));
  const json* sz = params ? member(*params, "binary_data_size") : nullptr;
  if (!sz) {
    if (!in.contains("data")) return invalid_argument("input '" + name + "' has neither 'data' nor binary_data_size");
    Tensor t(shape, *dt);
    int64_t n = 0;
    TANDEM_RETURN_IF_ERROR(fill_from_json(t, in["data"], n, name));
    if (n != t.numel())
      return invalid_argument("input '" + name + "': data has " + std::to_string(n) + " elements, shape " +
                              shape_to_string(shape) + " needs " + std::to_string(t.numel()));
    return std::make_pair(name, std::move(t));
  }
  if (!sz->is_number_unsigned()) return invalid_argument("input '" + name + "': binary_data_size must be a byte count");
  const size_t n = sz->get<size_t>();
  if (n != needed)
    return invalid_argument("input '" + name + "': binary_data_size is " + std::to_string(n) + " but shape " +
                            shape_to_string(shape) + " of " + v2_datatype(*dt) + " needs " + std::to_string(needed) +
                            " bytes");
  if (n > binary.bytes.size() - binary.offset)
    return invalid_argument("input '" + name + "': the binary data ends after " + std::to_string(binary.bytes.size()) +
                            " bytes, " + std::to_string(binary.offset + n) + " are declared");
  const char* src = binary.bytes.data() + binary.offset;
  binary.offset += n;
  return std::make_pair(name, binary_tensor(src, shape, *dt, binary.owner));
}

Result<std::vector<RequestedOutput>> decode_outputs(const json& req, const std::vector<TensorInfo>& model_outputs) {
  const bool binary_default = binary_flag(member(req, "parameters"), "binary_data_output", false);
  std::vector<RequestedOutput> out;
  if (!req.contains("outputs")) {
    for (size_t i = 0; i < model_outputs.size(); ++i) out.push_back({model_outputs[i].name, i, binary_default, std::nullopt});
    return out;
  }
  const json& outs = req["outputs"];
  if (!outs.is_array()) return invalid_argument("'outputs' must be an array");
  for (const json& o : outs) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
      return invalid_argument("each requested output needs a 'name'");
    const std::string name = o["name"].get<std::string>();
    size_t idx = model_outputs.size();
    for (size_t i = 0; i < model_outputs.size(); ++i)
      if (model_outputs[i].name == name) idx = i;
    if (idx == model_outputs.size()) return invalid_argument("unknown output '" + name + "'");
    for (const RequestedOutput& seen : out)
      if (seen.index == idx) return invalid_argument("output '" + name + "' is asked for twice");
    const json* params = member(o, "parameters");
    TANDEM_ASSIGN_OR_RETURN(std::optional<SharedMemoryRef> ref, shared_memory_params(params, "output '" + name + "'"));
    // An output in shared memory has no data in the response, binary or JSON.
    out.push_back({name, idx, !ref && binary_flag(params, "binary_data", binary_default), std::move(ref)});
  }
  return out;
}

}  // namespace

Tensor binary_tensor(const char* bytes, const Shape& shape, DType dtype, const std::shared_ptr<const void>& owner) {
  if (owner && reinterpret_cast<uintptr_t>(bytes) % 64 == 0)  // in place: the tensor keeps the body alive
    return Tensor::adopt(const_cast<char*>(bytes), shape, dtype, [keep = owner](void*) {});
  Tensor t(shape, dtype);
  std::memcpy(t.data(), bytes, t.nbytes());
  return t;
}

Result<Tensor> shared_memory_input(const SharedMemoryRegistry* shm, const SharedMemoryRef& ref, const Shape& shape,
                                   DType dtype, const std::string& name, std::vector<std::shared_ptr<const void>>& holds) {
  if (!shm) return invalid_argument("input '" + name + "' names shared memory, which this server has off");
  auto span = shm->resolve(ref.region, ref.offset, ref.byte_size);
  if (!span.is_ok()) return invalid_argument("input '" + name + "': " + span.status().message());
  holds.push_back(span->hold);
  // Borrowed, not copied: the batcher gathers its rows straight from the mapping into the batch.
  return Tensor::wrap(TensorView{span->data, shape, dtype});
}

Status bind_output_shared_memory(InferRequest& r, const std::vector<TensorInfo>& model_outputs,
                                 const SharedMemoryRegistry* shm) {
  r.output_shm.clear();  // stays empty (no allocation) unless an output is in shared memory
  for (const RequestedOutput& o : r.outputs) {
    if (!o.shm) continue;
    if (!shm) return invalid_argument("output '" + o.name + "' names shared memory, which this server has off");
    const TensorInfo& info = model_outputs[o.index];
    Shape rows_shape = info.shape;
    if (!rows_shape.empty()) rows_shape[0] = r.rows;
    const bool fixed = !rows_shape.empty() && std::all_of(rows_shape.begin(), rows_shape.end(), [](int64_t d) { return d >= 0; });
    const std::optional<size_t> needed = fixed ? bytes_within(rows_shape, info.dtype, SIZE_MAX) : std::optional<size_t>(0);
    if (!needed || *needed > o.shm->byte_size)
      return invalid_argument("output '" + o.name + "': shared_memory_byte_size is " + std::to_string(o.shm->byte_size) +
                              ", too small for " + shape_to_string(rows_shape) + " of " + v2_datatype(info.dtype) +
                              (needed ? " (" + std::to_string(*needed) + " bytes)" : ""));
    auto span = shm->resolve(o.shm->region, o.shm->offset, o.shm->byte_size);
    if (!span.is_ok()) return invalid_argument("output '" + o.name + "': " + span.status().message());
    r.output_shm.resize(model_outputs.size());
    r.output_shm[o.index] = std::move(*span);
  }
  return Status::ok();
}

Result<size_t> parse_header_length(const std::string& value) {
  size_t n = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, n);
  if (ec != std::errc() || p != end || value.empty())
    return invalid_argument("Inference-Header-Content-Length '" + value + "' is not a byte count");
  return n;
}

Result<InferRequest> decode_infer_request(std::string_view body, std::optional<size_t> header_length,
                                          const std::vector<TensorInfo>& model_inputs,
                                          const std::vector<TensorInfo>& model_outputs,
                                          std::shared_ptr<const void> body_owner, BinaryLayout* layout,
                                          const SharedMemoryRegistry* shm) {
  const size_t json_len = header_length.value_or(body.size());
  if (json_len > body.size())
    return invalid_argument("Inference-Header-Content-Length is " + std::to_string(json_len) + " but the body has " +
                            std::to_string(body.size()) + " bytes");
  json req = json::parse(body.substr(0, json_len), nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded()) return invalid_argument("the request is not valid JSON");
  if (!req.is_object()) return invalid_argument("the request must be a JSON object");
  InferRequest r;
  if (req.contains("id")) {
    if (!req["id"].is_string()) return invalid_argument("'id' must be a string");
    r.id = req["id"].get<std::string>();
  }
  if (!req.contains("inputs") || !req["inputs"].is_array()) return invalid_argument("the request needs an 'inputs' array");
  try {
    BinaryCursor binary{body.substr(json_len), 0, body.size(), std::move(body_owner)};
    std::map<std::string, Tensor> given;
    BinaryLayout seen{true, {}, {}};
    SharedMemoryInputs shm_inputs{shm, {}, {}};
    for (const json& in : req["inputs"]) {
      const size_t before = binary.offset, before_shm = shm_inputs.refs.size();
      TANDEM_ASSIGN_OR_RETURN(auto named, decode_input(in, model_inputs, binary, shm_inputs));
      if (given.count(named.first)) return invalid_argument("input '" + named.first + "' is given twice");
      size_t index = 0;
      while (model_inputs[index].name != named.first) ++index;  // decode_input found it there
      if (binary.offset > before) seen.inputs.emplace_back(index, binary.offset - before);
      else if (shm_inputs.refs.size() > before_shm) seen.shm_inputs.emplace_back(index, shm_inputs.refs.back().second);
      else seen.no_json_data = false;
      given.emplace(std::move(named));
    }
    if (binary.offset != binary.bytes.size())
      return invalid_argument("the body has " + std::to_string(binary.bytes.size()) +
                              " bytes of binary data, the inputs declare " + std::to_string(binary.offset));
    for (const TensorInfo& info : model_inputs) {
      auto it = given.find(info.name);
      if (it == given.end()) return invalid_argument("missing input '" + info.name + "'");
      if (r.inputs.empty()) r.rows = it->second.shape()[0];
      else if (it->second.shape()[0] != r.rows)
        return invalid_argument("input '" + info.name + "' has " + std::to_string(it->second.shape()[0]) +
                                " rows, another input " + std::to_string(r.rows));
      r.inputs.push_back(std::move(it->second));
    }
    TANDEM_ASSIGN_OR_RETURN(r.outputs, decode_outputs(req, model_outputs));
    TANDEM_RETURN_IF_ERROR(bind_output_shared_memory(r, model_outputs, shm));
    r.holds = std::move(shm_inputs.holds);
    if (layout) *layout = std::move(seen);
  } catch (const json::exception& e) {  // a value of the wrong JSON type somewhere (e.g. an int out of range)
    return invalid_argument(std::string("bad request: ") + e.what());
  }
  return r;
}

}  // namespace tandem::serve

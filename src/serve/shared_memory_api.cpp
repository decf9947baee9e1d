#include "serve/shared_memory_api.h"

#include <nlohmann/json.hpp>

#include "serve/infer_response.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

ApiReply error_reply(const std::string& message) { return {400, error_body(message)}; }

ApiReply off_reply() {
  return error_reply("system shared memory is off on this server (tandem serve --shared-memory on turns it on)");
}

}  // namespace

ApiReply shared_memory_register(SharedMemoryRegistry* shm, const std::string& name, std::string_view body) {
  if (!shm) return off_reply();
  const json req = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object()) return error_reply("register '" + name + "': the body is not a JSON object");
  auto key = req.find("key"), size = req.find("byte_size"), offset = req.find("offset");
  if (key == req.end() || !key->is_string() || key->get<std::string>().empty())
    return error_reply("register '" + name + "': 'key' must name a shared memory object (\"/name\")");
  if (size == req.end() || !size->is_number_unsigned())
    return error_reply("register '" + name + "': 'byte_size' must be a byte count");
  if (offset != req.end() && !offset->is_number_unsigned())
    return error_reply("register '" + name + "': 'offset' must be a byte count");
  Status st = shm->register_region(name, key->get<std::string>(), offset != req.end() ? offset->get<size_t>() : 0,
                                   size->get<size_t>());
  if (!st.is_ok()) return error_reply(st.message());
  return {200, "{}"};
}

ApiReply shared_memory_unregister(SharedMemoryRegistry* shm, const std::string& name) {
  if (!shm) return off_reply();
  if (name.empty()) shm->unregister_all();
  else shm->unregister(name);
  return {200, "{}"};
}

ApiReply shared_memory_status(const SharedMemoryRegistry* shm, const std::string& name) {
  if (!shm) return off_reply();
  auto regions = shm->status(name);
  if (!regions.is_ok()) return error_reply(regions.status().message());
  json a = json::array();
  for (const SharedMemoryRegionInfo& r : *regions)
    a.push_back({{"name", r.name}, {"key", r.key}, {"offset", r.offset}, {"byte_size", r.byte_size}});
  return {200, a.dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace tandem::serve

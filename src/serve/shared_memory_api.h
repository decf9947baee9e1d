// The HTTP endpoints of Triton's system shared memory extension, as functions of the request
// (name from the path, body) to the answer (status, JSON body), so that they are tested without a
// socket; server.cpp routes them:
//   GET  /v2/systemsharedmemory[/region/{name}]/status     -> [{"name", "key", "offset", "byte_size"}, ...]
//   POST /v2/systemsharedmemory/region/{name}/register     {"key": "/k", "offset": 0, "byte_size": N}
//   POST /v2/systemsharedmemory[/region/{name}]/unregister (no name: every region)
// Errors are 400 {"error": "<one line>"}. A null registry means the server has shared memory off:
// every endpoint answers 400 saying so.
#pragma once

#include <string>
#include <string_view>

#include "serve/shared_memory.h"

namespace tandem::serve {

struct ApiReply {
  int status = 200;
  std::string body;  // JSON
};

ApiReply shared_memory_register(SharedMemoryRegistry* shm, const std::string& name, std::string_view body);
ApiReply shared_memory_unregister(SharedMemoryRegistry* shm, const std::string& name);  // "": all
ApiReply shared_memory_status(const SharedMemoryRegistry* shm, const std::string& name);  // "": all

}  // namespace tandem::serve

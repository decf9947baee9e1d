// POSIX shared memory for Triton's system shared memory extension
// (docs/protocol/extension_shared_memory.md of triton-inference-server/server): a client creates an
// object (shm_open), registers a region of it under a name, and its inference requests name the
// region, offset and byte size of an input or output instead of carrying the bytes.
//
//   SharedMemoryRegistry shm;                                   // the server's, one per server
//   shm.register_region("in", "/client_in", 0, 1 << 20);        // maps [0, 1 MB) of /dev/shm/client_in
//   Result<SharedMemorySpan> s = shm.resolve("in", 4096, 602112);  // bytes of one request's input
//   shm.unregister("in");                                       // s->data stays valid while s lives
//
// SharedMemoryObject is the other side, a client's (tandem load, tests): it creates, maps and
// unlinks an object of its own.
//
// A mapping lives while the registry or any span resolved from it holds it: unregistering a region
// that requests still read or write unmaps it once the last of them is done. Limits: a client that
// shrinks (ftruncate) an object below a registered region makes the server's next access to the
// lost pages fault, as in Triton; the registry checks the object's size only at registration.
//
// Thread safety: every SharedMemoryRegistry method from any thread. SharedMemoryObject: one thread
// at a time.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tandem/status.h"

namespace tandem::serve {

// `size` bytes at `data`, valid while `hold` lives (it keeps the mapping).
struct SharedMemorySpan {
  char* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> hold;
};

struct SharedMemoryRegionInfo {
  std::string name;  // as registered
  std::string key;   // the object's shm_open name, e.g. "/input_data"
  size_t offset = 0;     // of the region in the object
  size_t byte_size = 0;
};

class SharedMemoryRegistry {
 public:
  explicit SharedMemoryRegistry(size_t max_regions = 4096) : max_regions_(max_regions) {}

  // Opens object `key` read-write and maps [offset, offset + byte_size) of it under `name`.
  // InvalidArgument (one line): an empty name, a name registered already, byte_size 0, no object
  // with that key (or no access to it), a region past the object's end, more than max_regions.
  Status register_region(const std::string& name, const std::string& key, size_t offset, size_t byte_size);
  // Forgets `name` (a name not registered is no error, as in Triton: clients clean up this way).
  void unregister(const std::string& name);
  void unregister_all();
  // Every region (name empty) or the one named; InvalidArgument when `name` is not registered.
  Result<std::vector<SharedMemoryRegionInfo>> status(const std::string& name = "") const;
  // Bytes [offset, offset + byte_size) of region `name`. InvalidArgument: an unknown region, or a
  // range past its end.
  Result<SharedMemorySpan> resolve(const std::string& name, size_t offset, size_t byte_size) const;
  size_t size() const;

 private:
  struct Mapping;
  struct Region {
    SharedMemoryRegionInfo info;
    std::shared_ptr<Mapping> mapping;
  };
  size_t max_regions_;
  mutable std::mutex mu_;  // guards regions_
  std::map<std::string, Region> regions_;
};

// An object this process created (shm_open O_CREAT | O_EXCL), sized with its pages reserved (a full
// /dev/shm is an error here, not a fault later), mapped read-write. The destructor unmaps it and,
// unless unlink() ran already, removes the name.
class SharedMemoryObject {
 public:
  // `key`: "/name". InvalidArgument (one line) when it exists already or cannot be made.
  static Result<std::unique_ptr<SharedMemoryObject>> create(const std::string& key, size_t byte_size);
  ~SharedMemoryObject();
  SharedMemoryObject(const SharedMemoryObject&) = delete;
  SharedMemoryObject& operator=(const SharedMemoryObject&) = delete;

  char* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& key() const { return key_; }
  // Removes the name now (a server that mapped it keeps its mapping); idempotent.
  void unlink();

 private:
  SharedMemoryObject(std::string key, char* data, size_t size) : key_(std::move(key)), data_(data), size_(size) {}
  std::string key_;
  char* data_;
  size_t size_;
  bool linked_ = true;
};

}  // namespace tandem::serve

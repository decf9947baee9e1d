// BufferPool: reusable host buffers (the activations that cross between stages; through
// TensorPool, the outputs handed to callers), so a steady stream of
// batches allocates nothing after warm-up. Memory comes from a backend's allocate_host_memory()
// (pinned for CUDA) when one offers it, else aligned host memory. At most `max_bytes` are held
// (in use or free): free buffers that do not fit make room first.
// Thread safety: acquire/release may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "backends/backend.h"

namespace tandem::runtime {

class BufferPool {
 public:
  // `backends`: the backends of the units in use (borrowed; they outlive the pool). The first
  // that returns memory from allocate_host_memory() provides all buffers.
  explicit BufferPool(std::vector<const Backend*> backends = {}, size_t max_bytes = SIZE_MAX);
  // Buffers from `allocate` (which may return nullptr: acquire() then does too), freed by `free`
  // (a unit's device memory).
  BufferPool(std::function<void*(size_t)> allocate, std::function<void(void*)> free);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of at least `bytes` (64-byte aligned). Give it back with release(). nullptr from a
  // pool with its own allocate function that fails, or when max_bytes would be exceeded.
  void* acquire(size_t bytes);
  void release(void* ptr);

  size_t allocations() const;  // buffers the pool owns (for tests: it stops growing)

 private:
  struct Block {
    void* ptr;
    size_t bytes;
  };
  void* allocate(size_t bytes);
  void free_block(void* ptr);

  std::vector<const Backend*> backends_;
  std::function<void*(size_t)> allocate_fn_;
  std::function<void(void*)> free_fn_;
  const Backend* provider_ = nullptr;  // set at the first allocation
  bool provider_chosen_ = false;
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;            // size -> free buffer
  std::map<void*, size_t> size_of_;              // every buffer the pool owns
  const size_t max_bytes_;
  size_t held_ = 0;                              // bytes of size_of_
};

}  // namespace tandem::runtime

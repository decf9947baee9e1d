// OutputPool: the host memory of the outputs a Runtime hands to its caller. A large output costs
// more on the host than on a GPU (a segmentation model's fp32 logits: 4.2 MB an image): fresh
// pageable memory page-faults as it is first written, and a GPU can only write it through a
// staging copy. So outputs come from recycled buffers — page-locked when a backend in use offers
// host memory (CUDA), which its copy engine writes directly — and a buffer returns here when the
// caller drops the last Tensor sharing it (Tensor::adopt), even after the runtime is gone.
// At most `max_bytes` are held (in use or free); beyond that, outputs are ordinary Tensors, so a
// caller that keeps every output (run_many) gets them at the old cost, never an unbounded pin.
// Thread safety: make() and the release of tensors may happen on any thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "backends/backend.h"

namespace tandem::runtime {

class OutputPool : public std::enable_shared_from_this<OutputPool> {
 public:
  // `backends`: the first that returns memory from allocate_host_memory() provides every buffer
  // (kept alive by the pool); none: 64-byte aligned ordinary memory.
  static std::shared_ptr<OutputPool> create(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes);
  ~OutputPool();
  OutputPool(const OutputPool&) = delete;
  OutputPool& operator=(const OutputPool&) = delete;

  // A tensor of `shape` x `dtype` (contents undefined) in a pooled buffer, or an ordinary one
  // when the pool holds max_bytes already.
  Tensor make(const Shape& shape, DType dtype);

  size_t allocations() const;  // buffers created so far (for tests: it stops growing)
  size_t held_bytes() const;

 private:
  OutputPool(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes);
  void* allocate(size_t bytes);  // mu_ held
  void release(void* p);

  std::vector<std::shared_ptr<const Backend>> backends_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  const Backend* provider_ = nullptr;  // chosen at the first allocation
  bool provider_chosen_ = false;
  std::multimap<size_t, void*> free_;  // size -> free buffer
  std::map<void*, size_t> size_of_;    // every buffer the pool owns
  size_t held_ = 0;
  size_t allocations_ = 0;
};

}  // namespace tandem::runtime

// TensorPool: host tensors in recycled buffers (a BufferPool): the outputs a Runtime hands to
// its caller. A large tensor costs more on the host than on a GPU (a
// segmentation model's fp32 logits: 4.2 MB an image): fresh pageable memory page-faults as it is
// first written, page-locking it takes milliseconds, and a GPU can only reach pageable memory
// through a staging copy. So buffers are page-locked when a backend in use offers host memory
// (CUDA), and one returns to the pool when the last Tensor sharing it is dropped (Tensor::adopt),
// even after the runtime is gone. At most `max_bytes` are held; beyond that, tensors
// are ordinary ones, so a caller that keeps every output (run_many) gets them at the old cost,
// never an unbounded pin.
// Thread safety: make() and the release of tensors may happen on any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "runtime/buffer_pool.h"

namespace tandem::runtime {

class TensorPool : public std::enable_shared_from_this<TensorPool> {
 public:
  // `backends`: the first that returns memory from allocate_host_memory() provides every buffer
  // (kept alive by the pool); none: 64-byte aligned ordinary memory.
  static std::shared_ptr<TensorPool> create(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes);
  TensorPool(const TensorPool&) = delete;
  TensorPool& operator=(const TensorPool&) = delete;

  // A tensor of `shape` x `dtype` (contents undefined) in a pooled buffer, or an ordinary one
  // when the pool holds max_bytes already.
  Tensor make(const Shape& shape, DType dtype);

 private:
  TensorPool(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes);

  std::vector<std::shared_ptr<const Backend>> backends_;  // outlive buffers_ (declared first)
  BufferPool buffers_;
};

}  // namespace tandem::runtime

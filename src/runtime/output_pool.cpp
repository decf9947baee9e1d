#include "runtime/output_pool.h"

#include <cstdlib>

namespace tandem::runtime {

std::shared_ptr<OutputPool> OutputPool::create(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes) {
  return std::shared_ptr<OutputPool>(new OutputPool(std::move(backends), max_bytes));
}

OutputPool::OutputPool(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes)
    : backends_(std::move(backends)), max_bytes_(max_bytes) {}

OutputPool::~OutputPool() {  // every tensor is gone (each holds the pool): all buffers are free
  for (auto& [p, bytes] : size_of_) {
    if (provider_) provider_->free_host_memory(p);
    else std::free(p);
  }
}

void* OutputPool::allocate(size_t bytes) {
  if (!provider_chosen_) {
    provider_chosen_ = true;
    for (const auto& b : backends_)
      if (void* p = b->allocate_host_memory(bytes)) {
        provider_ = b.get();
        return p;
      }
  }
  if (provider_) return provider_->allocate_host_memory(bytes);
  return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
}

Tensor OutputPool::make(const Shape& shape, DType dtype) {
  const size_t bytes = std::max<size_t>(1, static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype));
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Best fit among free buffers no more than twice the size, so small outputs do not hold big ones.
    auto it = free_.lower_bound(bytes);
    if (it != free_.end() && it->first <= 2 * bytes) {
      p = it->second;
      free_.erase(it);
    } else {
      // Free buffers that do not fit make room (outputs of a batch size no longer run).
      for (auto f = free_.begin(); f != free_.end() && held_ + bytes > max_bytes_;) {
        held_ -= f->first;
        size_of_.erase(f->second);
        if (provider_) provider_->free_host_memory(f->second);
        else std::free(f->second);
        f = free_.erase(f);
      }
    }
    if (!p && held_ + bytes <= max_bytes_) {
      p = allocate(bytes);
      if (p) {
        size_of_[p] = bytes;
        held_ += bytes;
        ++allocations_;
      }
    }
  }
  if (!p) return Tensor(shape, dtype);
  std::shared_ptr<OutputPool> self = shared_from_this();
  return Tensor::adopt(p, shape, dtype, [self](void* q) { self->release(q); });
}

void OutputPool::release(void* p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = size_of_.find(p);
  if (it != size_of_.end()) free_.emplace(it->second, p);
}

size_t OutputPool::allocations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return allocations_;
}

size_t OutputPool::held_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

}  // namespace tandem::runtime

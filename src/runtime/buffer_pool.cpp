#include "runtime/buffer_pool.h"

#include <cstdlib>

namespace tandem::runtime {

BufferPool::BufferPool(std::vector<const Backend*> backends, size_t max_bytes)
    : backends_(std::move(backends)), max_bytes_(max_bytes) {}

BufferPool::BufferPool(std::function<void*(size_t)> allocate, std::function<void(void*)> free)
    : allocate_fn_(std::move(allocate)), free_fn_(std::move(free)), max_bytes_(SIZE_MAX) {}

BufferPool::~BufferPool() {
  for (auto& [ptr, bytes] : size_of_) free_block(ptr);
}

void* BufferPool::allocate(size_t bytes) {
  if (allocate_fn_) return allocate_fn_(bytes);
  if (!provider_chosen_) {
    provider_chosen_ = true;
    for (const Backend* b : backends_) {
      if (void* p = b->allocate_host_memory(bytes)) {
        provider_ = b;
        return p;
      }
    }
  }
  if (provider_) return provider_->allocate_host_memory(bytes);
  return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
}

void BufferPool::free_block(void* ptr) {
  if (free_fn_) free_fn_(ptr);
  else if (provider_) provider_->free_host_memory(ptr);
  else std::free(ptr);
}

void* BufferPool::acquire(size_t bytes) {
  if (bytes == 0) bytes = 1;
  std::lock_guard<std::mutex> lock(mu_);
  // Best fit among free buffers no more than twice the size, so small requests do not pin big ones.
  auto it = free_.lower_bound(bytes);
  if (it != free_.end() && it->first <= 2 * bytes) {
    void* p = it->second;
    free_.erase(it);
    return p;
  }
  // Free buffers that do not fit make room (e.g. outputs of a batch size no longer run).
  for (auto f = free_.begin(); f != free_.end() && held_ + bytes > max_bytes_;) {
    held_ -= f->first;
    size_of_.erase(f->second);
    free_block(f->second);
    f = free_.erase(f);
  }
  if (held_ + bytes > max_bytes_) return nullptr;
  void* p = allocate(bytes);
  if (p) {
    size_of_[p] = bytes;
    held_ += bytes;
  }
  return p;
}

void BufferPool::release(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = size_of_.find(ptr);
  if (it != size_of_.end()) free_.emplace(it->second, ptr);
}

size_t BufferPool::allocations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_of_.size();
}

}  // namespace tandem::runtime

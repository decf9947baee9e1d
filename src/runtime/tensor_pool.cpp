#include "runtime/tensor_pool.h"

#include <algorithm>

namespace tandem::runtime {
namespace {

std::vector<const Backend*> raw(const std::vector<std::shared_ptr<const Backend>>& backends) {
  std::vector<const Backend*> r;
  for (const auto& b : backends) r.push_back(b.get());
  return r;
}

}  // namespace

std::shared_ptr<TensorPool> TensorPool::create(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes) {
  return std::shared_ptr<TensorPool>(new TensorPool(std::move(backends), max_bytes));
}

TensorPool::TensorPool(std::vector<std::shared_ptr<const Backend>> backends, size_t max_bytes)
    : backends_(std::move(backends)), buffers_(raw(backends_), max_bytes) {}

Tensor TensorPool::make(const Shape& shape, DType dtype) {
  const size_t bytes = std::max<size_t>(1, static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype));
  void* p = buffers_.acquire(bytes);
  if (!p) return Tensor(shape, dtype);
  std::shared_ptr<TensorPool> self = shared_from_this();
  return Tensor::adopt(p, shape, dtype, [self](void* q) { self->buffers_.release(q); });
}

}  // namespace tandem::runtime

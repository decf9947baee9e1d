// Tensor, Shape and DType: the values that cross module boundaries.
// A Tensor owns host memory (64-byte aligned) through shared storage: copying a
// Tensor shares the buffer (cheap, like shared_ptr); clone() makes a deep copy.
// TensorView borrows memory owned elsewhere (a Tensor, a staging buffer, a slice).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tandem/status.h"

namespace tandem {

enum class DType : uint8_t { kFloat32, kFloat16, kFloat64, kInt64, kInt32, kInt8, kUInt8, kBool };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "float32", "int64", ...

using Shape = std::vector<int64_t>;

// Product of dims (1 for a scalar). Dims must be known (>= 0).
int64_t shape_numel(const Shape& s);
// "[1, 3, 224, 224]"; an unknown dim (< 0) prints as "?".
std::string shape_to_string(const Shape& s);

struct TensorView {
  void* data = nullptr;
  Shape shape;
  DType dtype = DType::kFloat32;

  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  template <typename T> T* as() const { return static_cast<T*>(data); }
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates uninitialised storage for `shape` x `dtype`.
  Tensor(Shape shape, DType dtype);
  static Tensor zeros(Shape shape, DType dtype);
  // Borrows `view`'s memory without owning it: the caller keeps it alive while the Tensor lives.
  static Tensor wrap(const TensorView& view);
  // Takes ownership of `data` (64-byte aligned, room for `shape` x `dtype`): `release(data)` runs
  // when the last Tensor sharing it goes (Engine::make_tensor's page-locked memory).
  static Tensor adopt(void* data, Shape shape, DType dtype, std::function<void(void*)> release);
  // Copies `count` elements of T into a new tensor of the given shape.
  template <typename T>
  static Tensor from_vector(Shape shape, DType dtype, const std::vector<T>& values);

  bool empty() const { return storage_ == nullptr; }
  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  void* data() { return storage_.get(); }
  const void* data() const { return storage_.get(); }
  template <typename T> T* data_as() { return static_cast<T*>(data()); }
  template <typename T> const T* data_as() const { return static_cast<const T*>(data()); }

  TensorView view() const { return TensorView{storage_.get(), shape_, dtype_}; }
  Tensor clone() const;
  // Same storage, new shape with the same element count.
  Result<Tensor> reshaped(Shape shape) const;
  // Reads element i as int64 / double whatever the dtype (for small constant tensors).
  int64_t int_at(int64_t i) const;
  double float_at(int64_t i) const;
  // All elements as int64 (shape tensors, axes).
  std::vector<int64_t> to_int_vector() const;

 private:
  std::shared_ptr<std::byte> storage_;
  Shape shape_;
  DType dtype_ = DType::kFloat32;
};

template <typename T>
Tensor Tensor::from_vector(Shape shape, DType dtype, const std::vector<T>& values) {
  Tensor t(std::move(shape), dtype);
  auto* p = t.data_as<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) p[i] = values[i];
  return t;
}

// IEEE half <-> float conversions (host side).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

}  // namespace tandem

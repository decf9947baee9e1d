#include "tandem/tensor.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace tandem {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kFloat64: return 8;
    case DType::kInt64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt8: return 1;
    case DType::kUInt8: return 1;
    case DType::kBool: return 1;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kInt64: return "int64";
    case DType::kInt32: return "int32";
    case DType::kInt8: return "int8";
    case DType::kUInt8: return "uint8";
    case DType::kBool: return "bool";
  }
  return "?";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_to_string(const Shape& s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) os << ", ";
    if (s[i] < 0) os << '?'; else os << s[i];
  }
  os << ']';
  return os.str();
}

Tensor::Tensor(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {
  size_t bytes = nbytes();
  size_t alloc = ((bytes + 63) / 64) * 64;
  if (alloc == 0) alloc = 64;
  void* p = std::aligned_alloc(64, alloc);
  storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}

Tensor Tensor::zeros(Shape shape, DType dtype) {
  Tensor t(std::move(shape), dtype);
  std::memset(t.data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::wrap(const TensorView& view) {
  Tensor t;
  t.shape_ = view.shape;
  t.dtype_ = view.dtype;
  t.storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(view.data), [](std::byte*) {});
  return t;
}

Tensor Tensor::adopt(void* data, Shape shape, DType dtype, std::function<void(void*)> release) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  t.storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(data),
                                          [release = std::move(release)](std::byte* p) { release(p); });
  return t;
}

Tensor Tensor::clone() const {
  if (empty()) return {};
  Tensor t(shape_, dtype_);
  std::memcpy(t.data(), data(), nbytes());
  return t;
}

Result<Tensor> Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    return invalid_argument("cannot reshape " + shape_to_string(shape_) + " to " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

int64_t Tensor::int_at(int64_t i) const {
  switch (dtype_) {
    case DType::kInt64: return data_as<int64_t>()[i];
    case DType::kInt32: return data_as<int32_t>()[i];
    case DType::kInt8: return data_as<int8_t>()[i];
    case DType::kUInt8: return data_as<uint8_t>()[i];
    case DType::kBool: return data_as<uint8_t>()[i];
    case DType::kFloat32: return static_cast<int64_t>(data_as<float>()[i]);
    case DType::kFloat64: return static_cast<int64_t>(data_as<double>()[i]);
    case DType::kFloat16: return static_cast<int64_t>(half_to_float(data_as<uint16_t>()[i]));
  }
  return 0;
}

double Tensor::float_at(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat32: return data_as<float>()[i];
    case DType::kFloat64: return data_as<double>()[i];
    case DType::kFloat16: return half_to_float(data_as<uint16_t>()[i]);
    default: return static_cast<double>(int_at(i));
  }
}

std::vector<int64_t> Tensor::to_int_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = int_at(i);
  return v;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;
  return static_cast<uint16_t>(half);
}

float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      exp = 127 - 15 + 1;
      while (!(mant & 0x400u)) { mant <<= 1; --exp; }
      mant &= 0x3ffu;
      x = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

}  // namespace tandem

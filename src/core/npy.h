// NumPy .npy files <-> Tensor.
//
// Reads format versions 1.0, 2.0 and 3.0; little-endian (or byte-sized) float32, float16,
// float64, int64, int32, int8, uint8 and bool in C order. Anything else (Fortran order, big
// endian, object or other dtypes, a bad magic or header, truncated data) is refused with one
// line naming the file and the problem. Writes version 1.0 (2.0 when the header needs it), C order.
//
// Thread safety: free functions with no shared state.
#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem {

// Reads a whole .npy file into a new tensor. A 0-d array gives a tensor of shape [].
Result<Tensor> read_npy(const std::string& path);

// Reads one .npy image of `size` bytes from `in` (e.g. an entry of a .npz); `path` names it in errors.
Result<Tensor> read_npy_stream(std::istream& in, uint64_t size, const std::string& path);

// The .npy header (magic, version, length, dict padded to 64 bytes) that precedes `t`'s data.
std::string npy_header(const Tensor& t);

// Writes `t` (which must not be empty) to `path`, replacing the file.
Status write_npy(const std::string& path, const Tensor& t);

// The NumPy descr of a dtype: "<f4", "|u1", "|b1", ...
const char* npy_descr(DType t);

}  // namespace tandem

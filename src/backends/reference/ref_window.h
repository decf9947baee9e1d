// Window geometry shared by the reference Conv, ConvTranspose and pooling kernels.
// N-d windows with 1 to 3 spatial dims are lifted to 3 spatial dims (leading dims of size 1,
// kernel 1, stride 1, no padding), so each kernel is written once, as plain nested loops.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::reference {

constexpr size_t kMaxSpatial = 3;

struct Window3 {
  std::array<int64_t, 3> in{1, 1, 1};      // input spatial dims
  std::array<int64_t, 3> out{1, 1, 1};     // output spatial dims
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
};

// Builds the lifted window from N-d (N = in_spatial.size() <= 3) attributes; empty strides /
// dilations mean 1, empty pads mean 0.
Result<Window3> make_window3(const Shape& in_spatial, const Shape& out_spatial, const std::vector<int64_t>& kernel,
                             const std::vector<int64_t>& strides, const std::vector<int64_t>& pads,
                             const std::vector<int64_t>& dilations);

}  // namespace tandem::reference

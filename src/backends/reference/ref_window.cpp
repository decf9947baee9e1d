#include "backends/reference/ref_window.h"

#include <string>

namespace tandem::reference {

Result<Window3> make_window3(const Shape& in_spatial, const Shape& out_spatial, const std::vector<int64_t>& kernel,
                             const std::vector<int64_t>& strides, const std::vector<int64_t>& pads,
                             const std::vector<int64_t>& dilations) {
  const size_t n = in_spatial.size();
  if (n < 1 || n > kMaxSpatial)
    return unsupported("reference kernels handle 1 to 3 spatial dims, not " + std::to_string(n));
  if (out_spatial.size() != n || kernel.size() != n || (!strides.empty() && strides.size() != n) ||
      (!dilations.empty() && dilations.size() != n) || (!pads.empty() && pads.size() != 2 * n))
    return invalid_argument("window attributes do not match " + std::to_string(n) + " spatial dims");
  Window3 w;
  const size_t lead = kMaxSpatial - n;
  for (size_t i = 0; i < n; ++i) {
    w.in[lead + i] = in_spatial[i];
    w.out[lead + i] = out_spatial[i];
    w.kernel[lead + i] = kernel[i];
    if (!strides.empty()) w.stride[lead + i] = strides[i];
    if (!dilations.empty()) w.dilation[lead + i] = dilations[i];
    if (!pads.empty()) {
      w.pad_begin[lead + i] = pads[i];
      w.pad_end[lead + i] = pads[i + n];
    }
  }
  return w;
}

}  // namespace tandem::reference

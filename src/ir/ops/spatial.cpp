#include "ir/ops/spatial.h"

#include <algorithm>

namespace tandem::ir {

Status resolve_window(const Shape& in, const std::vector<int64_t>& kernel, const std::string& auto_pad,
                      bool ceil_mode, std::vector<int64_t>& strides, std::vector<int64_t>& pads,
                      std::vector<int64_t>& dilations, Shape& out) {
  const size_t n = in.size();
  if (kernel.size() != n)
    return invalid_argument("kernel_shape has " + std::to_string(kernel.size()) + " dims, input has " +
                            std::to_string(n) + " spatial dims");
  if (strides.empty()) strides.assign(n, 1);
  if (dilations.empty()) dilations.assign(n, 1);
  if (pads.empty()) pads.assign(2 * n, 0);
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n)
    return invalid_argument("strides/dilations/pads do not match the number of spatial dims");
  for (size_t i = 0; i < n; ++i) {
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1)
      return invalid_argument("kernel, strides and dilations must be >= 1");
    if (pads[i] < 0 || pads[i + n] < 0) return invalid_argument("pads must be >= 0");
  }
  out.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (in[i] < 0) continue;
    const int64_t eff_k = (kernel[i] - 1) * dilations[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t o = (in[i] + strides[i] - 1) / strides[i];
      const int64_t total = std::max<int64_t>(0, (o - 1) * strides[i] + eff_k - in[i]);
      const int64_t small = total / 2, big = total - small;
      pads[i] = auto_pad == "SAME_UPPER" ? small : big;
      pads[i + n] = auto_pad == "SAME_UPPER" ? big : small;
    } else if (auto_pad == "VALID") {
      pads[i] = pads[i + n] = 0;
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      return invalid_argument("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    }
    const int64_t span = in[i] + pads[i] + pads[i + n] - eff_k;
    if (span < 0)
      return invalid_argument("kernel (" + std::to_string(eff_k) + ") is larger than the padded input (" +
                              std::to_string(in[i] + pads[i] + pads[i + n]) + ")");
    int64_t o = ceil_mode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
    // ceil_mode: the last window must start inside the input or left padding.
    if (ceil_mode && (o - 1) * strides[i] >= in[i] + pads[i]) --o;
    out[i] = o;
  }
  return Status::ok();
}

}  // namespace tandem::ir

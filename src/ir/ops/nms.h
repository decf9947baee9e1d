// Typed attributes of NonMaxSuppression. Parse and shape inference are in nms.cpp.
#pragma once

namespace tandem::ir {

struct NmsAttrs {
  bool center_point_box = false;  // boxes as [x_center, y_center, w, h] (else [y1, x1, y2, x2])
};

}  // namespace tandem::ir

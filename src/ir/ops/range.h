// Typed attributes of Range (it has none). Parse and shape inference are in range.cpp.
#pragma once

namespace tandem::ir {

struct RangeAttrs {};

}  // namespace tandem::ir

// Typed attributes of Where (no attributes). Parse and shape inference are in where.cpp.
#pragma once

namespace tandem::ir {

struct WhereAttrs {};

}  // namespace tandem::ir

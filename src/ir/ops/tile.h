// Typed attributes of Tile. Parse and shape inference are in tile.cpp.
#pragma once

#include <cstdint>
#include <vector>

namespace tandem::ir {

struct TileAttrs {
  std::vector<int64_t> repeats;  // one per input dim, from the constant input 1
};

}  // namespace tandem::ir

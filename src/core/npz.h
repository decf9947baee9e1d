// NumPy .npz archives <-> named tensors, as numpy.savez writes them: a zip of uncompressed
// "<name>.npy" entries (libzip). Reading also accepts compressed entries (numpy.savez_compressed).
//
// Thread safety: free functions with no shared state.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Writes every tensor as entry "<name>.npy", in order, replacing the file. Names must be unique
// and non-empty; no tensor may be empty.
Status write_npz(const std::string& path, const NamedTensors& arrays);

// Reads every "<name>.npy" entry, in archive order.
Result<NamedTensors> read_npz(const std::string& path);

}  // namespace tandem

// Host side of a segment's inputs: fp32 host tensors are converted (fp16 units) or copied into
// pinned staging by several threads, each enqueueing the host->device copy of its chunk as soon
// as the chunk is ready, so that the PCIe transfer overlaps the conversion of later chunks.
#pragma once

#include <cstddef>

#include "backends/cuda/cuda_check.h"
#include "tandem/status.h"

namespace tandem::cuda {

// Converts `count` floats at `src` into `pinned` (fp16 when `to_half`, else fp32) and enqueues
// cudaMemcpyAsync(device <- pinned) on `stream`, chunk by chunk. Returns when every chunk is
// converted and enqueued (not transferred). Uses up to `max_threads` threads (small inputs: the
// calling thread alone). Rounding fp32 -> fp16 is round-to-nearest-even, like the device's.
Status upload_floats(const float* src, size_t count, bool to_half, void* pinned, void* device, int device_ordinal,
                     cudaStream_t stream, int max_threads);

// Copies `bytes` from `src` to `dst` (host memory) with up to `max_threads` threads.
void parallel_memcpy(void* dst, const void* src, size_t bytes, int max_threads);

}  // namespace tandem::cuda

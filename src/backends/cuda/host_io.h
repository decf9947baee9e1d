// Host side of a segment's inputs and outputs. Inputs travel as the graph's fp32 bytes (the
// device converts them to the unit's storage). Page-locked or device memory is copied by the
// copy engine directly; pageable memory is staged into pinned memory by several threads, each
// enqueueing the host->device copy of its chunk as soon as the chunk is staged, so the PCIe
// transfer overlaps the staging of later chunks.
#pragma once

#include <cstddef>

#include "backends/cuda/cuda_check.h"
#include "tandem/status.h"

namespace tandem::cuda {

// Whether the copy engines can read or write `p` directly: page-locked host memory (ours, the
// runtime's staging buffers, Engine::make_tensor's) or device memory of any device (UVA).
bool is_dma_ready(const void* p);

// Copies `bytes` from pageable `src` into `pinned` and enqueues cudaMemcpyAsync(device <- pinned)
// on `stream`, chunk by chunk. Returns when every chunk is staged and enqueued (not yet
// transferred). Uses up to `max_threads` threads (small copies: the calling thread alone).
Status staged_upload(const void* src, size_t bytes, void* pinned, void* device, int device_ordinal, cudaStream_t stream,
                     int max_threads);

// Copies `bytes` from `src` to `dst` (host memory) with up to `max_threads` threads.
void parallel_memcpy(void* dst, const void* src, size_t bytes, int max_threads);

}  // namespace tandem::cuda

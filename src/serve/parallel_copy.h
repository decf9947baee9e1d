// CopyCrew: a few threads that share out a list of memcpy's with the calling thread, for the
// batcher's gather of request rows into a batch buffer (38 MB for 64 MobileNetV2 images at 224x224
// fp32: ~4 ms on one core, longer than the GPU takes to run the batch).
//
// Thread safety: copy() from one thread at a time (the batcher's batch thread).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::serve {

struct CopyJob {
  void* dst;
  const void* src;
  size_t bytes;
};

class CopyCrew {
 public:
  // `helpers` threads beside the caller (0: copy() runs everything on the caller). Jobs whose
  // total is under `min_split_bytes` are not shared out (a hand-off costs more than it saves).
  CopyCrew(int helpers, size_t min_split_bytes);
  ~CopyCrew();
  CopyCrew(const CopyCrew&) = delete;
  CopyCrew& operator=(const CopyCrew&) = delete;

  // Does every job; returns when all are done. Jobs may be split at any byte.
  void copy(const std::vector<CopyJob>& jobs);

 private:
  void helper_loop(size_t index);

  size_t min_split_bytes_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  std::vector<std::vector<CopyJob>> shares_;  // per helper, for the current round
  uint64_t round_ = 0;
  size_t pending_ = 0;  // helpers not done with the current round
  bool stop_ = false;
};

}  // namespace tandem::serve

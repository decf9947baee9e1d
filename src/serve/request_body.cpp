#include "serve/request_body.h"

#include <cstdlib>
#include <cstring>

namespace tandem::serve {

RequestBody::RequestBody(size_t declared, size_t header_length) {
  if (declared == 0) return;
  pad_ = (64 - header_length % 64) % 64;
  const size_t bytes = (pad_ + declared + 63) / 64 * 64;
  if (char* p = static_cast<char*>(std::aligned_alloc(64, bytes))) {
    mem_ = std::shared_ptr<char>(p, [](char* q) { std::free(q); });
    capacity_ = declared;
  }
}

void RequestBody::append(const char* data, size_t n) {
  if (mem_ && size_ + n <= capacity_) {
    std::memcpy(mem_.get() + pad_ + size_, data, n);
    size_ += n;
    return;
  }
  if (mem_) {  // more than declared: go on as a string
    grown_.assign(mem_.get() + pad_, size_);
    mem_.reset();
  }
  grown_.append(data, n);
}

}  // namespace tandem::serve

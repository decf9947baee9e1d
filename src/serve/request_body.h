// RequestBody: an HTTP request body read piece by piece into one buffer, laid out so that the binary
// part of a KServe v2 request (after the JSON header of Inference-Header-Content-Length bytes)
// starts 64-byte aligned: decode_infer_request() then uses the first input in place instead of
// copying it (infer_request.h). With no declared length it grows like a string.
//
// Thread safety: one thread at a time. owner() may outlive the RequestBody.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tandem::serve {

class RequestBody {
 public:
  // `declared`: the Content-Length (0: unknown); `header_length`: the Inference-Header-Content-Length
  // (0: none). Allocates the buffer when `declared` is known.
  RequestBody(size_t declared, size_t header_length);

  void append(const char* data, size_t n);
  size_t size() const { return mem_ ? size_ : grown_.size(); }
  std::string_view view() const { return mem_ ? std::string_view(mem_.get() + pad_, size_) : std::string_view(grown_); }
  // Owns view()'s memory when it is the aligned buffer; null otherwise.
  std::shared_ptr<const void> owner() const { return mem_; }

 private:
  std::shared_ptr<char> mem_;
  size_t pad_ = 0, size_ = 0, capacity_ = 0;
  std::string grown_;  // without a declared length, or when more arrives than declared
};

}  // namespace tandem::serve

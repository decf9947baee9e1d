#include "backends/cuda/choice_cache.h"

#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cctype>
#include <map>
#include <mutex>

#include "backends/cuda/cuda_context.h"
#include "core/cache_file.h"

namespace tandem::cuda {
namespace {

// Bump when a key or a value changes meaning (a plan name, the key's fields), or when a kind of
// conv gains candidate plans (v2: grouped convs got im2col-lt-g), so that old choices are re-timed.
constexpr int kFormat = 2;

struct Choices {
  std::mutex mu;
  std::map<std::string, std::string> memo;  // "<device>|<key>" -> value
  std::map<std::pair<std::string, int>, std::string> file;  // (folder, device) -> its cache file ("" when none)
};

Choices& choices() {
  static Choices c;
  return c;
}

// The cache file of `device`: one per GPU model and library versions, whose choices may differ.
std::string file_for(const std::string& dir, int device) {
  cudaDeviceProp prop{};
  if (dir.empty() || cudaGetDeviceProperties(&prop, device) != cudaSuccess) return "";
  std::string name = prop.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return dir + "/cuda-choices-v" + std::to_string(kFormat) + "-" + name + "-sm" + std::to_string(prop.major) +
         std::to_string(prop.minor) + "-cudnn" + std::to_string(cudnnGetVersion()) + "-cublaslt" +
         std::to_string(cublasLtGetVersion()) + ".tsv";
}

std::string memo_key(int device, const std::string& key) { return std::to_string(device) + "|" + key; }

// The current device, its file in `dir` loaded into the memo on first use; `*file` its path ("" when
// none is kept). Holds c.mu.
int current_device(Choices& c, const std::string& dir, std::string* file) {
  int device = -1;
  cudaGetDevice(&device);
  auto [it, added] = c.file.try_emplace({dir, device});
  if (added) {
    it->second = file_for(dir, device);
    if (!it->second.empty())
      for (auto& [key, value] : load_cache_file(it->second)) c.memo.emplace(memo_key(device, key), value);
  }
  *file = it->second;
  return device;
}

}  // namespace

std::optional<std::string> remembered_choice(const BackendDiagnostics& diagnostics, const std::string& key) {
  if (!cuda_feature(diagnostics, "choice-cache")) return std::nullopt;
  Choices& c = choices();
  std::lock_guard<std::mutex> lock(c.mu);
  std::string file;
  const int device = current_device(c, diagnostics.cache_dir, &file);
  auto it = c.memo.find(memo_key(device, key));
  if (it == c.memo.end()) return std::nullopt;
  return it->second;
}

void remember_choice(const BackendDiagnostics& diagnostics, const std::string& key, const std::string& value) {
  if (!cuda_feature(diagnostics, "choice-cache")) return;
  Choices& c = choices();
  std::lock_guard<std::mutex> lock(c.mu);
  std::string file;
  const int device = current_device(c, diagnostics.cache_dir, &file);
  // The first choice stays: every engine after it agrees.
  if (c.memo.emplace(memo_key(device, key), value).second && !file.empty())
    append_cache_entry(file, key, value);  // best effort: unwritable means in memory only
}

}  // namespace tandem::cuda

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

// Bump when a key or a value changes meaning (a plan name, the key's fields).
constexpr int kFormat = 1;

struct Choices {
  std::mutex mu;
  std::map<std::string, std::string> memo;  // "<device>|<key>" -> value
  std::map<int, std::string> file;          // device -> its cache file ("" when none is kept)
};

Choices& choices() {
  static Choices c;
  return c;
}

// The cache file of `device`: one per GPU model and library versions, whose choices may differ.
std::string file_for(int device) {
  const std::string dir = cache_dir();
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

// The current device, its file's entries loaded into the memo on first use. Holds c.mu.
int current_device(Choices& c) {
  int device = -1;
  cudaGetDevice(&device);
  if (c.file.count(device)) return device;
  const std::string path = file_for(device);
  c.file[device] = path;
  if (!path.empty())
    for (auto& [key, value] : load_cache_file(path)) c.memo.emplace(memo_key(device, key), value);
  return device;
}

}  // namespace

std::optional<std::string> remembered_choice(const BackendDiagnostics& diagnostics, const std::string& key) {
  if (!cuda_feature(diagnostics, "choice-cache")) return std::nullopt;
  Choices& c = choices();
  std::lock_guard<std::mutex> lock(c.mu);
  const int device = current_device(c);
  auto it = c.memo.find(memo_key(device, key));
  if (it == c.memo.end()) return std::nullopt;
  return it->second;
}

void remember_choice(const BackendDiagnostics& diagnostics, const std::string& key, const std::string& value) {
  if (!cuda_feature(diagnostics, "choice-cache")) return;
  Choices& c = choices();
  std::lock_guard<std::mutex> lock(c.mu);
  const int device = current_device(c);
  // The first choice stays: every engine after it agrees.
  if (c.memo.emplace(memo_key(device, key), value).second && !c.file[device].empty())
    append_cache_entry(c.file[device], key, value);  // best effort: unwritable means in memory only
}

}  // namespace tandem::cuda

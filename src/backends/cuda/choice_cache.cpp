#include "backends/cuda/choice_cache.h"

#include <cuda_runtime.h>

#include <map>
#include <mutex>

#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {
namespace {

std::mutex g_mu;
std::map<std::string, std::string>& choices() {
  static std::map<std::string, std::string> m;
  return m;
}

// The key on the current device: GPUs of different kinds in one machine choose differently.
std::string device_key(const std::string& key) {
  int device = -1;
  cudaGetDevice(&device);
  return std::to_string(device) + "|" + key;
}

}  // namespace

std::optional<std::string> remembered_choice(const std::string& key) {
  if (!cuda_feature("choice-cache")) return std::nullopt;
  const std::string k = device_key(key);
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = choices().find(k);
  if (it == choices().end()) return std::nullopt;
  return it->second;
}

void remember_choice(const std::string& key, const std::string& value) {
  if (!cuda_feature("choice-cache")) return;
  const std::string k = device_key(key);
  std::lock_guard<std::mutex> lock(g_mu);
  choices().emplace(k, value);  // the first choice stays: every engine after it agrees
}

}  // namespace tandem::cuda

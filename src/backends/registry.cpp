#include "backends/backend.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"
#ifdef TANDEM_WITH_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace tandem {

Result<std::unique_ptr<Backend>> make_backend(std::string_view kind) {
  if (kind == "reference") return make_reference_backend();
  if (kind == "cpu") return make_cpu_backend();
#ifdef TANDEM_WITH_CUDA
  if (kind == "cuda") return make_cuda_backend();
#endif
  if (kind == "cuda") return unavailable("this build of tandem has no CUDA backend (nvcc was not found at build time)");
  return not_found("unknown backend '" + std::string(kind) + "' (available: reference, cpu" +
#ifdef TANDEM_WITH_CUDA
                   std::string(", cuda") +
#endif
                   ")");
}

std::vector<std::string> available_backends() {
  std::vector<std::string> v{"reference", "cpu"};
#ifdef TANDEM_WITH_CUDA
  v.push_back("cuda");
#endif
  return v;
}

}  // namespace tandem

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

Result<std::vector<std::string_view>> backend_op_types(std::string_view kind) {
  if (kind == "reference") return reference_op_types();
  if (kind == "cpu") return cpu_op_types();
#ifdef TANDEM_WITH_CUDA
  if (kind == "cuda") return cuda_op_types();
#endif
  return not_found("backend '" + std::string(kind) + "' is not in this build");
}

Status backend_supports(std::string_view kind, const ir::Graph& graph, const ir::Node& node) {
  if (kind == "reference") return reference_supports(graph, node);
  if (kind == "cpu") return cpu_supports(graph, node);
#ifdef TANDEM_WITH_CUDA
  if (kind == "cuda") return cuda_supports(graph, node);
#endif
  return not_found("backend '" + std::string(kind) + "' is not in this build");
}

std::vector<std::string> available_backends() {
  std::vector<std::string> v{"reference", "cpu"};
#ifdef TANDEM_WITH_CUDA
  v.push_back("cuda");
#endif
  return v;
}

}  // namespace tandem

#include "backends/cpu/cpu_backend.h"

namespace tandem {
namespace {

// Placeholder until the oneDNN kernels land: claims nothing.
class CpuBackend final : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }
  Status supports(const ir::Graph&, const ir::Node& node) const override {
    return unsupported("cpu backend has no kernel for " + node.op_type);
  }
  Result<std::unique_ptr<Executable>> compile(const ir::Graph&, const UnitOptions&) const override {
    return unsupported("cpu backend is not built yet");
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> make_cpu_backend() { return std::unique_ptr<Backend>(new CpuBackend()); }

}  // namespace tandem

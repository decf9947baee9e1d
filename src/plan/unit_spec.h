// Units: the things that execute (a CPU core group, a GPU, the reference interpreter), parsed from
// the `--units` spec and bound to a Backend instance.
//
// Spec grammar: comma-separated units, options after '/':
//   unit    := kind [':' where] ('/' option)*
//   kind    := cpu | reference | cuda | <any registered backend>
//   where   := cores for host kinds (cpu, reference): "0-7", "0,2,4", "0-3,8-11"
//              device ordinal for device kinds (cuda): "0"
//   option  := threads=N | no=Op+Op+... | max_batch=N | fp16 | fp32 | tf32
//              (tf32: fp32 data, convolutions and matrix products on TF32 tensor cores; CUDA only)
// A comma-separated item starting with a digit continues the previous unit's core list
// ("cpu:0,2,4,cuda:0" is two units). Examples: "cpu", "cpu:0-7/threads=8", "cuda:0/fp16",
// "cpu:0-7/no=Gemm+MatMul+Softmax" (a unit that, like a DLA, cannot run those ops).
//
// Display names are canonical so that a plan can name a unit however the user wrote it:
// cores print as ranges "a-b" joined by ',' (a single core prints "3-3"), devices as "cuda:0",
// a kind with no ':' part prints bare ("cpu"). Options are not part of the name.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "ir/graph.h"
#include "tandem/status.h"

namespace tandem::plan {

// A parsed unit, before a backend is attached.
struct UnitSpec {
  std::string name;     // canonical display name: "cpu:0-7", "cuda:0", "reference"
  std::string kind;     // backend kind: "cpu", "reference", "cuda"
  UnitOptions options;  // cores, threads, device, precision, excluded ops
  std::string text;     // the spec text this unit came from (for messages)
};

// Parses a unit spec. `num_cores` is how many cores this machine has (cores 0..num_cores-1);
// 0 means ask the OS. Errors name the unit and the problem: unknown option, bad core list,
// cores that do not exist, unknown op in no=..., duplicate units.
Result<std::vector<UnitSpec>> parse_unit_spec(std::string_view spec, int num_cores = 0);

// Canonical name of one unit written as in a spec ("cpu:0,1" -> "cpu:0-1"), options ignored.
// Used to look up units named in a plan.
Result<std::string> canonical_unit_name(std::string_view unit_text, int num_cores = 0);

// Number of cores the OS lets this process use.
int machine_core_count();

// A unit bound to its backend. Cheap to copy (the backend is shared).
// Thread safety: const methods are safe from any thread (Backend::supports/compile are).
struct Unit {
  UnitSpec spec;
  std::shared_ptr<const Backend> backend;

  const std::string& name() const { return spec.name; }
  const UnitOptions& options() const { return spec.options; }
  // The backend's claim minus the unit's excluded ops; the error names the op and the unit.
  Status supports(const ir::Graph& graph, const ir::Node& node) const;
  // First node of [begin, end) this unit cannot run, with the reason naming node, op and unit.
  Status supports_range(const ir::Graph& graph, int begin, int end) const;
  // Makes the calling thread this unit's: pinned to its cores (a core group) and bound by its
  // backend (thread counts). For the runtime's workers and for the planner's timing threads.
  Status bind_this_thread() const;
};

// Pins the calling thread to `cpus` (nothing when empty); an error when the kernel refuses.
Status pin_this_thread(const std::vector<int>& cpus);

// An uninitialised host tensor in the fastest host memory of the first of `units` whose backend
// has some (page-locked for a GPU, which its copy engines reach directly), else ordinary memory.
// For inputs and staging buffers of runs on those units (Engine::make_tensor, the timers).
Tensor host_tensor(std::span<const Unit> units, Shape shape, DType dtype);

// The cores of this process's affinity mask that none of `units` is pinned to, where a thread of
// an unpinned unit (a GPU's worker) belongs so that it does not take a core from a CPU unit's
// team; empty when none of them is pinned or the mask cannot be read.
std::vector<int> unclaimed_cores(const std::vector<const Unit*>& units);

// Parses the spec and creates each unit's backend (errors: unknown backend, no CUDA in this build);
// every unit gets `diagnostics`.
Result<std::vector<Unit>> make_units(std::string_view spec, int num_cores = 0,
                                     const BackendDiagnostics& diagnostics = {});

// Index of the unit named `name` (any spelling canonical_unit_name accepts), or an error listing
// the units there are.
Result<size_t> find_unit(const std::vector<Unit>& units, std::string_view name);

}  // namespace tandem::plan

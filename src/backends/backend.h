// The Backend interface: the code behind a kind of unit (reference, cpu, cuda, ...).
// Life cycle (XNNPACK-style): claim nodes (supports) -> compile a specialised segment into an
// Executable (weights packed, kernels chosen, workspace sized) -> run many times.
// A backend is one folder; vendor headers appear only inside it.
#pragma once

#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "tandem/diagnostics.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem {

// kTF32: fp32 data and layout, but convolutions and matrix products may round their inputs to
// TF32 on tensor cores (like PyTorch's default for convolutions); accuracy as fp16.
enum class Precision { kFloat32, kFloat16, kTF32 };

// Options of one unit, parsed from the unit spec ("cpu:0-7/threads=8/no=Gemm+MatMul").
struct UnitOptions {
  int threads = 0;                       // 0: the backend's default (all cores it is given)
  std::vector<int> cpus;                 // cores to pin the unit's worker to; empty: no pinning
  bool pin = false;                      // cpu: each OpenMP thread of the unit on a core of its own
  int device = 0;                        // device ordinal (cuda:N)
  Precision precision = Precision::kFloat32;
  std::set<std::string> excluded_ops;    // op types this unit must refuse (like a DLA)
  int max_batch = 0;                     // rows per executable run at most (0: the backend's default)
  BackendDiagnostics diagnostics;        // logs, forced choices, feature trials (tandem/diagnostics.h)
};

// One compiled segment at fixed input shapes.
// Thread safety: not thread-safe; one unit's worker thread calls run() at a time.
class Executable {
 public:
  virtual ~Executable() = default;
  Executable() = default;
  Executable(const Executable&) = delete;
  Executable& operator=(const Executable&) = delete;

  // Runs the segment. `inputs` / `outputs` follow the segment graph's inputs / outputs order, are
  // host memory in the graph's dtype and logical (NCHW) layout, and are owned by the caller.
  // Synchronous: outputs are complete when it returns. Must not reshape; may not allocate after
  // the first call.
  virtual Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) = 0;

  // (optional; default: run(), synchronous) Starts the segment and may return before its outputs
  // are complete (a GPU unit enqueues the input copy, its graph and the output copy on streams).
  // Up to Backend::max_runs_in_flight() runs (of this executable and the unit's others together)
  // may be outstanding, so that one run's transfers overlap another's compute. The caller keeps
  // each run's `inputs`/`outputs` alive and untouched until the wait() that completes it returns.
  // `inputs`/`outputs` may be in memory from Backend::allocate_host_memory() (the backend's copy
  // engines then reach them directly) or ordinary host memory. Same thread as run().
  virtual Status run_async(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
    return run(inputs, outputs);
  }
  // (optional; default: nothing to wait for) Blocks until the oldest outstanding run_async() of
  // this executable has completed; returns its error, if any.
  virtual Status wait() { return Status::ok(); }

  // (optional; default: unsupported) For a segment with data-dependent shapes (open dims left by
  // specialisation, see Backend::takes_dynamic_shapes): runs it and returns its outputs, which
  // only the data sizes (NonMaxSuppression's row count). Synchronous; host memory.
  virtual Result<std::vector<Tensor>> run_dynamic(std::span<const TensorView> /*inputs*/) {
    return unsupported("this executable has no data-dependent outputs");
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  virtual std::string_view name() const = 0;

  // (optional; default: false) Whether supports() may claim nodes whose tensors have open dims
  // after specialisation (data-dependent shapes) and compile() segments holding them, whose
  // executables then run through run_dynamic(). The reference interpreter does.
  virtual bool takes_dynamic_shapes() const { return false; }

  // Claim: can this backend run `node` of the specialised `graph` (shapes known)?
  // Ok, or kUnsupported with the reason ("Resize mode 'cubic'"). Must agree with compile():
  // both come from one op table per backend.
  virtual Status supports(const ir::Graph& graph, const ir::Node& node) const = 0;

  // (optional; default: "") For a node supports() accepts, how it runs when the user should know,
  // e.g. the cpu backend's "runs the reference kernel on the host (cpu backend has no kernel for
  // Gather)". Shown by `tandem info`.
  virtual std::string claim_note(const ir::Graph& /*graph*/, const ir::Node& /*node*/) const { return ""; }

  // Compiles a specialised segment (every shape known, every node claimed). Safe to call from
  // any thread; the result is run on the unit's worker thread.
  virtual Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions& options) const = 0;

  // (optional; default: 0 = no limit) The most rows one executable should run at once; the
  // runtime runs a larger slice in chunks of this size. UnitOptions::max_batch overrides it.
  virtual int max_batch() const { return 0; }

  // (optional; default: 1) How many run_async() calls a unit's worker may have outstanding at
  // once (across the unit's executables). Above 1 only when run_async() really overlaps.
  virtual int max_runs_in_flight() const { return 1; }

  // (optional; default: nothing) Prepares the calling thread to run this unit's executables:
  // thread count, CPU affinity, device selection. Called once on the unit's worker thread.
  virtual Status bind_thread(const UnitOptions& /*options*/) const { return Status::ok(); }

  // (optional; default: nullptr = the runtime uses ordinary host memory) Host memory this backend
  // copies to and from fastest (CUDA: pinned, portable across devices). The runtime allocates its
  // reusable staging buffers (activations between stages) here when a unit of this backend takes
  // part in a plan, and frees them with free_host_memory(). Safe to call from any thread.
  virtual void* allocate_host_memory(size_t /*bytes*/) const { return nullptr; }
  virtual void free_host_memory(void* /*ptr*/) const {}

  // (optional; default: nullptr = none) Memory on the device of the unit with `options`. The
  // runtime keeps the activations between two stages there when every unit that writes them and
  // the one unit that reads them are of this backend (a GPU front gathering onto a GPU tail): the
  // executables then take inputs/outputs in device memory of any device of this backend and copy
  // device to device (peer to peer where the devices allow), never through the host. Safe to call
  // from any thread; does not change the calling thread's current device.
  virtual void* allocate_device_memory(const UnitOptions& /*options*/, size_t /*bytes*/) const { return nullptr; }
  virtual void free_device_memory(const UnitOptions& /*options*/, void* /*ptr*/) const {}
};

// Registry of backend kinds compiled into this build: "reference", "cpu", "cuda" (when built).
Result<std::unique_ptr<Backend>> make_backend(std::string_view kind);
std::vector<std::string> available_backends();
// The op types in the op table of a backend kind compiled into this build, in table order
// (kNotFound for another kind). Static data: needs no device, unlike make_backend("cuda").
Result<std::vector<std::string_view>> backend_op_types(std::string_view kind);
// The claim of `node` by a backend kind of this build, as its Backend::supports() answers,
// without making the backend (needs no device); kNotFound for another kind.
Status backend_supports(std::string_view kind, const ir::Graph& graph, const ir::Node& node);

}  // namespace tandem

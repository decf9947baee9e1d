#include "backends/cpu/cpu_backend.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <dnnl.hpp>

#include "backends/cpu/concat_norm.h"
#include "backends/cpu/conv_residual.h"
#include "backends/cpu/cpu_op.h"
#include "backends/cpu/timed_choice.h"

namespace tandem {
namespace {

using cpu::CompiledSegment;
using cpu::SegmentBuilder;

Status node_error(const ir::Node& node, const Status& st) {
  return st.with_context("node '" + node.name + "' (" + node.op_type + ")");
}

int default_threads(const UnitOptions& options) {
  if (options.threads > 0) return options.threads;
  if (!options.cpus.empty()) return static_cast<int>(options.cpus.size());
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

// Pins OpenMP thread i of the calling thread's team to the i-th core of `cpus` (empty: of the
// process's affinity mask), so that threads stop migrating between cores. libgomp keeps a
// thread's team for its later parallel regions of the same size: the pinning lasts.
Status pin_omp_threads(std::vector<int> cpus, int n) {
  if (cpus.empty()) {
    cpu_set_t mask;
    CPU_ZERO(&mask);
    // The main thread's mask: this thread may be pinned already (an earlier bind).
    if (sched_getaffinity(getpid(), sizeof(mask), &mask) != 0) return unavailable("cpu: reading the process's cores failed");
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &mask)) cpus.push_back(c);
  }
  if (cpus.empty()) return unavailable("cpu: no core to pin the unit's threads to");
  int failed = 0;
#pragma omp parallel num_threads(n) reduction(+ : failed)
  {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[size_t(omp_get_thread_num()) % cpus.size()], &set);
    failed += pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0;
  }
  if (failed) return unavailable("cpu: pinning " + std::to_string(failed) + " of the unit's threads failed");
  return Status::ok();
}

// Sets the calling thread's OpenMP team size for its next parallel regions and restores the old
// one on destruction. oneDNN's jit kernels split work by the thread count seen when the primitive
// is created, so primitives are created under the unit's count, not the compiling thread's.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int n) : old_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ScopedOmpThreads() { omp_set_num_threads(old_); }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int old_;
};

class CpuExecutable final : public Executable {
 public:
  CpuExecutable(dnnl::engine engine, CompiledSegment seg)
      : engine_(std::move(engine)), stream_(engine_), seg_(std::move(seg)) {}

  const CompiledSegment& segment() const { return seg_; }

  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override {
    TANDEM_RETURN_IF_ERROR(check(inputs, seg_.input_shapes, seg_.input_dtypes, "input"));
    TANDEM_RETURN_IF_ERROR(check(outputs, seg_.output_shapes, seg_.output_dtypes, "output"));
    for (const auto& [index, value] : seg_.constant_outputs) std::memcpy(outputs[index].data, value.data(), value.nbytes());
    for (auto& b : seg_.input_bindings) b.mem.set_data_handle(inputs[b.index].data);
    for (auto& b : seg_.output_bindings) b.mem.set_data_handle(outputs[b.index].data);
    Status st;
    DNNL_TRY("cpu: executing the segment", st = run_steps());
    return st;
  }

 private:
  Status run_steps() {
    for (auto& s : seg_.steps) {
      if (!s.host) {
        s.prim.execute(stream_, s.args);
        continue;
      }
      stream_.wait();  // the host code reads what the primitives before it wrote
      TANDEM_RETURN_IF_ERROR(s.host());
    }
    stream_.wait();
    return Status::ok();
  }

  static Status check(std::span<const TensorView> got, const std::vector<Shape>& want,
                      const std::vector<DType>& dtypes, const char* what) {
    if (got.size() != want.size())
      return invalid_argument(std::string("cpu: expected ") + std::to_string(want.size()) + " " + what + "s, got " +
                              std::to_string(got.size()));
    for (size_t i = 0; i < got.size(); ++i) {
      const DType dt = dtypes[i];
      if (got[i].dtype != dt || got[i].shape != want[i] || got[i].data == nullptr)
        return invalid_argument(std::string("cpu: ") + what + " " + std::to_string(i) + " is " +
                                dtype_name(got[i].dtype) + shape_to_string(got[i].shape) + ", compiled for " +
                                dtype_name(dt) + shape_to_string(want[i]));
    }
    return Status::ok();
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
  CompiledSegment seg_;
};

// A 2-D Conv with channels in or out that nChw16c blocks: the layout choice applies.
bool has_blockable_conv(const ir::Graph& g) {
  for (const auto& n : g.nodes) {
    if (n.op_type != "Conv" || n.inputs.size() < 2) continue;
    const ir::ValueInfo* w = g.info(n.inputs[1]);
    if (w && w->shape.size() == 4 && (w->shape[0] % 16 == 0 || w->shape[1] % 16 == 0)) return true;
  }
  return false;
}

// Zeroed inputs and outputs for trial runs of a compiled segment.
struct TrialIo {
  std::vector<Tensor> tensors;
  std::vector<TensorView> ins, outs;
  explicit TrialIo(const CompiledSegment& seg) {
    tensors.reserve(seg.input_shapes.size() + seg.output_shapes.size());
    for (size_t i = 0; i < seg.input_shapes.size(); ++i) {
      tensors.push_back(Tensor::zeros(seg.input_shapes[i], seg.input_dtypes[i]));
      ins.push_back(tensors.back().view());
    }
    for (size_t i = 0; i < seg.output_shapes.size(); ++i) {
      tensors.push_back(Tensor::zeros(seg.output_shapes[i], seg.output_dtypes[i]));
      outs.push_back(tensors.back().view());
    }
  }
};

// Whether `b` runs faster than `a` (the same segment compiled two ways): a warm-up run each, then
// alternating timed runs, one round when one is far ahead, else up to three; `b` must take
// <= 0.95x.
Result<bool> faster(CpuExecutable& a, CpuExecutable& b, bool log) {
  TrialIo io(a.segment());
  TANDEM_RETURN_IF_ERROR(a.run(io.ins, io.outs));
  TANDEM_RETURN_IF_ERROR(b.run(io.ins, io.outs));
  using Clock = std::chrono::steady_clock;
  auto once = [&](CpuExecutable& e) -> Result<double> {
    const auto t0 = Clock::now();
    TANDEM_RETURN_IF_ERROR(e.run(io.ins, io.outs));
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  TANDEM_ASSIGN_OR_RETURN(cpu::Race r, cpu::race([&] { return once(a); }, [&] { return once(b); }, cpu::RaceRules{}));
  if (log)
    std::fprintf(stderr, "tandem-cpu-layout: convs as oneDNN picks %.3f ms, in nChw16c %.3f ms -> %s\n", r.a_s * 1e3,
                 r.b_s * 1e3, r.b_wins ? "nChw16c" : "as oneDNN picks");
  return r.b_wins;
}

// The segment's ops and shapes (not its names or weights) and the thread count: segments alike
// in these get the same layout choice, timed once per process (a tune profile compiles the same
// pieces again and again).
std::string layout_key(const ir::Graph& g, int threads) {
  std::string k = std::to_string(threads);
  auto shape = [&](const std::string& v) {
    const ir::ValueInfo* vi = g.info(v);
    return vi ? shape_to_string(vi->shape) : std::string("?");
  };
  for (const auto& n : g.nodes) {
    k += "|" + n.op_type + ":";
    for (const auto& in : n.inputs) k += in.empty() ? std::string("-") : shape(in);
    k += ">";
    for (const auto& out : n.outputs) k += shape(out);
  }
  return k;
}

cpu::ChoiceMemo layout_memo;  // layout_key -> blocked

// One compile of `segment` (the op claims done), convs blocked or not.
Result<std::unique_ptr<CpuExecutable>> build(const ir::Graph& segment, const UnitOptions& options,
                                             const std::vector<const cpu::CpuOp*>& ops, bool blocked) {
  std::unique_ptr<SegmentBuilder> builder;
  dnnl::engine engine;
  DNNL_TRY("cpu: creating the oneDNN engine", {
    engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
    builder = std::make_unique<SegmentBuilder>(segment, engine);
  });
  builder->set_diagnostics(options.diagnostics);
  builder->set_blocked_convs(blocked);
  // Conv + residual Add (+ activation) as one primitive where oneDNN has one (conv_residual.h).
  const auto residuals = options.diagnostics.is_off("conv-sum") ? std::map<size_t, cpu::ConvResidual>{}
                                                                 : cpu::find_conv_residuals(segment);
  // Concat + BatchNormalization (+ Relu) in one pass (concat_norm.h).
  const auto concat_norms = options.diagnostics.is_off("concat-norm") ? std::map<size_t, size_t>{}
                                                                       : cpu::find_concat_norms(segment);
  std::vector<bool> done(segment.nodes.size(), false);
  for (size_t i = 0; i < segment.nodes.size(); ++i) {
    if (done[i]) continue;
    const ir::Node& node = segment.nodes[i];
    Status st;
    if (auto cn = concat_norms.find(i); cn != concat_norms.end()) {
      Result<bool> fused = false;
      DNNL_TRY("node '" + node.name + "' (Concat + BatchNormalization)",
               fused = cpu::compile_concat_norm(*builder, node, segment.nodes[cn->second]));
      TANDEM_RETURN_IF_ERROR(node_error(node, fused.status()));
      if (*fused) {
        done[cn->second] = true;
        continue;
      }
    }
    auto r = residuals.find(i);
    if (r != residuals.end() && ops[i]->op_type == "Conv") {
      Result<bool> fused = false;
      DNNL_TRY("node '" + node.name + "' (Conv + Add)", fused = cpu::compile_conv_residual(*builder, node, i, r->second));
      TANDEM_RETURN_IF_ERROR(node_error(node, fused.status()));
      if (*fused) {
        done[r->second.add] = true;
        if (r->second.act >= 0) done[size_t(r->second.act)] = true;
        continue;
      }
    }
    DNNL_TRY("node '" + node.name + "' (" + node.op_type + ")", st = ops[i]->compile(*builder, node));
    TANDEM_RETURN_IF_ERROR(node_error(node, st));
  }
  Result<CompiledSegment> seg = internal_error("cpu: unreachable");
  DNNL_TRY("cpu: binding the segment outputs", seg = builder->finish());
  if (!seg.is_ok()) return seg.status();
  return std::make_unique<CpuExecutable>(engine, std::move(seg).value());
}

class CpuBackend final : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }

  Status supports(const ir::Graph& graph, const ir::Node& node) const override { return cpu_supports(graph, node); }

  std::string claim_note(const ir::Graph& graph, const ir::Node& node) const override {
    cpu::CpuClaim claim = cpu::claim_cpu_op(graph, node);
    return claim.fallback ? "runs the reference kernel on the host (" + claim.own_refusal + ")" : "";
  }

  // Compiles with convs in the layouts oneDNN picks (channels-last) and, where a 2-D conv has
  // channels to block, also with them in nChw16c; both run on zeroed inputs and the faster one is
  // kept (oneDNN 2.6's channels-last kernels lose to its blocked ones on mobile nets at batch 16,
  // and win on DenseNet at batch 1). TANDEM_CUDA_OFF=layout-choice keeps the first,
  // TANDEM_CUDA_TRY=blocked-layout forces the second.
  Result<std::unique_ptr<Executable>> compile(const ir::Graph& segment, const UnitOptions& options) const override {
    std::vector<const cpu::CpuOp*> ops;
    for (const auto& node : segment.nodes) {
      cpu::CpuClaim claim = cpu::claim_cpu_op(segment, node);
      TANDEM_RETURN_IF_ERROR(node_error(node, claim.status));
      ops.push_back(claim.op);
    }
    const int n = default_threads(options);
    ScopedOmpThreads threads(n);
    bool forced = options.diagnostics.is_on("blocked-layout");
    const bool choose = !forced && !options.diagnostics.is_off("layout-choice") && has_blockable_conv(segment);
    const std::string key = choose ? layout_key(segment, n) : std::string();
    const std::optional<bool> known = choose ? layout_memo.find(key) : std::nullopt;
    if (known) forced = *known;
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutable> first, build(segment, options, ops, forced));
    if (!choose || known) return std::unique_ptr<Executable>(std::move(first));
    auto second = build(segment, options, ops, true);
    bool blocked = false;
    if (second.is_ok()) {  // else no blocked kernel: keep the first
      TANDEM_ASSIGN_OR_RETURN(blocked, faster(*first, **second, options.diagnostics.log_choices));
    }
    layout_memo.keep(key, blocked);
    return std::unique_ptr<Executable>(blocked ? std::move(*second) : std::move(first));
  }

  Status bind_thread(const UnitOptions& options) const override {
    if (!options.cpus.empty()) {
      cpu_set_t set;
      CPU_ZERO(&set);
      for (int c : options.cpus) {
        if (c < 0 || c >= CPU_SETSIZE) return invalid_argument("cpu: core " + std::to_string(c) + " is out of range");
        CPU_SET(c, &set);
      }
      // Before the first parallel region: OpenMP's workers for this thread inherit the mask.
      int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
      if (rc != 0) return unavailable("cpu: pinning the worker to its cores failed (error " + std::to_string(rc) + ")");
    }
    const int n = default_threads(options);
    omp_set_num_threads(n);
    if (options.pin) TANDEM_RETURN_IF_ERROR(pin_omp_threads(options.cpus, n));
    return Status::ok();
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> make_cpu_backend() { return std::unique_ptr<Backend>(new CpuBackend()); }

}  // namespace tandem

#include "backends/cuda/cuda_executable.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <thread>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_schedule.h"
#include "backends/cuda/host_io.h"
#include "backends/cuda/split_views.h"
#include "backends/cuda/kernels/layout.cuh"

namespace tandem::cuda {
namespace {

// Runs may overlap: while slot k's graph computes, the next run's inputs upload into slot k^1 and
// the previous run's outputs download from slot k^1.
constexpr int kSlots = 2;
// Inputs (outputs) smaller than this go up (down) on the compute stream (no cross-stream event:
// batch-1 latency).
constexpr size_t kCopyStreamMinBytes = size_t{1} << 20;

struct Handles {
  cudaStream_t stream = nullptr;           // compute: graph replay (and small copies)
  cudaStream_t copy_stream = nullptr;      // input uploads
  cudaStream_t download_stream = nullptr;  // output downloads, overlapping the next run's graph
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
  cudaGraph_t graph[kSlots] = {};
  cudaGraphExec_t exec[kSlots] = {};
  cudaEvent_t uploaded[kSlots] = {};
  cudaEvent_t computed[kSlots] = {};  // slot k's graph (its outputs in staging[k]) finished
  cudaEvent_t done[kSlots] = {};
  ~Handles() {
    for (int k = 0; k < kSlots; ++k) {
      if (exec[k]) cudaGraphExecDestroy(exec[k]);
      if (graph[k]) cudaGraphDestroy(graph[k]);
      if (uploaded[k]) cudaEventDestroy(uploaded[k]);
      if (computed[k]) cudaEventDestroy(computed[k]);
      if (done[k]) cudaEventDestroy(done[k]);
    }
    if (cublaslt) cublasLtDestroy(cublaslt);
    if (cublas) cublasDestroy(cublas);
    if (cudnn) cudnnDestroy(cudnn);
    if (download_stream) cudaStreamDestroy(download_stream);
    if (copy_stream) cudaStreamDestroy(copy_stream);
    if (stream) cudaStreamDestroy(stream);
  }
};

// One graph input or output; both cross in the graph's dtype (inputs: float32) and logical
// (NCHW) order. Inputs: host (or another device) -> `staging[slot]` (device) -> the graph's first
// steps convert it into the arena tensor (unit element type, NHWC for fp16). Pageable host inputs
// are staged through `pinned[slot]` first. Outputs: the graph's last steps convert the arena
// tensor into `staging[slot]` (the output's dtype: fp16 -> fp32 or fp32 -> fp16 on the device,
// NHWC -> NCHW), so that slot's download overlaps the next run's graph (which writes the other
// slot); it goes to the caller's buffer directly when the copy engines can reach it (page-locked:
// the runtime's output buffers), else through `pinned[slot]` and a host copy in wait().
struct HostIo {
  std::string name;
  Shape shape;
  DType dtype = DType::kFloat32;
  size_t count = 0;
  const Tensor* constant = nullptr;  // an output that is a graph constant: copied on the host
  bool unused = false;               // an input no node reads: checked, never uploaded
  DeviceMemory staging[kSlots];
  PinnedMemory pinned[kSlots];       // allocated at the first run that needs it
  size_t bytes() const { return count * dtype_size(dtype); }
};

// The storage of a graph tensor of `dtype` on a unit whose float32 tensors are stored as `unit`.
Elem storage_elem(DType dtype, Elem unit) {
  return dtype == DType::kInt64 ? Elem::kI64 : dtype == DType::kFloat16 ? Elem::kF16 : unit;
}

// A run started by run_async() and not yet completed by wait().
struct Pending {
  int slot = 0;
  std::vector<TensorView> outputs;
  std::vector<bool> through_pinned;  // per output: copy pinned -> caller in wait()
  std::chrono::steady_clock::time_point graph_done;  // timing mode only
};

// Env TANDEM_CUDA_TIMING=1: the time split of each run (input upload, graph, output copy), with a
// synchronisation after each part (no overlap). Env TANDEM_CUDA_PROFILE=1: steps run one by one
// with device events around each; a per-op table is printed to stderr when the executable is
// destroyed. Both are for measurement only.
struct Profile {
  bool timing = false, per_op = false;
  int runs = 0;
  double upload_ms = 0, graph_ms = 0, output_ms = 0;
  std::vector<cudaEvent_t> events;
  std::vector<double> step_ms;
  ~Profile() {
    for (cudaEvent_t e : events) cudaEventDestroy(e);
  }
};

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

size_t tensor_bytes(const ir::Graph& g, const std::string& name, int elem_size) {
  const ir::ValueInfo* vi = g.info(name);
  if (!vi) return 0;
  const Elem unit = elem_size == 2 ? Elem::kF16 : Elem::kF32;
  return static_cast<size_t>(shape_numel(vi->shape)) * size_t(elem_bytes(storage_elem(vi->dtype, unit)));
}

class CudaExecutable final : public Executable {
 public:
  ~CudaExecutable() override;
  Status init(const ir::Graph& g, const UnitOptions& options);
  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override;
  Status run_async(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override;
  Status wait() override;

 private:
  Status make_handles();
  Status place_tensors(const ir::Graph& g, BuildContext& ctx, const std::vector<OpInstance>& ops,
                       const ConcatViews& views);
  Status add_input_steps(BuildContext& ctx);
  Status add_output_steps(BuildContext& ctx);
  Status check_io(std::span<const TensorView> inputs, std::span<const TensorView> outputs) const;
  Status upload(std::span<const TensorView> inputs, int slot, cudaStream_t stream);
  Status run_steps(int slot);
  Status run_profiled(int slot);
  Status capture(int slot);
  void print_profile() const;

  int device_ = 0;
  int host_threads_ = 1;
  Profile prof_;
  std::vector<std::string> step_labels_;  // of in_steps_[0] + steps_
  Handles h_;
  RunEnv env_;
  DeviceMemory arena_, workspace_, cublas_workspace_;
  std::vector<DeviceMemory> owned_;
  std::vector<Step> in_steps_[kSlots];   // slot k's inputs: staging -> arena
  std::vector<Step> steps_;              // the ops
  std::vector<Step> out_steps_[kSlots];  // slot k's outputs: arena -> staging (dtype, logical order)
  std::vector<HostIo> in_, out_;
  std::deque<Pending> pending_;
  int next_slot_ = 0;
};

CudaExecutable::~CudaExecutable() {
  if (h_.stream) cudaStreamSynchronize(h_.stream);  // a run the caller never waited for
  if (h_.copy_stream) cudaStreamSynchronize(h_.copy_stream);
  if (h_.download_stream) cudaStreamSynchronize(h_.download_stream);
  print_profile();
}

Status CudaExecutable::make_handles() {
  CUDA_TRY(cudaSetDevice(device_));
  CUDA_TRY(cudaStreamCreateWithFlags(&h_.stream, cudaStreamNonBlocking));
  CUDA_TRY(cudaStreamCreateWithFlags(&h_.copy_stream, cudaStreamNonBlocking));
  CUDA_TRY(cudaStreamCreateWithFlags(&h_.download_stream, cudaStreamNonBlocking));
  for (int k = 0; k < kSlots; ++k) {
    CUDA_TRY(cudaEventCreateWithFlags(&h_.uploaded[k], cudaEventDisableTiming));
    CUDA_TRY(cudaEventCreateWithFlags(&h_.computed[k], cudaEventDisableTiming));
    CUDA_TRY(cudaEventCreateWithFlags(&h_.done[k], cudaEventDisableTiming));
  }
  CUDNN_TRY(cudnnCreate(&h_.cudnn));
  CUDNN_TRY(cudnnSetStream(h_.cudnn, h_.stream));
  CUBLAS_TRY(cublasCreate(&h_.cublas));
  CUBLAS_TRY(cublasSetStream(h_.cublas, h_.stream));
  // A fixed cuBLAS workspace: no allocation inside graph capture.
  constexpr size_t kCublasWorkspace = size_t{32} << 20;
  TANDEM_ASSIGN_OR_RETURN(cublas_workspace_, device_alloc(kCublasWorkspace));
  CUBLAS_TRY(cublasSetWorkspace(h_.cublas, cublas_workspace_.get(), kCublasWorkspace));
  CUBLAS_TRY(cublasLtCreate(&h_.cublaslt));
  env_ = RunEnv{h_.stream, h_.cudnn, h_.cublas, nullptr, 0, h_.cublaslt};
  return Status::ok();
}

Status CudaExecutable::place_tensors(const ir::Graph& g, BuildContext& ctx, const std::vector<OpInstance>& ops,
                                     const ConcatViews& views) {
  const int esize = ctx.elem() == Elem::kF16 ? 2 : 4;
  ArenaPlan plan = plan_arena(g, ops, tensor_bytes, esize, views);
  TANDEM_ASSIGN_OR_RETURN(arena_, device_alloc(plan.size));
  auto make = [&](const std::string& name, size_t off) -> Result<DevTensor> {
    const ir::ValueInfo* vi = g.info(name);
    if (!vi || !vi->fully_known()) return internal_error("cuda: tensor '" + name + "' has no known shape");
    DevTensor t;
    t.data = static_cast<char*>(arena_.get()) + off;
    t.shape = vi->shape;
    t.elem = storage_elem(vi->dtype, ctx.elem());
    t.nhwc = t.elem != Elem::kI64 && ctx.nhwc_for_rank(vi->shape.size());
    return t;
  };
  for (const auto& [name, off] : plan.offsets) {
    TANDEM_ASSIGN_OR_RETURN(ctx.tensors()[name], make(name, off));
  }
  for (const auto& [view, v] : views) {  // `v.whole` from index `v.channel` of dim `v.axis` on, in its storage
    const DevTensor& whole = ctx.tensors()[v.whole];
    const int64_t first = v.channel * logical_strides(whole).s[v.axis];
    TANDEM_ASSIGN_OR_RETURN(DevTensor t, make(view, plan.offsets.at(v.whole) + size_t(first * esize)));
    if (!v.packed) t.storage = whole.shape;
    ctx.tensors()[view] = t;
  }
  auto make_io = [&](const std::string& name, bool input) -> Result<HostIo> {
    HostIo io;
    io.name = name;
    const ir::ValueInfo* vi = g.info(name);
    if (!vi) return internal_error("cuda: graph input/output '" + name + "' has no shape");
    io.shape = vi->shape;
    io.dtype = input ? DType::kFloat32 : vi->dtype;
    io.count = size_t(shape_numel(io.shape));
    if ((io.constant = g.constant(name))) return io;
    if (input && vi->dtype != DType::kFloat32) {  // inputs travel as float32
      if (g.use_count(name) > 0)
        return unsupported("cuda: input '" + name + "' is " + dtype_name(vi->dtype) + "; a cuda unit takes float32 inputs");
      io.unused = true;  // never uploaded; the graph's input relayout still reads its staging buffer
    }
    if (!input && io.dtype != DType::kFloat32 && io.dtype != DType::kFloat16 && io.dtype != DType::kInt64)
      return unsupported("cuda: output '" + name + "' is " + dtype_name(io.dtype));
    for (auto& st : io.staging) {  // fp32-sized for every input (what the relayout reads)
      TANDEM_ASSIGN_OR_RETURN(st, device_alloc(io.bytes()));
    }
    if (io.unused) io.dtype = vi->dtype;  // what the caller hands in
    return io;
  };
  for (const auto& name : g.inputs) {
    TANDEM_ASSIGN_OR_RETURN(auto io, make_io(name, true));
    in_.push_back(std::move(io));
  }
  for (const auto& name : g.outputs) {
    TANDEM_ASSIGN_OR_RETURN(auto io, make_io(name, false));
    out_.push_back(std::move(io));
  }
  return Status::ok();
}

// Per slot: each input's fp32 staging -> its arena tensor (NCHW -> NHWC and fp16 for fp16 units).
Status CudaExecutable::add_input_steps(BuildContext& ctx) {
  for (int k = 0; k < kSlots; ++k) {
    for (HostIo& io : in_) {
      if (io.constant) continue;
      TANDEM_ASSIGN_OR_RETURN(const DevTensor* t, ctx.tensor(io.name));
      const float* src = static_cast<const float*>(io.staging[k].get());
      if (t->nhwc && t->shape[1] <= 16) {
        const int n = int(t->shape[0]), c = int(t->shape[1]), hw = int(t->shape[2] * t->shape[3]);
        void* dst = t->data;
        const Elem e = t->elem;
        in_steps_[k].push_back([=](const RunEnv& env) {
          return launch_status(launch_nchw_to_nhwc_small_c(src, dst, n, c, hw, e, env.stream), "nchw_to_nhwc");
        });
      } else {
        DevTensor staging{const_cast<float*>(src), io.shape, false, Elem::kF32, {}};
        TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(staging, *t));
        in_steps_[k].push_back(std::move(s));
      }
    }
  }
  return Status::ok();
}

// Per slot: each output's arena tensor -> its staging in the output's dtype and logical order
// (the download happens after the graph).
Status CudaExecutable::add_output_steps(BuildContext& ctx) {
  for (int k = 0; k < kSlots; ++k) {
    for (HostIo& io : out_) {
      if (io.constant) continue;
      TANDEM_ASSIGN_OR_RETURN(const DevTensor* t, ctx.tensor(io.name));
      DevTensor staging{io.staging[k].get(), io.shape, false, storage_elem(io.dtype, Elem::kF32), {}};
      TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(*t, staging));
      out_steps_[k].push_back(std::move(s));
    }
  }
  return Status::ok();
}

Status CudaExecutable::init(const ir::Graph& g, const UnitOptions& options) {
  device_ = options.device;
  TANDEM_RETURN_IF_ERROR(make_handles());
  for (const auto& node : g.nodes) {
    const CudaOp* op = find_cuda_op(node.op_type);
    if (!op) return unsupported("node '" + node.name + "' (" + node.op_type + "): cuda backend has no kernel for " + node.op_type);
    if (op->supports) TANDEM_RETURN_IF_ERROR(op->supports(g, node).with_context("node '" + node.name + "' (" + node.op_type + ")"));
  }
  std::vector<OpInstance> ops = schedule_ops(g, options.diagnostics);
  BuildContext ctx(g, options, env_);
  ConcatViews views = ctx.feature("concat-views") ? plan_concat_views(g, ops, ctx.nhwc_for_rank(4)) : ConcatViews{};
  if (ctx.feature("split-views")) plan_split_views(g, ops, ctx.nhwc_for_rank(4), views);
  TANDEM_RETURN_IF_ERROR(place_tensors(g, ctx, ops, views));
  TANDEM_RETURN_IF_ERROR(add_input_steps(ctx));
  for (const OpInstance& op : ops) {
    const CudaOp* entry = find_cuda_op(op.node->op_type);
    ctx.set_label(op.label.substr(std::min(op.label.find('('), op.label.size())));
    TANDEM_RETURN_IF_ERROR(entry->build(ctx, op).with_context(op.label));
  }
  TANDEM_RETURN_IF_ERROR(add_output_steps(ctx));
  TANDEM_ASSIGN_OR_RETURN(workspace_, device_alloc(ctx.workspace()));
  env_.workspace = workspace_.get();
  env_.workspace_size = ctx.workspace();
  steps_ = std::move(ctx.steps());
  step_labels_.assign(in_steps_[0].size(), "(input relayout)");
  step_labels_.insert(step_labels_.end(), ctx.step_labels().begin(), ctx.step_labels().end());
  step_labels_.insert(step_labels_.end(), out_steps_[0].size(), "(output relayout)");
  owned_ = std::move(ctx.owned());
  host_threads_ = int(std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u));
  prof_.timing = options.diagnostics.timing;
  prof_.per_op = options.diagnostics.profile;
  if (prof_.per_op) {
    prof_.events.resize(step_labels_.size() + 1);
    for (auto& e : prof_.events) CUDA_TRY(cudaEventCreate(&e));
    prof_.step_ms.assign(step_labels_.size(), 0.0);
  }
  // One eager run first: lazy module loading and library setup must not happen inside capture.
  TANDEM_RETURN_IF_ERROR(run_steps(0));
  CUDA_TRY(cudaStreamSynchronize(h_.stream));
  for (int k = 0; k < kSlots; ++k) TANDEM_RETURN_IF_ERROR(capture(k));
  return Status::ok();
}

Status CudaExecutable::run_steps(int slot) {
  for (const Step& s : in_steps_[slot]) TANDEM_RETURN_IF_ERROR(s(env_));
  for (const Step& s : steps_) TANDEM_RETURN_IF_ERROR(s(env_));
  for (const Step& s : out_steps_[slot]) TANDEM_RETURN_IF_ERROR(s(env_));
  return Status::ok();
}

Status CudaExecutable::capture(int slot) {
  CUDA_TRY(cudaStreamBeginCapture(h_.stream, cudaStreamCaptureModeThreadLocal));
  Status st = run_steps(slot);
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaStreamEndCapture(h_.stream, &graph);
  h_.graph[slot] = graph;
  TANDEM_RETURN_IF_ERROR(st.with_context("while capturing the CUDA graph"));
  CUDA_TRY(end);
  CUDA_TRY(cudaGraphInstantiate(&h_.exec[slot], h_.graph[slot], 0));
  return Status::ok();
}

Status CudaExecutable::run_profiled(int slot) {
  size_t i = 0;
  auto timed = [&](const Step& s) -> Status {
    CUDA_TRY(cudaEventRecord(prof_.events[i++], h_.stream));
    return s(env_);
  };
  for (const Step& s : in_steps_[slot]) TANDEM_RETURN_IF_ERROR(timed(s));
  for (const Step& s : steps_) TANDEM_RETURN_IF_ERROR(timed(s));
  for (const Step& s : out_steps_[slot]) TANDEM_RETURN_IF_ERROR(timed(s));
  CUDA_TRY(cudaEventRecord(prof_.events.back(), h_.stream));
  CUDA_TRY(cudaEventSynchronize(prof_.events.back()));
  for (size_t j = 0; j + 1 < prof_.events.size(); ++j) {
    float ms = 0;
    CUDA_TRY(cudaEventElapsedTime(&ms, prof_.events[j], prof_.events[j + 1]));
    prof_.step_ms[j] += ms;
  }
  return Status::ok();
}

void CudaExecutable::print_profile() const {
  if (prof_.runs == 0 || (!prof_.timing && !prof_.per_op)) return;
  const double r = prof_.runs;
  const Shape& s = in_.empty() ? Shape{} : in_[0].shape;
  std::fprintf(stderr, "tandem-cuda-timing: input %s runs=%d upload_ms=%.3f graph_ms=%.3f output_ms=%.3f\n",
               shape_to_string(s).c_str(), prof_.runs, prof_.upload_ms / r, prof_.graph_ms / r, prof_.output_ms / r);
  if (!prof_.per_op) return;
  // Grouped by op pattern and step index within the op ("(Conv)+Relu dw #0").
  std::map<std::string, std::pair<double, int>> groups;
  double total = 0;
  for (size_t i = 0; i < prof_.step_ms.size(); ++i) {
    size_t k = 0;
    for (size_t j = i; j > 0 && step_labels_[j - 1] == step_labels_[i]; --j) ++k;
    auto& g = groups[step_labels_[i] + " #" + std::to_string(k)];
    g.first += prof_.step_ms[i] / r;
    g.second += 1;
    total += prof_.step_ms[i] / r;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> rows(groups.begin(), groups.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::fprintf(stderr, "tandem-cuda-profile: %zu steps, %.3f ms per run (eager, events around each step)\n",
               prof_.step_ms.size(), total);
  for (const auto& [name, v] : rows)
    std::fprintf(stderr, "tandem-cuda-profile: %8.3f ms %5.1f%% x%-3d %s\n", v.first, 100.0 * v.first / total, v.second,
                 name.c_str());
}

Status CudaExecutable::check_io(std::span<const TensorView> inputs, std::span<const TensorView> outputs) const {
  if (inputs.size() != in_.size() || outputs.size() != out_.size())
    return invalid_argument("cuda: expected " + std::to_string(in_.size()) + " inputs and " + std::to_string(out_.size()) +
                            " outputs, got " + std::to_string(inputs.size()) + " and " + std::to_string(outputs.size()));
  auto check = [](const TensorView& v, const HostIo& io) -> Status {
    const DType want = io.constant ? io.constant->dtype() : io.dtype;
    if (v.dtype != want || size_t(v.numel()) != io.count)
      return invalid_argument("cuda: tensor '" + io.name + "' must be " + dtype_name(want) + " " + shape_to_string(io.shape) + ", got " +
                              dtype_name(v.dtype) + " " + shape_to_string(v.shape));
    return Status::ok();
  };
  for (size_t i = 0; i < in_.size(); ++i) TANDEM_RETURN_IF_ERROR(check(inputs[i], in_[i]));
  for (size_t i = 0; i < out_.size(); ++i) TANDEM_RETURN_IF_ERROR(check(outputs[i], out_[i]));
  return Status::ok();
}

// Page-locked or device inputs go up in one copy; pageable ones through the slot's pinned buffer.
Status CudaExecutable::upload(std::span<const TensorView> inputs, int slot, cudaStream_t stream) {
  for (size_t i = 0; i < in_.size(); ++i) {
    HostIo& io = in_[i];
    if (io.constant || io.unused) continue;
    void* dst = io.staging[slot].get();
    if (is_dma_ready(inputs[i].data)) {
      CUDA_TRY(cudaMemcpyAsync(dst, inputs[i].data, io.bytes(), cudaMemcpyDefault, stream));
      continue;
    }
    if (!io.pinned[slot]) {
      TANDEM_ASSIGN_OR_RETURN(io.pinned[slot], pinned_alloc(io.bytes()));
    }
    TANDEM_RETURN_IF_ERROR(staged_upload(inputs[i].data, io.bytes(), io.pinned[slot].get(), dst, device_, stream, host_threads_));
  }
  return Status::ok();
}

Status CudaExecutable::run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  TANDEM_RETURN_IF_ERROR(run_async(inputs, outputs));
  return wait();
}

// Contract (backend.h): at most kSlots runs outstanding; slot k's previous run has been waited
// for, so its staging and pinned buffers are free without any device-side wait.
Status CudaExecutable::run_async(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  TANDEM_RETURN_IF_ERROR(check_io(inputs, outputs));
  if (pending_.size() >= size_t(kSlots))
    return internal_error("cuda: more than " + std::to_string(kSlots) + " runs in flight; wait() first");
  CUDA_TRY(cudaSetDevice(device_));
  using Clock = std::chrono::steady_clock;
  const bool timing = prof_.timing || prof_.per_op;
  const auto t0 = Clock::now();
  const int k = next_slot_;
  size_t in_bytes = 0;
  for (const HostIo& io : in_) in_bytes += io.constant ? 0 : io.bytes();
  const bool side = in_bytes >= kCopyStreamMinBytes;
  cudaStream_t up = side ? h_.copy_stream : h_.stream;
  TANDEM_RETURN_IF_ERROR(upload(inputs, k, up));
  if (side) {
    CUDA_TRY(cudaEventRecord(h_.uploaded[k], up));
    CUDA_TRY(cudaStreamWaitEvent(h_.stream, h_.uploaded[k], 0));
  }
  if (timing) CUDA_TRY(cudaStreamSynchronize(h_.stream));
  const auto t1 = Clock::now();
  if (prof_.per_op) TANDEM_RETURN_IF_ERROR(run_profiled(k));
  else CUDA_TRY(cudaGraphLaunch(h_.exec[k], h_.stream));
  Pending p;
  p.slot = k;
  if (timing) {
    CUDA_TRY(cudaStreamSynchronize(h_.stream));
    p.graph_done = Clock::now();
    prof_.upload_ms += ms_between(t0, t1);
    prof_.graph_ms += ms_between(t1, p.graph_done);
  }
  p.outputs.assign(outputs.begin(), outputs.end());
  p.through_pinned.assign(out_.size(), false);
  size_t out_bytes = 0;
  for (const HostIo& io : out_) out_bytes += io.constant ? 0 : io.bytes();
  // Large outputs download on their own stream: the next run's graph (slot k^1) starts at once.
  cudaStream_t down = out_bytes >= kCopyStreamMinBytes ? h_.download_stream : h_.stream;
  if (down != h_.stream) {
    CUDA_TRY(cudaEventRecord(h_.computed[k], h_.stream));
    CUDA_TRY(cudaStreamWaitEvent(down, h_.computed[k], 0));
  }
  for (size_t i = 0; i < out_.size(); ++i) {
    HostIo& io = out_[i];
    if (io.constant) continue;
    void* dst = outputs[i].data;
    if (!is_dma_ready(dst)) {
      if (!io.pinned[k]) {
        TANDEM_ASSIGN_OR_RETURN(io.pinned[k], pinned_alloc(io.bytes()));
      }
      dst = io.pinned[k].get();
      p.through_pinned[i] = true;
    }
    CUDA_TRY(cudaMemcpyAsync(dst, io.staging[k].get(), io.bytes(), cudaMemcpyDefault, down));
  }
  CUDA_TRY(cudaEventRecord(h_.done[k], down));
  if (timing) {  // the device -> host copy here; wait() adds its host copy (runs may be pending)
    CUDA_TRY(cudaEventSynchronize(h_.done[k]));
    prof_.output_ms += ms_between(p.graph_done, Clock::now());
  }
  next_slot_ = (k + 1) % kSlots;
  pending_.push_back(std::move(p));
  return Status::ok();
}

Status CudaExecutable::wait() {
  if (pending_.empty()) return Status::ok();
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  CUDA_TRY(cudaSetDevice(device_));
  CUDA_TRY(cudaEventSynchronize(h_.done[p.slot]));
  const auto copy_start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < out_.size(); ++i) {
    const HostIo& io = out_[i];
    if (io.constant) std::memcpy(p.outputs[i].data, io.constant->data(), io.constant->nbytes());
    else if (p.through_pinned[i]) parallel_memcpy(p.outputs[i].data, io.pinned[p.slot].get(), io.bytes(), host_threads_);
  }
  if (prof_.timing || prof_.per_op) {
    ++prof_.runs;
    prof_.output_ms += ms_between(copy_start, std::chrono::steady_clock::now());
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Executable>> compile_segment(const ir::Graph& segment, const UnitOptions& options) {
  auto exe = std::make_unique<CudaExecutable>();
  TANDEM_RETURN_IF_ERROR(exe->init(segment, options));
  return std::unique_ptr<Executable>(std::move(exe));
}

}  // namespace tandem::cuda

#include "backends/cuda/cuda_executable.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_schedule.h"
#include "backends/cuda/host_io.h"
#include "backends/cuda/kernels/layout.cuh"

namespace tandem::cuda {
namespace {

struct Handles {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ~Handles() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
    if (cublas) cublasDestroy(cublas);
    if (cudnn) cudnnDestroy(cudnn);
    if (stream) cudaStreamDestroy(stream);
  }
};

// One graph input or output. Inputs: host fp32 -> pinned (unit element type, logical layout)
// -> `device` (the arena tensor itself, or a staging buffer re-laid out on the device).
// Outputs: device -> (converted/re-laid out into fp32 staging) -> pinned fp32 -> host.
struct HostIo {
  std::string name;
  Shape shape;
  PinnedMemory pinned;
  void* device = nullptr;
  size_t count = 0;
  const Tensor* constant = nullptr;  // an output that is a graph constant: copied on the host
};

// Env TANDEM_CUDA_TIMING=1: the time split of each run (input upload, graph, output copy).
// Env TANDEM_CUDA_PROFILE=1: steps run one by one with device events around each; a per-op
// table is printed to stderr when the executable is destroyed. Both are for measurement only.
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
  return vi ? static_cast<size_t>(shape_numel(vi->shape)) * size_t(elem_size) : 0;
}

class CudaExecutable final : public Executable {
 public:
  ~CudaExecutable() override { print_profile(); }
  Status init(const ir::Graph& g, const UnitOptions& options);
  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override;

 private:
  Status make_handles();
  Status place_tensors(const ir::Graph& g, BuildContext& ctx, const std::vector<OpInstance>& ops);
  Status add_io_steps(BuildContext& ctx, bool input_side);
  Status run_steps();
  Status run_profiled();
  Status capture();
  void print_profile() const;

  int device_ = 0;
  int host_threads_ = 1;
  Elem env_elem_ = Elem::kF32;
  Profile prof_;
  std::vector<std::string> step_labels_;
  Handles h_;
  RunEnv env_;
  DeviceMemory arena_, workspace_, cublas_workspace_;
  std::vector<DeviceMemory> owned_;
  std::vector<Step> steps_;
  std::vector<HostIo> in_, out_;
};

Status CudaExecutable::make_handles() {
  CUDA_TRY(cudaSetDevice(device_));
  CUDA_TRY(cudaStreamCreateWithFlags(&h_.stream, cudaStreamNonBlocking));
  CUDNN_TRY(cudnnCreate(&h_.cudnn));
  CUDNN_TRY(cudnnSetStream(h_.cudnn, h_.stream));
  CUBLAS_TRY(cublasCreate(&h_.cublas));
  CUBLAS_TRY(cublasSetStream(h_.cublas, h_.stream));
  // A fixed cuBLAS workspace: no allocation inside graph capture.
  constexpr size_t kCublasWorkspace = size_t{32} << 20;
  TANDEM_ASSIGN_OR_RETURN(cublas_workspace_, device_alloc(kCublasWorkspace));
  CUBLAS_TRY(cublasSetWorkspace(h_.cublas, cublas_workspace_.get(), kCublasWorkspace));
  env_ = RunEnv{h_.stream, h_.cudnn, h_.cublas, nullptr, 0};
  return Status::ok();
}

Status CudaExecutable::place_tensors(const ir::Graph& g, BuildContext& ctx, const std::vector<OpInstance>& ops) {
  const int esize = ctx.elem() == Elem::kF16 ? 2 : 4;
  ArenaPlan plan = plan_arena(g, ops, tensor_bytes, esize);
  TANDEM_ASSIGN_OR_RETURN(arena_, device_alloc(plan.size));
  for (const auto& [name, off] : plan.offsets) {
    const ir::ValueInfo* vi = g.info(name);
    if (!vi || !vi->fully_known()) return internal_error("cuda: tensor '" + name + "' has no known shape");
    DevTensor t;
    t.data = static_cast<char*>(arena_.get()) + off;
    t.shape = vi->shape;
    t.nhwc = ctx.nhwc_for_rank(vi->shape.size());
    t.elem = ctx.elem();
    ctx.tensors()[name] = t;
  }
  auto make_io = [&](const std::string& name, bool input) -> Result<HostIo> {
    HostIo io;
    io.name = name;
    const ir::ValueInfo* vi = g.info(name);
    if (!vi) return internal_error("cuda: graph input/output '" + name + "' has no shape");
    io.shape = vi->shape;
    io.count = size_t(shape_numel(io.shape));
    if ((io.constant = g.constant(name))) return io;
    const size_t esize = input && ctx.elem() == Elem::kF16 ? 2 : 4;
    TANDEM_ASSIGN_OR_RETURN(io.pinned, pinned_alloc(io.count * esize));
    const DevTensor& t = ctx.tensors()[name];
    // Inputs land in the arena tensor when its storage is the logical order in the unit's type.
    const bool direct = input ? !t.nhwc || t.shape[1] == 1 : t.elem == Elem::kF32 && !t.nhwc;
    if (direct) {
      io.device = t.data;
    } else {
      TANDEM_ASSIGN_OR_RETURN(io.device, ctx.allocate(io.count * esize));
    }
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

// Inputs: run() uploads them (host_io.h); the graph starts with the re-layout of those staged in
// NCHW into NHWC. Outputs: converted to fp32 logical order on the device, then copied to pinned.
Status CudaExecutable::add_io_steps(BuildContext& ctx, bool input_side) {
  ctx.set_label(input_side ? "(input relayout)" : "(output copy)");
  for (HostIo& io : input_side ? in_ : out_) {
    if (io.constant) continue;
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* t, ctx.tensor(io.name));
    if (input_side) {
      if (io.device == t->data) continue;
      const int n = int(t->shape[0]), c = int(t->shape[1]), hw = int(t->shape[2] * t->shape[3]);
      const void* src = io.device;
      void* dst = t->data;
      const Elem e = t->elem;
      if (c <= 16) {
        ctx.add_step([=](const RunEnv& env) {
          return launch_status(launch_nchw_to_nhwc_small_c(src, dst, n, c, hw, e, env.stream), "nchw_to_nhwc");
        });
      } else {
        DevTensor staging{io.device, io.shape, false, e};
        TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(staging, *t));
        ctx.add_step(std::move(s));
      }
      continue;
    }
    if (io.device != t->data) {
      DevTensor staging{io.device, io.shape, false, Elem::kF32};
      TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(*t, staging));
      ctx.add_step(std::move(s));
    }
    void* host = io.pinned.get();
    const void* src = io.device;
    const size_t bytes = io.count * sizeof(float);
    ctx.add_step([=](const RunEnv& env) {
      CUDA_TRY(cudaMemcpyAsync(host, src, bytes, cudaMemcpyDeviceToHost, env.stream));
      return Status::ok();
    });
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
  const std::vector<OpInstance> ops = schedule_ops(g);
  BuildContext ctx(g, options.precision, env_);
  env_elem_ = ctx.elem();
  TANDEM_RETURN_IF_ERROR(place_tensors(g, ctx, ops));
  TANDEM_RETURN_IF_ERROR(add_io_steps(ctx, true));
  for (const OpInstance& op : ops) {
    const CudaOp* entry = find_cuda_op(op.node->op_type);
    ctx.set_label(op.label.substr(std::min(op.label.find('('), op.label.size())));
    TANDEM_RETURN_IF_ERROR(entry->build(ctx, op).with_context(op.label));
  }
  TANDEM_RETURN_IF_ERROR(add_io_steps(ctx, false));
  TANDEM_ASSIGN_OR_RETURN(workspace_, device_alloc(ctx.workspace()));
  env_.workspace = workspace_.get();
  env_.workspace_size = ctx.workspace();
  steps_ = std::move(ctx.steps());
  step_labels_ = std::move(ctx.step_labels());
  owned_ = std::move(ctx.owned());
  host_threads_ = int(std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u));
  const char* timing = std::getenv("TANDEM_CUDA_TIMING");
  const char* per_op = std::getenv("TANDEM_CUDA_PROFILE");
  prof_.timing = timing && *timing && *timing != '0';
  prof_.per_op = per_op && *per_op && *per_op != '0';
  if (prof_.per_op) {
    prof_.events.resize(steps_.size() + 1);
    for (auto& e : prof_.events) CUDA_TRY(cudaEventCreate(&e));
    prof_.step_ms.assign(steps_.size(), 0.0);
  }
  TANDEM_RETURN_IF_ERROR(run_steps());
  CUDA_TRY(cudaStreamSynchronize(h_.stream));
  return capture();
}

Status CudaExecutable::run_steps() {
  for (const Step& s : steps_) TANDEM_RETURN_IF_ERROR(s(env_));
  return Status::ok();
}

Status CudaExecutable::capture() {
  CUDA_TRY(cudaStreamBeginCapture(h_.stream, cudaStreamCaptureModeThreadLocal));
  Status st = run_steps();
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaStreamEndCapture(h_.stream, &graph);
  h_.graph = graph;
  TANDEM_RETURN_IF_ERROR(st.with_context("while capturing the CUDA graph"));
  CUDA_TRY(end);
  CUDA_TRY(cudaGraphInstantiate(&h_.exec, h_.graph, 0));
  return Status::ok();
}

Status CudaExecutable::run_profiled() {
  for (size_t i = 0; i < steps_.size(); ++i) {
    CUDA_TRY(cudaEventRecord(prof_.events[i], h_.stream));
    TANDEM_RETURN_IF_ERROR(steps_[i](env_));
  }
  CUDA_TRY(cudaEventRecord(prof_.events.back(), h_.stream));
  CUDA_TRY(cudaEventSynchronize(prof_.events.back()));
  for (size_t i = 0; i < steps_.size(); ++i) {
    float ms = 0;
    CUDA_TRY(cudaEventElapsedTime(&ms, prof_.events[i], prof_.events[i + 1]));
    prof_.step_ms[i] += ms;
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

Status CudaExecutable::run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  if (inputs.size() != in_.size() || outputs.size() != out_.size())
    return invalid_argument("cuda: expected " + std::to_string(in_.size()) + " inputs and " + std::to_string(out_.size()) +
                            " outputs, got " + std::to_string(inputs.size()) + " and " + std::to_string(outputs.size()));
  auto check = [](const TensorView& v, const HostIo& io) -> Status {
    const DType want = io.constant ? io.constant->dtype() : DType::kFloat32;
    if (v.dtype != want || size_t(v.numel()) != io.count)
      return invalid_argument("cuda: tensor '" + io.name + "' must be " + dtype_name(want) + " " + shape_to_string(io.shape) + ", got " +
                              dtype_name(v.dtype) + " " + shape_to_string(v.shape));
    return Status::ok();
  };
  for (size_t i = 0; i < in_.size(); ++i) TANDEM_RETURN_IF_ERROR(check(inputs[i], in_[i]));
  for (size_t i = 0; i < out_.size(); ++i) TANDEM_RETURN_IF_ERROR(check(outputs[i], out_[i]));
  CUDA_TRY(cudaSetDevice(device_));
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const bool half = env_elem_ == Elem::kF16;
  for (size_t i = 0; i < in_.size(); ++i)
    TANDEM_RETURN_IF_ERROR(upload_floats(static_cast<const float*>(inputs[i].data), in_[i].count, half, in_[i].pinned.get(),
                                         in_[i].device, device_, h_.stream, host_threads_));
  if (prof_.timing || prof_.per_op) CUDA_TRY(cudaStreamSynchronize(h_.stream));
  const auto t1 = Clock::now();
  if (prof_.per_op) TANDEM_RETURN_IF_ERROR(run_profiled());
  else CUDA_TRY(cudaGraphLaunch(h_.exec, h_.stream));
  CUDA_TRY(cudaStreamSynchronize(h_.stream));
  const auto t2 = Clock::now();
  for (size_t i = 0; i < out_.size(); ++i) {
    if (out_[i].constant) std::memcpy(outputs[i].data, out_[i].constant->data(), out_[i].constant->nbytes());
    else parallel_memcpy(outputs[i].data, out_[i].pinned.get(), out_[i].count * sizeof(float), host_threads_);
  }
  if (prof_.timing || prof_.per_op) {
    ++prof_.runs;
    prof_.upload_ms += ms_between(t0, t1);
    prof_.graph_ms += ms_between(t1, t2);
    prof_.output_ms += ms_between(t2, Clock::now());
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

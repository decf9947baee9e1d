#include "backends/cuda/cuda_executable.h"

#include <cstring>

#include "backends/cuda/cuda_context.h"
#include "backends/cuda/cuda_schedule.h"

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

struct HostIo {  // one graph input or output: pinned fp32 NCHW staging (+ device fp32 for fp16)
  std::string name;
  Shape shape;
  PinnedMemory pinned;
  void* device_f32 = nullptr;
  size_t bytes = 0;
  const Tensor* constant = nullptr;  // an output that is a graph constant: copied on the host
};

size_t tensor_bytes(const ir::Graph& g, const std::string& name, int elem_size) {
  const ir::ValueInfo* vi = g.info(name);
  return vi ? static_cast<size_t>(shape_numel(vi->shape)) * size_t(elem_size) : 0;
}

class CudaExecutable final : public Executable {
 public:
  Status init(const ir::Graph& g, const UnitOptions& options);
  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) override;

 private:
  Status make_handles();
  Status place_tensors(const ir::Graph& g, BuildContext& ctx, const std::vector<OpInstance>& ops);
  Status add_io_steps(BuildContext& ctx, bool input_side);
  Status run_steps();
  Status capture();

  int device_ = 0;
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
  auto make_io = [&](const std::string& name) -> Result<HostIo> {
    HostIo io;
    io.name = name;
    const ir::ValueInfo* vi = g.info(name);
    if (!vi) return internal_error("cuda: graph input/output '" + name + "' has no shape");
    io.shape = vi->shape;
    io.bytes = size_t(shape_numel(io.shape)) * sizeof(float);
    if ((io.constant = g.constant(name))) return io;
    TANDEM_ASSIGN_OR_RETURN(io.pinned, pinned_alloc(io.bytes));
    if (ctx.elem() == Elem::kF16) {
    TANDEM_ASSIGN_OR_RETURN(io.device_f32, ctx.allocate(io.bytes));
  }
    return io;
  };
  for (const auto& name : g.inputs) {
    TANDEM_ASSIGN_OR_RETURN(auto io, make_io(name));
    in_.push_back(std::move(io));
  }
  for (const auto& name : g.outputs) {
    TANDEM_ASSIGN_OR_RETURN(auto io, make_io(name));
    out_.push_back(std::move(io));
  }
  return Status::ok();
}

// Inputs: pinned -> device (fp32 NCHW), then convert/re-layout when the unit runs fp16.
// Outputs: the reverse.
Status CudaExecutable::add_io_steps(BuildContext& ctx, bool input_side) {
  for (HostIo& io : input_side ? in_ : out_) {
    if (io.constant) continue;
    TANDEM_ASSIGN_OR_RETURN(const DevTensor* t, ctx.tensor(io.name));
    void* host = io.pinned.get();
    const size_t bytes = io.bytes;
    void* dev = t->elem == Elem::kF32 ? t->data : io.device_f32;
    DevTensor staging{io.device_f32, io.shape, false, Elem::kF32};
    if (input_side) {
      ctx.add_step([=](const RunEnv& env) {
        CUDA_TRY(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, env.stream));
        return Status::ok();
      });
      if (t->elem != Elem::kF32) {
        TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(staging, *t));
        ctx.add_step(std::move(s));
      }
    } else {
      if (t->elem != Elem::kF32) {
        TANDEM_ASSIGN_OR_RETURN(Step s, relayout_step(*t, staging));
        ctx.add_step(std::move(s));
      }
      const void* src = dev;
      ctx.add_step([=](const RunEnv& env) {
        CUDA_TRY(cudaMemcpyAsync(host, src, bytes, cudaMemcpyDeviceToHost, env.stream));
        return Status::ok();
      });
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
  const std::vector<OpInstance> ops = schedule_ops(g);
  BuildContext ctx(g, options.precision, env_);
  TANDEM_RETURN_IF_ERROR(place_tensors(g, ctx, ops));
  TANDEM_RETURN_IF_ERROR(add_io_steps(ctx, true));
  for (const OpInstance& op : ops) {
    const CudaOp* entry = find_cuda_op(op.node->op_type);
    TANDEM_RETURN_IF_ERROR(entry->build(ctx, op).with_context(op.label));
  }
  TANDEM_RETURN_IF_ERROR(add_io_steps(ctx, false));
  TANDEM_ASSIGN_OR_RETURN(workspace_, device_alloc(ctx.workspace()));
  env_.workspace = workspace_.get();
  env_.workspace_size = ctx.workspace();
  steps_ = std::move(ctx.steps());
  owned_ = std::move(ctx.owned());
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

Status CudaExecutable::run(std::span<const TensorView> inputs, std::span<const TensorView> outputs) {
  if (inputs.size() != in_.size() || outputs.size() != out_.size())
    return invalid_argument("cuda: expected " + std::to_string(in_.size()) + " inputs and " + std::to_string(out_.size()) +
                            " outputs, got " + std::to_string(inputs.size()) + " and " + std::to_string(outputs.size()));
  auto check = [](const TensorView& v, const HostIo& io) -> Status {
    const DType want = io.constant ? io.constant->dtype() : DType::kFloat32;
    if (v.dtype != want || v.numel() != shape_numel(io.shape))
      return invalid_argument("cuda: tensor '" + io.name + "' must be " + dtype_name(want) + " " + shape_to_string(io.shape) + ", got " +
                              dtype_name(v.dtype) + " " + shape_to_string(v.shape));
    return Status::ok();
  };
  for (size_t i = 0; i < in_.size(); ++i) {
    TANDEM_RETURN_IF_ERROR(check(inputs[i], in_[i]));
    std::memcpy(in_[i].pinned.get(), inputs[i].data, in_[i].bytes);
  }
  for (size_t i = 0; i < out_.size(); ++i) TANDEM_RETURN_IF_ERROR(check(outputs[i], out_[i]));
  CUDA_TRY(cudaSetDevice(device_));
  CUDA_TRY(cudaGraphLaunch(h_.exec, h_.stream));
  CUDA_TRY(cudaStreamSynchronize(h_.stream));
  for (size_t i = 0; i < out_.size(); ++i) {
    if (out_[i].constant) std::memcpy(outputs[i].data, out_[i].constant->data(), out_[i].constant->nbytes());
    else std::memcpy(outputs[i].data, out_[i].pinned.get(), out_[i].bytes);
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

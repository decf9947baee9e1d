// What the CUDA op builders see at compile time: device tensors (in the arena or uploaded
// constants), weight upload, and the step list that run() replays (inside a CUDA graph).
// Layout rule: every float32 tensor is stored in the unit's element type (fp32 or fp16); 4-D
// tensors are NHWC when the precision is fp16 (tensor cores), NCHW otherwise; other ranks are
// row-major in their logical (ONNX) order. The few tensors of other types are stored as their
// type: float16 ones (a Cast to float16: fp16 outputs) as fp16 in the same layout, int64 ones
// (ArgMax) row-major. No op but their producer and the output copy sees them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels/channel_affine.cuh"
#include "backends/cuda/kernels/kernel_types.cuh"

namespace tandem::cuda {

// ---- RAII owners of vendor resources ----
struct DeviceFree { void operator()(void* p) const { cudaFree(p); } };
struct HostFree { void operator()(void* p) const { cudaFreeHost(p); } };
using DeviceMemory = std::unique_ptr<void, DeviceFree>;
using PinnedMemory = std::unique_ptr<void, HostFree>;
Result<DeviceMemory> device_alloc(size_t bytes);
Result<PinnedMemory> pinned_alloc(size_t bytes);

// A tensor on the device. Borrowed pointer: the executable owns the memory.
struct DevTensor {
  void* data = nullptr;
  Shape shape;        // logical (ONNX) shape
  bool nhwc = false;  // 4-D stored as [N, H, W, C]
  Elem elem = Elem::kF32;
  // A view of a channel range of a larger tensor of this shape (concat_views.h: a Concat's output
  // that a later Concat extends, or a Concat's input that its producer writes in place;
  // split_views.h: a Split's channel piece): `data` points at the range's first element, the
  // strides are the larger tensor's. (A packed Split piece is no view here: storage stays empty.) Empty: the tensor
  // is its own, packed. Only ops whose CudaOp::reads_views / ::writes_views is set see views.
  Shape storage;
  bool is_view() const { return !storage.empty(); }
  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * size_t(elem_bytes(elem)); }
};

// Element stride of each logical dim in `t`'s storage (its own, or the tensor it views).
Strides logical_strides(const DevTensor& t);
// Row-major strides of `shape`.
Strides row_major_strides(const Shape& shape);
DevEpilogue to_dev_epilogue(const ir::Epilogue& e);

// What a step gets at run time. The workspace is shared by all steps (they run in order).
struct RunEnv {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  void* workspace = nullptr;
  size_t workspace_size = 0;
  cublasLtHandle_t cublaslt = nullptr;
};
using Step = std::function<Status(const RunEnv&)>;

// One unit of work in the schedule: a node plus what the backend fused into it (a residual
// Add and/or a following activation). `output` is the tensor the fused group produces.
struct OpInstance {
  const ir::Node* node = nullptr;
  std::string residual;  // same-shape tensor added before `act` ("" when none)
  ir::Epilogue act;      // activation of a fused follower node (none when none)
  std::string output;
  std::string label;     // "node 'x' (Conv)+Add+Relu", for errors
  // An activation moved from the producer of input 0 into this op's loads (a depthwise Conv
  // reading Conv -> Clip): `input` is the tensor read instead of node->inputs[0] ("" when none).
  std::string input;
  ir::Epilogue input_act;
  // This Conv's own epilogue (ConvAttrs::epilogue) was moved into its reader's loads.
  bool drop_own_epilogue = false;
  // Concat: which inputs are in its output already, not to be copied (concat_views.h): put there by
  // an earlier Concat whose output is a view of this one's, or written there by their producer.
  // Split: which outputs are views of its input, not to be copied (split_views.h).
  std::vector<bool> in_place;
  bool input_in_place(size_t k) const { return k < in_place.size() && in_place[k]; }
  const std::string& input0() const { return input.empty() ? node->inputs[0] : input; }
};

bool cuda_feature(const BackendDiagnostics& diagnostics, std::string_view feature);  // below

class BuildContext {
 public:
  BuildContext(const ir::Graph& graph, const UnitOptions& options, const RunEnv& env)
      : graph_(graph), precision_(options.precision), diagnostics_(options.diagnostics), env_(env) {}

  const ir::Graph& graph() const { return graph_; }
  Precision precision() const { return precision_; }
  const BackendDiagnostics& diagnostics() const { return diagnostics_; }
  bool feature(std::string_view name) const { return cuda_feature(diagnostics_, name); }
  Elem elem() const { return precision_ == Precision::kFloat16 ? Elem::kF16 : Elem::kF32; }
  bool nhwc_for_rank(size_t rank) const { return precision_ == Precision::kFloat16 && rank == 4; }
  // Handles, usable at build time (algorithm search); the stream is the executable's.
  const RunEnv& env() const { return env_; }

  // The device tensor of `name`: an arena slot, or the constant uploaded (once) in the layout rule.
  Result<const DevTensor*> tensor(const std::string& name);
  const Tensor* constant(const std::string& name) const { return graph_.constant(name); }

  // Uploads bytes / floats (kept as fp32) / floats converted to the unit's element type.
  Result<void*> upload(const void* host, size_t bytes);
  Result<const float*> upload_f32(const std::vector<float>& values);
  Result<void*> upload_elem(const std::vector<float>& values);
  // Scratch device memory owned by the executable (e.g. algorithm search buffers).
  Result<void*> allocate(size_t bytes);

  // Steps carry the label of the op being built (set_label), for the per-op profile.
  void add_step(Step step) {
    steps_.push_back(std::move(step));
    step_labels_.push_back(label_);
  }
  void set_label(std::string label) { label_ = std::move(label); }
  const std::string& label() const { return label_; }
  void need_workspace(size_t bytes) { workspace_ = std::max(workspace_, bytes); }

  // Used by the executable.
  std::map<std::string, DevTensor>& tensors() { return tensors_; }
  std::vector<Step>& steps() { return steps_; }
  std::vector<std::string>& step_labels() { return step_labels_; }
  std::vector<DeviceMemory>& owned() { return owned_; }
  size_t workspace() const { return workspace_; }

 private:
  const ir::Graph& graph_;
  Precision precision_;
  BackendDiagnostics diagnostics_;
  RunEnv env_;
  std::map<std::string, DevTensor> tensors_;
  std::vector<DeviceMemory> owned_;
  std::vector<Step> steps_;
  std::vector<std::string> step_labels_;
  std::string label_;
  size_t workspace_ = 0;
};

// One entry per op type: the claim and the builder share it (cuda_op_table.cpp).
struct CudaOp {
  std::string_view op_type;
  // (nullptr: every node of this type) Narrower claim, with the reason.
  Status (*supports)(const ir::Graph& graph, const ir::Node& node);
  Status (*build)(BuildContext& ctx, const OpInstance& op);
  // Whether build() honours OpInstance::act / ::residual (backend-local fusion).
  bool takes_act = false;
  bool takes_residual = false;
  // Whether build() reads input 0 / writes its output as a view (DevTensor::storage).
  bool reads_views = false;
  bool writes_views = false;
  // Whether build() reads every input as a view too (split_views.h; concat_views.h's chains
  // look at reads_views only).
  bool reads_any_view = false;
};

const CudaOp* find_cuda_op(std::string_view op_type);

// Shared helpers for the op files.
inline Status launch_status(cudaError_t e, const char* kernel) { return cuda_status(e, kernel); }
// A step copying `shape` elements from src (element strides per dim) to dst, converting the
// element type; dims are walked in dst's memory order.
Step copy_step(const void* src, Elem src_elem, const Strides& src_strides, void* dst, Elem dst_elem,
               const Strides& dst_strides, const Shape& shape);
// Copies `src` into `dst` (same element count): a device memcpy when both are stored in the
// same order, else a strided re-layout (NHWC <-> row-major). Used by Reshape and friends.
Result<Step> relayout_step(const DevTensor& src, const DevTensor& dst);
// A step running one channel_affine pass (`what` names it in errors).
Step channel_affine_step(const ChannelAffineArgs& args, Elem elem, const char* what);
// In place on y[0, numel): y = act(y).
Step activation_step(void* y, int64_t numel, const ir::Epilogue& act, Elem elem);
// Optional code paths, by name. Those on by default ("dw-input-act": a producer's activation
// moved into a depthwise conv's loads; "im2col-lt": im2col + cuBLASLt conv plans; "c8-input":
// conv plans on an input padded to 8 channels; "choice-cache": timed choices remembered;
// "conv-fusion": cuDNN fused bias/residual/Relu conv plans; "conv-gemm": 1x1 convs as GEMMs;
// "concat-views": concat_views.h; "split-views": split_views.h; "grouped-im2col": grouped convs
// as im2col + one batched cuBLASLt product, conv_gemm.h) are
// turned off by naming them in BackendDiagnostics::features_off, to compare (the CLI: the
// comma-separated TANDEM_CUDA_OFF); features on trial only when in features_on (TANDEM_CUDA_TRY).
bool cuda_feature(const BackendDiagnostics& diagnostics, std::string_view feature);
// Median time in ms of running `steps` in order on env.stream (after about 2 ms of warm-up runs,
// the reps back to back), for choices measured at compile time. env.workspace must hold what the steps need.
Result<float> time_steps(const RunEnv& env, const std::vector<Step>& steps, int reps = 5);
// Status when a node's output beyond the first is used (Dropout mask, MaxPool indices).
Status only_first_output(const ir::Graph& graph, const ir::Node& node);
// Requires all non-constant inputs and outputs to be float32.
Status float_tensors_only(const ir::Graph& graph, const ir::Node& node);

}  // namespace tandem::cuda

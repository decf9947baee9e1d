#include "backends/cuda/cuda_context.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "backends/cuda/kernels/copy_strided.cuh"

namespace tandem::cuda {

Result<DeviceMemory> device_alloc(size_t bytes) {
  void* p = nullptr;
  CUDA_TRY(cudaMalloc(&p, std::max<size_t>(bytes, 256)));
  return DeviceMemory(p);
}

Result<PinnedMemory> pinned_alloc(size_t bytes) {
  void* p = nullptr;
  CUDA_TRY(cudaMallocHost(&p, std::max<size_t>(bytes, 256)));
  return PinnedMemory(p);
}

Strides row_major_strides(const Shape& shape) {
  Strides s;
  int64_t acc = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    s.s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

Strides logical_strides(const DevTensor& t) {
  const Shape& shape = t.is_view() ? t.storage : t.shape;
  if (!t.nhwc) return row_major_strides(shape);
  const int64_t c = shape[1], h = shape[2], w = shape[3];
  Strides s;
  s.s[0] = h * w * c;
  s.s[1] = 1;
  s.s[2] = w * c;
  s.s[3] = c;
  return s;
}

DevEpilogue to_dev_epilogue(const ir::Epilogue& e) {
  DevEpilogue d;
  d.kind = static_cast<int>(e.kind);  // ir::ActKind order matches DevEpilogue::kind
  d.alpha = e.alpha;
  d.beta = e.beta;
  return d;
}

Step channel_affine_step(const ChannelAffineArgs& args, Elem elem, const char* what) {
  return [args, elem, what](const RunEnv& env) { return cuda_status(launch_channel_affine(args, elem, env.stream), what); };
}

Step activation_step(void* y, int64_t numel, const ir::Epilogue& act, Elem elem) {
  ChannelAffineArgs e;
  e.x = y; e.y = y; e.total = numel; e.act = to_dev_epilogue(act);
  return channel_affine_step(e, elem, "activation");
}

bool cuda_feature(const BackendDiagnostics& d, std::string_view feature) {
  static constexpr std::string_view kOnByDefault[] = {"dw-input-act", "im2col-lt",  "c8-input",    "choice-cache",
                                                      "conv-fusion",  "conv-gemm",  "concat-views",
                                                      "split-views",  "grouped-im2col"};
  for (auto f : kOnByDefault)
    if (f == feature) return !d.is_off(feature);
  return d.is_on(feature);
}

Result<float> time_steps(const RunEnv& env, const std::vector<Step>& steps, int reps) {
  // Candidates are timed back to back after about 2 ms of warm-up runs: timed one run at a time
  // from an idle GPU, they read about 2x their in-graph time on an H200 (its clocks had dropped
  // between compile steps), and more so for compute-bound kernels than for memory-bound ones,
  // which made im2col plans win at compile time and lose in the graph.
  constexpr float kWarmMs = 2.0f;
  constexpr int kMaxWarmRuns = 50;
  std::vector<cudaEvent_t> ev(size_t(reps) + 1, nullptr);
  Status st;
  for (auto& e : ev)
    if (st.is_ok()) st = cuda_status(cudaEventCreate(&e), "cudaEventCreate");
  auto run_all = [&]() -> Status {
    for (const Step& s : steps) TANDEM_RETURN_IF_ERROR(s(env));
    return Status::ok();
  };
  auto elapsed = [&](cudaEvent_t a, cudaEvent_t b) -> float {
    float t = 0.0f;
    if (cudaError_t e = cudaEventSynchronize(b); st.is_ok() && e != cudaSuccess) st = cuda_status(e, "time_steps");
    cudaEventElapsedTime(&t, a, b);
    return t;
  };
  std::vector<float> ms;
  if (st.is_ok()) {  // one run to size the warm-up
    cudaEventRecord(ev[0], env.stream);
    st = run_all();
    cudaEventRecord(ev[1], env.stream);
  }
  if (st.is_ok()) {
    const float once = elapsed(ev[0], ev[1]);
    const int warm = once <= 0.0f ? kMaxWarmRuns : std::min(kMaxWarmRuns, int(kWarmMs / once) + 1);
    for (int r = 0; st.is_ok() && r < warm; ++r) st = run_all();
  }
  if (st.is_ok()) cudaEventRecord(ev[0], env.stream);
  for (int r = 0; st.is_ok() && r < reps; ++r) {
    st = run_all();
    cudaEventRecord(ev[size_t(r) + 1], env.stream);
  }
  for (int r = 0; st.is_ok() && r < reps; ++r) ms.push_back(elapsed(ev[size_t(r)], ev[size_t(r) + 1]));
  cudaStreamSynchronize(env.stream);  // nothing left running on a failed step's buffers
  for (auto e : ev)
    if (e) cudaEventDestroy(e);
  TANDEM_RETURN_IF_ERROR(st);
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

Result<void*> BuildContext::allocate(size_t bytes) {
  TANDEM_ASSIGN_OR_RETURN(auto mem, device_alloc(bytes));
  void* p = mem.get();
  owned_.push_back(std::move(mem));
  return p;
}

Result<void*> BuildContext::upload(const void* host, size_t bytes) {
  TANDEM_ASSIGN_OR_RETURN(void* p, allocate(bytes));
  CUDA_TRY(cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice));
  return p;
}

Result<const float*> BuildContext::upload_f32(const std::vector<float>& values) {
  TANDEM_ASSIGN_OR_RETURN(void* p, upload(values.data(), values.size() * sizeof(float)));
  return static_cast<const float*>(p);
}

Result<void*> BuildContext::upload_elem(const std::vector<float>& values) {
  if (elem() == Elem::kF32) return upload(values.data(), values.size() * sizeof(float));
  std::vector<uint16_t> h(values.size());
  for (size_t i = 0; i < values.size(); ++i) h[i] = float_to_half(values[i]);
  return upload(h.data(), h.size() * sizeof(uint16_t));
}

Result<const DevTensor*> BuildContext::tensor(const std::string& name) {
  auto it = tensors_.find(name);
  if (it != tensors_.end()) return &it->second;
  const Tensor* c = graph_.constant(name);
  if (!c) return internal_error("cuda: tensor '" + name + "' has no device buffer");
  if (c->dtype() != DType::kFloat32 && c->dtype() != DType::kFloat16)
    return unsupported("cuda: constant '" + name + "' is " + dtype_name(c->dtype()) + ", only float is handled");
  DevTensor t;
  t.shape = c->shape();
  t.nhwc = nhwc_for_rank(t.shape.size());
  t.elem = elem();
  // Reorder logical (row-major) values into the storage layout.
  const int64_t n = c->numel();
  std::vector<float> vals(static_cast<size_t>(n));
  Strides dst = logical_strides(t);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, off = 0;
    for (int d = static_cast<int>(t.shape.size()) - 1; d >= 0; --d) {
      off += (rem % t.shape[d]) * dst.s[d];
      rem /= t.shape[d];
    }
    vals[static_cast<size_t>(off)] = static_cast<float>(c->float_at(i));
  }
  TANDEM_ASSIGN_OR_RETURN(t.data, upload_elem(vals));
  return &(tensors_[name] = t);
}

Step copy_step(const void* src, Elem src_elem, const Strides& src_strides, void* dst, Elem dst_elem,
               const Strides& dst_strides, const Shape& shape) {
  const size_t r = shape.size();
  std::vector<int> order(r);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return dst_strides.s[p] > dst_strides.s[q]; });
  StridedShape sh;
  Strides is, os;
  sh.rank = int(r);
  for (size_t i = 0; i < r; ++i) {
    sh.shape[i] = shape[size_t(order[i])];
    is.s[i] = src_strides.s[order[i]];
    os.s[i] = dst_strides.s[order[i]];
  }
  return [=](const RunEnv& env) {
    return cuda_status(launch_copy_strided(src, src_elem, is, dst, dst_elem, os, sh, env.stream), "copy_strided");
  };
}

namespace {
// True when the tensor's storage order equals row-major order of its logical shape.
bool row_major_order(const DevTensor& t) { return !t.nhwc || t.shape[2] * t.shape[3] == 1 || t.shape[1] == 1; }
}  // namespace

Result<Step> relayout_step(const DevTensor& src, const DevTensor& dst) {
  if (src.numel() != dst.numel()) return internal_error("relayout of " + shape_to_string(src.shape) + " into " + shape_to_string(dst.shape));
  if (row_major_order(src) && row_major_order(dst) && src.elem == dst.elem) {
    const void* s = src.data;
    void* d = dst.data;
    const size_t bytes = dst.nbytes();
    return Step([s, d, bytes](const RunEnv& env) {
      if (s != d) CUDA_TRY(cudaMemcpyAsync(d, s, bytes, cudaMemcpyDeviceToDevice, env.stream));
      return Status::ok();
    });
  }
  if (!row_major_order(src) && row_major_order(dst))  // NHWC -> row-major of src's logical shape
    return copy_step(src.data, src.elem, logical_strides(src), dst.data, dst.elem, row_major_strides(src.shape), src.shape);
  if (row_major_order(src) && !row_major_order(dst))  // row-major -> NHWC of dst's logical shape
    return copy_step(src.data, src.elem, row_major_strides(dst.shape), dst.data, dst.elem, logical_strides(dst), dst.shape);
  if (src.shape == dst.shape) return copy_step(src.data, src.elem, logical_strides(src), dst.data, dst.elem, logical_strides(dst), src.shape);
  return unsupported("reshape between two different NHWC 4-D shapes " + shape_to_string(src.shape) + " -> " + shape_to_string(dst.shape));
}

Status only_first_output(const ir::Graph& graph, const ir::Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty() && graph.use_count(node.outputs[i]) > 0)
      return unsupported("output " + std::to_string(i) + " ('" + node.outputs[i] + "') is used; cuda computes only the first");
  return Status::ok();
}

Status float_tensors_only(const ir::Graph& graph, const ir::Node& node) {
  auto check = [&](const std::string& name) -> Status {
    if (name.empty() || graph.is_constant(name)) return Status::ok();
    const ir::ValueInfo* vi = graph.info(name);
    if (!vi) return unsupported("tensor '" + name + "' has no type/shape info");
    if (vi->dtype != DType::kFloat32) return unsupported("tensor '" + name + "' is " + dtype_name(vi->dtype) + "; cuda runs float32 tensors only");
    if (!vi->fully_known()) return unsupported("tensor '" + name + "' has an unknown shape");
    if (vi->shape.size() > static_cast<size_t>(kMaxRank)) return unsupported("tensor '" + name + "' has rank > 6");
    return Status::ok();
  };
  for (const auto& in : node.inputs) TANDEM_RETURN_IF_ERROR(check(in));
  if (!node.outputs.empty()) TANDEM_RETURN_IF_ERROR(check(node.outputs[0]));
  return Status::ok();
}

}  // namespace tandem::cuda

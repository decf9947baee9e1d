// Conv: depthwise through our kernel (NHWC for fp16, NCHW for fp32/tf32; bias + activation fused,
// one pass). Every other conv gets the fastest of several plans, timed on the real buffers at
// compile time: cuDNN's conv (the algorithm its Find measures fastest) + one channel_affine pass
// for bias + residual + activation; cuDNN's fused conv + bias + residual + Relu; and on NHWC data
// a cuBLASLt product with those in its epilogue, directly for 1x1 convs or after im2col
// (conv_gemm.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include "backends/cuda/choice_cache.h"
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/channel_affine.cuh"
#include "backends/cuda/kernels/depthwise_conv.cuh"
#include "backends/cuda/ops/conv_gemm.h"
#include "backends/cuda/ops/cudnn_conv_desc.h"

namespace tandem::cuda {
namespace {

struct CudnnConv : ConvDescriptors {
  cudnnTensorDescriptor_t b = nullptr;
  cudnnActivationDescriptor_t act = nullptr;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspace = 0;
  ~CudnnConv() {
    if (b) cudnnDestroyTensorDescriptor(b);
    if (act) cudnnDestroyActivationDescriptor(act);
  }
};

// The node's attributes, without its own epilogue when the schedule moved that into the reader.
ir::ConvAttrs conv_attrs(const OpInstance& op) {
  ir::ConvAttrs a = std::get<ir::ConvAttrs>(op.node->attrs);
  if (op.drop_own_epilogue) a.epilogue = {};
  return a;
}

// The conv problem, for the choice cache: element type and math, layout, shapes, geometry.
std::string conv_key(const BuildContext& ctx, const ir::ConvAttrs& a, const DevTensor& x, const DevTensor& y,
                     const Shape& wshape) {
  std::ostringstream k;
  auto list = [&](const std::vector<int64_t>& v) {
    for (int64_t e : v) k << e << ',';
  };
  k << "conv p" << int(ctx.precision()) << (x.nhwc ? " nhwc" : " nchw") << " x" << shape_to_string(x.shape) << " y"
    << shape_to_string(y.shape) << " w" << shape_to_string(wshape) << " pads";
  list(a.pads);
  k << " strides";
  list(a.strides);
  k << " dil";
  list(a.dilations);
  k << " g" << a.group;
  return k.str();
}

Status supports_conv(const ir::Graph& graph, const ir::Node& node) {
  TANDEM_RETURN_IF_ERROR(float_tensors_only(graph, node));
  const auto& a = std::get<ir::ConvAttrs>(node.attrs);
  if (a.kernel_shape.size() != 2) return unsupported("only 2-D Conv (got " + std::to_string(a.kernel_shape.size()) + "-D)");
  if (node.inputs.size() < 2 || !graph.is_constant(node.inputs[1])) return unsupported("Conv weight must be a constant");
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && !graph.is_constant(node.inputs[2]))
    return unsupported("Conv bias must be a constant");
  if (a.pads.size() != 4) return internal_error("Conv pads not normalised");
  return Status::ok();
}

// Weights as host floats: OIHW (fp32 path) or OHWI (NHWC fp16 path), or [KH][KW][C] depthwise.
std::vector<float> weight_values(const Tensor& w, bool ohwi, bool depthwise) {
  const auto& s = w.shape();
  const int64_t o = s[0], i = s[1], kh = s[2], kw = s[3];
  std::vector<float> v(static_cast<size_t>(w.numel()));
  for (int64_t a = 0; a < o; ++a)
    for (int64_t b = 0; b < i; ++b)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          const int64_t src = ((a * i + b) * kh + y) * kw + x;
          int64_t dst = src;
          if (depthwise) dst = (y * kw + x) * o + a;
          else if (ohwi) dst = ((a * kh + y) * kw + x) * i + b;
          v[static_cast<size_t>(dst)] = static_cast<float>(w.float_at(src));
        }
  return v;
}

Result<std::vector<float>> bias_values(BuildContext& ctx, const ir::Node& node, int64_t channels) {
  if (node.inputs.size() < 3 || node.inputs[2].empty()) return std::vector<float>{};
  const Tensor* b = ctx.constant(node.inputs[2]);
  if (b->numel() != channels) return invalid_argument("Conv bias has " + std::to_string(b->numel()) + " values, expected " + std::to_string(channels));
  std::vector<float> v(static_cast<size_t>(channels));
  for (int64_t i = 0; i < channels; ++i) v[static_cast<size_t>(i)] = static_cast<float>(b->float_at(i));
  return v;
}

Status build_depthwise(BuildContext& ctx, const OpInstance& op, const DevTensor& x, const DevTensor& y,
                       const DevTensor* res) {
  const ir::ConvAttrs a = conv_attrs(op);
  const Tensor* w = ctx.constant(op.node->inputs[1]);
  // NHWC wants [KH][KW][C]; NCHW keeps the ONNX [C][1][KH][KW] order.
  TANDEM_ASSIGN_OR_RETURN(void* wd, ctx.upload_elem(weight_values(*w, x.nhwc, x.nhwc)));
  TANDEM_ASSIGN_OR_RETURN(auto bias, bias_values(ctx, *op.node, y.shape[1]));
  const float* bd = nullptr;
  if (!bias.empty()) {
    TANDEM_ASSIGN_OR_RETURN(bd, ctx.upload_f32(bias));
  }
  DepthwiseArgs d;
  d.x = x.data; d.w = wd; d.bias = bd; d.y = y.data;
  // Logical [N, C, H, W] shapes whatever the storage order.
  d.n = int(x.shape[0]); d.c = int(x.shape[1]); d.h = int(x.shape[2]); d.w_in = int(x.shape[3]);
  d.oh = int(y.shape[2]); d.ow = int(y.shape[3]);
  d.kh = int(a.kernel_shape[0]); d.kw = int(a.kernel_shape[1]);
  d.stride_h = int(a.strides[0]); d.stride_w = int(a.strides[1]);
  d.pad_t = int(a.pads[0]); d.pad_l = int(a.pads[1]);
  d.dil_h = int(a.dilations[0]); d.dil_w = int(a.dilations[1]);
  const bool fuse_act = !res;  // with a residual, the activation runs after the add
  d.act = to_dev_epilogue(fuse_act ? (a.epilogue.is_none() ? op.act : a.epilogue) : a.epilogue);
  d.in_act = to_dev_epilogue(op.input_act);
  const Elem e = ctx.elem();
  if (x.nhwc) {
    ctx.add_step([d, e](const RunEnv& env) { return launch_status(launch_depthwise_nhwc(d, e, env.stream), "depthwise_nhwc"); });
  } else {
    ctx.add_step([d](const RunEnv& env) { return launch_status(launch_depthwise_nchw_f32(d, env.stream), "depthwise_nchw"); });
  }
  if (res) {
    ChannelAffineArgs c;
    c.x = y.data; c.y = y.data; c.residual = res->data; c.total = y.numel(); c.act = to_dev_epilogue(op.act);
    ctx.add_step(channel_affine_step(c, e, "channel_affine"));
  }
  return Status::ok();
}

Result<std::shared_ptr<CudnnConv>> make_descriptors(BuildContext& ctx, const ir::ConvAttrs& a, const DevTensor& x,
                                                     const DevTensor& y, const Shape& wshape) {
  auto c = std::make_shared<CudnnConv>();
  TANDEM_RETURN_IF_ERROR(set_conv_descriptors(*c, ctx.precision(), x.nhwc, x.shape, y.shape, wshape, a.pads,
                                              a.strides, a.dilations, a.group));
  return c;
}

// Measures the candidate algorithms on the real buffers and keeps the fastest that fits (or the one
// this process chose before for `key`).
Status choose_algorithm(BuildContext& ctx, CudnnConv& c, const DevTensor& x, const void* w, const DevTensor& y,
                        const std::string& key) {
  if (auto known = remembered_choice(ctx.diagnostics(), "find " + key)) {
    int algo = -1, math = -1;
    size_t ws = 0;
    std::istringstream(*known) >> algo >> math;
    if (algo >= 0 && math >= 0 &&
        cudnnSetConvolutionMathType(c.conv, cudnnMathType_t(math)) == CUDNN_STATUS_SUCCESS &&
        cudnnGetConvolutionForwardWorkspaceSize(ctx.env().cudnn, c.x, c.w, c.conv, c.y, cudnnConvolutionFwdAlgo_t(algo),
                                                &ws) == CUDNN_STATUS_SUCCESS) {
      c.algo = cudnnConvolutionFwdAlgo_t(algo);
      c.workspace = ws;
      return Status::ok();
    }
  }
  TANDEM_ASSIGN_OR_RETURN(SearchWorkspace search, algorithm_search_workspace());
  const size_t limit = search.bytes;
  constexpr int kAlgos = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  cudnnConvolutionFwdAlgoPerf_t perf[kAlgos];
  int found = 0;
  CUDNN_TRY(cudnnFindConvolutionForwardAlgorithmEx(ctx.env().cudnn, c.x, x.data, c.w, w, c.conv, c.y, y.data, kAlgos,
                                                   &found, perf, search.memory.get(), limit));
  // Find times each algorithm once, in whatever clock state the GPU is: at batch 1 on an H200 its
  // ranking of cuDNN's grouped kernels changed from process to process (the algorithm kept for
  // ResNeXt-50's first grouped conv ran 38 us in one process, 230 us in another, 2026-12-03).
  // Its best few are timed again warm (time_steps), and the fastest of those is kept.
  constexpr int kRetimed = 3;
  std::vector<int> usable;
  for (int i = 0; i < found && int(usable.size()) < kRetimed; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= limit) usable.push_back(i);
  if (usable.empty()) return internal_error("cudnnFindConvolutionForwardAlgorithmEx found no algorithm that runs");
  int best = usable[0];
  std::string warm_log;
  if (usable.size() > 1) {
    RunEnv env = ctx.env();
    env.workspace = search.memory.get();
    env.workspace_size = limit;
    float best_ms = 0.0f;
    bool timed = false;
    for (int i : usable) {
      const cudnnConvolutionFwdAlgoPerf_t p = perf[i];
      const Step run = [&c, &x, w, &y, p](const RunEnv& e) {
        const float one = 1.0f, zero = 0.0f;
        CUDNN_TRY(cudnnSetConvolutionMathType(c.conv, p.mathType));
        CUDNN_TRY(cudnnConvolutionForward(e.cudnn, &one, c.x, x.data, c.w, w, c.conv, p.algo, e.workspace, p.memory,
                                          &zero, c.y, y.data));
        return Status::ok();
      };
      Result<float> ms = time_steps(env, {run});
      cudaGetLastError();  // a refused configuration: clear a launch error, keep the others
      if (!ms.is_ok()) continue;
      warm_log += " algo" + std::to_string(int(p.algo)) + "/math" + std::to_string(int(p.mathType)) + "=" +
                  std::to_string(*ms * 1000.0f) + "us";
      if (!timed || *ms < best_ms) {
        timed = true;
        best_ms = *ms;
        best = i;
      }
    }
  }
  if (ctx.diagnostics().log_choices) {
    std::string log;
    for (int i = 0; i < found && i < 4; ++i)
      log += " algo" + std::to_string(int(perf[i].algo)) + "/math" + std::to_string(int(perf[i].mathType)) + "=" +
             (perf[i].status == CUDNN_STATUS_SUCCESS ? std::to_string(perf[i].time * 1000.0f) + "us" : "n/a");
    std::fprintf(stderr, "tandem-cuda-conv: %s find x%s y%s:%s%s%s\n", ctx.label().c_str(), shape_to_string(x.shape).c_str(),
                 shape_to_string(y.shape).c_str(), log.c_str(), warm_log.empty() ? "" : "; warm:", warm_log.c_str());
  }
  // Run it as measured: Find may report an algorithm under another math type than the
  // descriptor's (e.g. default math for fp16), and its workspace size is for that one.
  CUDNN_TRY(cudnnSetConvolutionMathType(c.conv, perf[best].mathType));
  c.algo = perf[best].algo;
  c.workspace = perf[best].memory;
  remember_choice(ctx.diagnostics(), "find " + key, std::to_string(int(perf[best].algo)) + " " + std::to_string(int(perf[best].mathType)));
  return Status::ok();
}

// Conv + bias (+ residual z) (+ Relu) in one cuDNN call, y = act(conv(x) + z + bias), rounded to
// the element type once, with algorithm `algo`; any other activation runs after it in one pass.
// Empty when cuDNN has no workspace size for it; a configuration cuDNN refuses at run time is
// dropped when fastest_plan() times it.
Result<std::optional<ConvPlan>> fused_plan(BuildContext& ctx, const std::shared_ptr<CudnnConv>& c,
                                           cudnnConvolutionFwdAlgo_t algo, const ir::Epilogue& act, const void* x,
                                           const void* w, const void* bias, const void* z, void* y,
                                           int64_t numel) {
  size_t ws = 0;
  if (cudnnGetConvolutionForwardWorkspaceSize(ctx.env().cudnn, c->x, c->w, c->conv, c->y, algo, &ws) !=
      CUDNN_STATUS_SUCCESS)
    return std::optional<ConvPlan>{};
  ConvPlan p;
  p.workspace = ws;
  p.name = algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ? "fused-precomp" : "fused";
  p.steps.push_back([c, algo, ws, x, w, bias, z, y](const RunEnv& env) {
    const float one = 1.0f, zero = 0.0f;
    CUDNN_TRY(cudnnConvolutionBiasActivationForward(env.cudnn, &one, c->x, x, c->w, w, c->conv, algo, env.workspace,
                                                    ws, z ? &one : &zero, c->y, z ? z : y, c->b, bias, c->act, c->y,
                                                    y));
    return Status::ok();
  });
  if (act.kind != ir::ActKind::kRelu && !act.is_none()) {
    p.steps.push_back(activation_step(y, numel, act, ctx.elem()));
  }
  return std::optional<ConvPlan>(std::move(p));
}

// cuDNN's conv (measured algorithm), then one channel_affine pass for bias + residual + activation.
ConvPlan unfused_plan(BuildContext& ctx, const std::shared_ptr<CudnnConv>& c, const float* bias, const ir::Epilogue& act,
                      const void* x, const void* w, const DevTensor& y, const DevTensor* res) {
  ConvPlan p;
  p.workspace = c->workspace;
  p.name = "conv+epilogue";
  void* yd = y.data;
  p.steps.push_back([c, x, w, yd](const RunEnv& env) {
    const float one = 1.0f, zero = 0.0f;
    CUDNN_TRY(cudnnConvolutionForward(env.cudnn, &one, c->x, x, c->w, w, c->conv, c->algo, env.workspace,
                                      c->workspace, &zero, c->y, yd));
    return Status::ok();
  });
  if (!bias && act.is_none() && !res) return p;
  ChannelAffineArgs e;
  e.x = yd; e.y = yd; e.residual = res ? res->data : nullptr; e.bias = bias;
  e.total = y.numel(); e.channels = y.shape[1]; e.inner = y.nhwc ? 1 : y.shape[2] * y.shape[3];
  e.act = to_dev_epilogue(act);
  const Elem el = ctx.elem();
  p.steps.push_back(channel_affine_step(e, el, "channel_affine"));
  return p;
}

// The fastest plan, timed on the real buffers (or the one this process chose before for `key` and
// the same candidates). A plan whose steps fail (cuDNN refusing a configuration at run time) is
// dropped; an error only when every plan fails.
Result<ConvPlan> fastest_plan(BuildContext& ctx, std::vector<ConvPlan> plans, std::string key) {
  if (plans.size() == 1) return std::move(plans[0]);
  const std::string& force = ctx.diagnostics().force_conv_plan;
  const bool forced = !force.empty();
  for (const auto& p : plans) key += " " + p.name;
  if (auto known = remembered_choice(ctx.diagnostics(), "plan " + key); known && !forced) {
    for (auto& p : plans)
      if (p.name == *known) {
        if (ctx.diagnostics().log_choices)
          std::fprintf(stderr, "tandem-cuda-conv: %s: chosen before -> %s\n", ctx.label().c_str(), p.name.c_str());
        return std::move(p);
      }
  }
  size_t ws = 0;
  for (const auto& p : plans) ws = std::max(ws, p.workspace);
  TANDEM_ASSIGN_OR_RETURN(auto scratch, device_alloc(ws));
  RunEnv env = ctx.env();
  env.workspace = scratch.get();
  env.workspace_size = ws;
  size_t best = 0;
  float best_ms = 0.0f;
  bool found = false;
  Status first_error;
  std::string log;
  std::vector<bool> ran(plans.size(), false);
  for (size_t i = 0; i < plans.size(); ++i) {
    Result<float> ms = time_steps(env, plans[i].steps);
    ran[i] = ms.is_ok();
    if (!ms.is_ok()) {
      if (first_error.is_ok()) first_error = ms.status();
      log += std::string(" ") + plans[i].name + "=failed(" + ms.status().message() + ")";
      cudaGetLastError();  // a refused configuration leaves no sticky error; clear a launch one
      continue;
    }
    log += std::string(" ") + plans[i].name + "=" + std::to_string(*ms * 1000.0f) + "us";
    if (!found || *ms < best_ms) {
      found = true;
      best = i;
      best_ms = *ms;
    }
  }
  if (!found) return first_error;
  if (!forced) remember_choice(ctx.diagnostics(), "plan " + key, plans[best].name);
  // TANDEM_CUDA_CONV_PLAN=<name prefix> forces that kind of plan where one ran (tests use it to
  // check every kind, not only the one this GPU finds fastest); the cache neither serves nor keeps it.
  if (forced) {
    for (size_t i = 0; i < plans.size(); ++i)
      if (ran[i] && plans[i].name.rfind(force, 0) == 0) {
        best = i;
        break;
      }
  }
  if (ctx.diagnostics().log_choices)
    std::fprintf(stderr, "tandem-cuda-conv: %s:%s -> %s\n", ctx.label().c_str(), log.c_str(), plans[best].name.c_str());
  return std::move(plans[best]);
}

// Asymmetric pads (TF/paddle "SAME"): x is copied each run into the interior of a buffer whose
// zero border (written once) holds the pads; the conv then runs with no padding.
Result<DevTensor> padded_input(BuildContext& ctx, const ir::ConvAttrs& a, const DevTensor& x) {
  DevTensor p = x;
  p.shape[2] += a.pads[0] + a.pads[2];
  p.shape[3] += a.pads[1] + a.pads[3];
  TANDEM_ASSIGN_OR_RETURN(p.data, ctx.allocate(p.nbytes()));
  CUDA_TRY(cudaMemset(p.data, 0, p.nbytes()));
  const Strides ps = logical_strides(p);
  const size_t esize = x.elem == Elem::kF16 ? 2 : 4;
  void* interior = static_cast<char*>(p.data) + size_t(a.pads[0] * ps.s[2] + a.pads[1] * ps.s[3]) * esize;
  ctx.add_step(copy_step(x.data, x.elem, logical_strides(x), interior, p.elem, ps, x.shape));
  return p;
}

// The candidate plans of one cuDNN-descriptor conv of x (NHWC: w_host in OHWI order) into y.
// With `packed` (y is a view, concat_views.h), cuDNN's plans write `packed` and copy it into y
// ("+copy"); the cuBLASLt plans write y with its row stride.
Result<std::vector<ConvPlan>> cudnn_plans(BuildContext& ctx, const ir::ConvAttrs& a, const DevTensor& x,
                                          const std::vector<float>& w_host, const Shape& wshape, const DevBias& db,
                                          const DevTensor* res, const ir::Epilogue& act, const DevTensor& y_out,
                                          const DevTensor* packed = nullptr) {
  const DevTensor& y = packed ? *packed : y_out;
  TANDEM_ASSIGN_OR_RETURN(void* wd, ctx.upload_elem(w_host));
  TANDEM_ASSIGN_OR_RETURN(auto c, make_descriptors(ctx, a, x, y, wshape));
  TANDEM_RETURN_IF_ERROR(choose_algorithm(ctx, *c, x, wd, y, conv_key(ctx, a, x, y, wshape)));
  std::vector<ConvPlan> plans;
  plans.push_back(unfused_plan(ctx, c, db.f32, act, x.data, wd, y, res));
  // Fused candidates: bias (zeros when the node has none) + residual + Relu inside the conv.
  // cuDNN runs an IDENTITY activation only with IMPLICIT_PRECOMP_GEMM; with RELU the measured
  // algorithm is tried too. Which is fastest depends on shape and batch (at batch 1 the fused
  // kernels can be several times slower), so all are timed.
  if ((db.f32 || res) && ctx.feature("conv-fusion")) {
    const bool relu = act.kind == ir::ActKind::kRelu;
    const cudnnDataType_t dt = ctx.elem() == Elem::kF16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    CUDNN_TRY(cudnnCreateTensorDescriptor(&c->b));
    CUDNN_TRY(cudnnSetTensor4dDescriptor(c->b, CUDNN_TENSOR_NCHW, dt, 1, int(y.shape[1]), 1, 1));
    CUDNN_TRY(cudnnCreateActivationDescriptor(&c->act));
    CUDNN_TRY(cudnnSetActivationDescriptor(c->act, relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
                                           CUDNN_NOT_PROPAGATE_NAN, 0.0));
    const void* bd = db.elem;  // cuDNN's fused call needs a bias: zeros when the node has none
    if (!bd) {
      TANDEM_ASSIGN_OR_RETURN(bd, ctx.upload_elem(std::vector<float>(size_t(y.shape[1]), 0.0f)));
    }
    const void* zd = res ? res->data : nullptr;
    std::vector<cudnnConvolutionFwdAlgo_t> algos{CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM};
    if (relu && c->algo != algos[0]) algos.push_back(c->algo);
    for (auto algo : algos) {
      TANDEM_ASSIGN_OR_RETURN(auto fused, fused_plan(ctx, c, algo, act, x.data, wd, bd, zd, y.data, y.numel()));
      if (fused) plans.push_back(std::move(*fused));
    }
  }
  if (packed) {
    for (auto& p : plans) {
      p.steps.push_back(copy_step(packed->data, packed->elem, logical_strides(*packed), y_out.data, y_out.elem,
                                  logical_strides(y_out), y_out.shape));
      p.name += "+copy";
    }
  }
  // On NHWC data, a cuBLASLt product with bias + residual + Relu in its epilogue: directly for a
  // 1x1 conv, after im2col into the workspace for any other (3x3, 7x7, strided 1x1) where
  // conv_can_im2col() says it pays.
  if (ctx.feature("conv-gemm")) {
    std::vector<ConvPlan> gemms;
    if (conv_is_nhwc_gemm(a, x, y_out)) {
      TANDEM_ASSIGN_OR_RETURN(gemms, nhwc_gemm_plans(ctx, x, wd, db, res, act, y_out));
    } else if (ctx.feature("im2col-lt") && conv_can_im2col(a, x, y_out) && (a.group == 1 || ctx.feature("grouped-im2col"))) {
      TANDEM_ASSIGN_OR_RETURN(gemms, im2col_gemm_plans(ctx, a, x, w_host, wd, db, res, act, y_out));
    }
    for (auto& g : gemms) plans.push_back(std::move(g));
  }
  return plans;
}

// x with its channels padded by zeros to a multiple of 8 (NHWC fp16): the copy runs each time,
// the zeros are written once. `memory` holds the buffer; the caller keeps it only if a plan
// that reads it is chosen (205 MB at batch 256 for a 224x224 stem).
struct ChannelPadded {
  DevTensor x;
  Step copy;
  DeviceMemory memory;
};

Result<ChannelPadded> channel_padded(const DevTensor& x) {
  ChannelPadded p;
  p.x = x;
  p.x.shape[1] = (x.shape[1] + 7) / 8 * 8;
  TANDEM_ASSIGN_OR_RETURN(p.memory, device_alloc(p.x.nbytes()));
  p.x.data = p.memory.get();
  CUDA_TRY(cudaMemset(p.x.data, 0, p.x.nbytes()));
  p.copy = copy_step(x.data, x.elem, logical_strides(x), p.x.data, p.x.elem, logical_strides(p.x), x.shape);
  return p;
}

Status build_cudnn(BuildContext& ctx, const OpInstance& op, const DevTensor& x_in, const DevTensor& y, const DevTensor* res) {
  ir::ConvAttrs a = conv_attrs(op);
  DevTensor x = x_in;
  if (a.pads[0] != a.pads[2] || a.pads[1] != a.pads[3]) {
    TANDEM_ASSIGN_OR_RETURN(x, padded_input(ctx, a, x_in));
    a.pads = {0, 0, 0, 0};
  }
  const Tensor* w = ctx.constant(op.node->inputs[1]);
  const std::vector<float> w_host = weight_values(*w, x.nhwc, false);
  TANDEM_ASSIGN_OR_RETURN(auto bias, bias_values(ctx, *op.node, y.shape[1]));
  const ir::Epilogue act = a.epilogue.is_none() ? op.act : a.epilogue;
  // The bias on the device once for every plan: fp32 and in the unit's element type.
  DevBias db;
  if (!bias.empty()) {
    TANDEM_ASSIGN_OR_RETURN(db.f32, ctx.upload_f32(bias));
    if (ctx.elem() == Elem::kF32) {
      db.elem = db.f32;
    } else {
      TANDEM_ASSIGN_OR_RETURN(db.elem, ctx.upload_elem(bias));
    }
  }
  // A view of a Concat's channels (concat_views.h): cuDNN writes a packed buffer, kept only if one
  // of its plans is chosen, and the result is copied in.
  DevTensor packed;
  DeviceMemory packed_memory;
  if (y.is_view()) {
    packed = y;
    packed.storage = {};
    TANDEM_ASSIGN_OR_RETURN(packed_memory, device_alloc(packed.nbytes()));
    packed.data = packed_memory.get();
  }
  TANDEM_ASSIGN_OR_RETURN(auto plans, cudnn_plans(ctx, a, x, w_host, w->shape(), db, res, act, y,
                                                  y.is_view() ? &packed : nullptr));
  // fp16 NHWC with C % 8 != 0 (an RGB stem): cuDNN has no tensor-core kernel for it, and its FMA
  // kernels took 12 ms for ResNet-50's 7x7 stem at batch 1024 on an H200. The same conv on the
  // input copied into 8 channels (zero channels and zero weights after C) is timed too ("c8-").
  ChannelPadded padded;
  if (x.nhwc && x.elem == Elem::kF16 && a.group == 1 && x.shape[1] % 8 != 0 && ctx.feature("c8-input") && !y.is_view()) {
    TANDEM_ASSIGN_OR_RETURN(padded, channel_padded(x));
    const int64_t c = x.shape[1], c8 = padded.x.shape[1];
    Shape ws8 = w->shape();
    ws8[1] = c8;
    TANDEM_ASSIGN_OR_RETURN(auto plans8, cudnn_plans(ctx, a, padded.x, pad_rows(w_host, c, c8), ws8, db, res, act, y));
    for (auto& p : plans8) {
      p.name = "c8-" + p.name;
      p.steps.insert(p.steps.begin(), padded.copy);
      plans.push_back(std::move(p));
    }
  }
  // The plan's key adds what changes the candidates' cost: bias, residual, activation.
  const std::string key = conv_key(ctx, a, x, y, w->shape()) + (bias.empty() ? "" : " bias") + (res ? " res" : "") +
                          " act" + std::to_string(int(act.kind)) +
                          (y.is_view() ? " view" + std::to_string(y.storage[1]) : "");
  TANDEM_ASSIGN_OR_RETURN(ConvPlan best, fastest_plan(ctx, std::move(plans), key));
  if (best.name.rfind("c8-", 0) == 0) ctx.owned().push_back(std::move(padded.memory));
  if (best.name.size() > 5 && best.name.compare(best.name.size() - 5, 5, "+copy") == 0)
    ctx.owned().push_back(std::move(packed_memory));
  ctx.set_label(ctx.label() + " " + best.name);
  ctx.need_workspace(best.workspace);
  for (auto& s : best.steps) ctx.add_step(std::move(s));
  return Status::ok();
}

Status build_conv(BuildContext& ctx, const OpInstance& op) {
  const ir::ConvAttrs a = conv_attrs(op);
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* x, ctx.tensor(op.input0()));
  TANDEM_ASSIGN_OR_RETURN(const DevTensor* y, ctx.tensor(op.output));
  const DevTensor* res = nullptr;
  if (!op.residual.empty()) {
    TANDEM_ASSIGN_OR_RETURN(res, ctx.tensor(op.residual));
  }
  if (!a.epilogue.is_none() && (res || !op.act.is_none()))
    return internal_error("Conv with its own epilogue was fused with a residual/activation");
  const Tensor* w = ctx.constant(op.node->inputs[1]);
  const bool depthwise = a.group == x->shape[1] && w->shape()[0] == a.group && w->shape()[1] == 1;
  // Our kernel covers NHWC (either element type) and NCHW fp32, i.e. every unit's 4-D layout.
  if (depthwise && (x->nhwc || x->elem == Elem::kF32) && x->nhwc == y->nhwc && !y->is_view()) {
    ctx.set_label(ctx.label() + " depthwise");
    return build_depthwise(ctx, op, *x, *y, res);
  }
  if (!op.input_act.is_none())
    return internal_error("an activation was moved into a Conv that does not run on the depthwise kernel");
  ctx.set_label(ctx.label() + (a.group > 1 ? " cudnn-grouped" : " cudnn"));
  return build_cudnn(ctx, op, *x, *y, res);
}

}  // namespace

extern const CudaOp kCudaConv{"Conv", supports_conv, build_conv, true, true, false, true};

}  // namespace tandem::cuda

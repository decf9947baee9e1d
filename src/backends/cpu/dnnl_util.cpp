#include "backends/cpu/dnnl_util.h"

#include <algorithm>

namespace tandem::cpu {

Status dnnl_error_status(const std::string& what, const std::exception& e) {
  if (const auto* de = dynamic_cast<const dnnl::error*>(&e)) {
    if (de->status == dnnl_unimplemented) return unsupported(what + ": oneDNN has no implementation (" + de->what() + ")");
    return internal_error(what + ": oneDNN error " + std::to_string(static_cast<int>(de->status)) + " (" + de->what() + ")");
  }
  return internal_error(what + ": " + e.what());
}

Dims to_dims(const Shape& s) {
  if (s.empty()) return {1};
  return Dims(s.begin(), s.end());
}

Md plain_md(const Dims& in) {
  const Dims dims = in.empty() ? Dims{1} : in;
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * std::max<int64_t>(dims[i + 1], 1);
  return Md(dims, dnnl::memory::data_type::f32, strides);
}

Md any_md(const Dims& dims) { return Md(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any); }

bool is_plain(const Md& md) { return md == plain_md(md.dims()); }

Md channels_last_md(const Dims& dims) {
  using T = dnnl::memory::format_tag;
  switch (dims.size()) {
    case 3: return Md(dims, dnnl::memory::data_type::f32, T::acb);
    case 4: return Md(dims, dnnl::memory::data_type::f32, T::acdb);
    case 5: return Md(dims, dnnl::memory::data_type::f32, T::acdeb);
    default: return plain_md(dims);
  }
}

bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

Md host_md(const Shape& shape, DType dtype) {
  if (dtype == DType::kFloat32) return plain_md(to_dims(shape));
  const int64_t bytes = shape_numel(shape) * static_cast<int64_t>(dtype_size(dtype));
  return Md(Dims{std::max<int64_t>(bytes, 1)}, dnnl::memory::data_type::u8, Dims{1});
}

Dims plain_strides(const Dims& dims) {
  const Md md = plain_md(dims);
  const auto& s = md.data.format_desc.blocking.strides;
  return Dims(s, s + md.data.ndims);
}

Md strided_part_md(const Dims& full, const Dims& dims, const Dims& offsets, const Dims& steps) {
  const Dims whole = plain_strides(full);
  Dims strides(dims.size());
  int64_t offset = 0;
  for (size_t d = 0; d < dims.size(); ++d) {
    strides[d] = dims[d] == 1 ? whole[d] : whole[d] * steps[d];  // any stride reads one element
    offset += offsets[d] * whole[d];
  }
  Md md(dims, dnnl::memory::data_type::f32, strides);
  md.data.offset0 = offset;
  return md;
}

std::vector<StridedPiece> strided_pieces(const Dims& full, const Dims& dims, const Dims& steps) {
  std::vector<StridedPiece> pieces{{dims, Dims(dims.size(), 0)}};
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] < 2 || dims[d] * steps[d] <= full[d]) continue;
    std::vector<StridedPiece> cut;
    for (const StridedPiece& p : pieces) {
      StridedPiece head = p, last = p;
      head.dims[d] = dims[d] - 1;
      last.dims[d] = 1;
      last.at[d] = dims[d] - 1;
      cut.push_back(head);
      cut.push_back(last);
    }
    pieces = std::move(cut);
  }
  return pieces;
}

size_t strided_extent(const Md& md) {
  const auto& blk = md.data.format_desc.blocking;
  if (md.data.format_kind != dnnl_blocked || blk.inner_nblks != 0) return 0;
  int64_t last = md.data.offset0;
  for (int d = 0; d < md.data.ndims; ++d) {
    if (md.data.dims[d] == 0) return 0;
    last += (md.data.dims[d] - 1) * blk.strides[d];
  }
  return static_cast<size_t>(last + 1) * sizeof(float);
}

Result<std::vector<EltwiseStep>> eltwise_steps(const ir::Epilogue& e) {
  using A = dnnl::algorithm;
  switch (e.kind) {
    case ir::ActKind::kNone: return std::vector<EltwiseStep>{};
    case ir::ActKind::kRelu: return std::vector<EltwiseStep>{{A::eltwise_relu, 0.0f, 0.0f}};
    case ir::ActKind::kLeakyRelu: return std::vector<EltwiseStep>{{A::eltwise_relu, e.alpha, 0.0f}};
    case ir::ActKind::kClip: return std::vector<EltwiseStep>{{A::eltwise_clip, e.alpha, e.beta}};
    case ir::ActKind::kSigmoid: return std::vector<EltwiseStep>{{A::eltwise_logistic, 0.0f, 0.0f}};
    case ir::ActKind::kSiLU: return std::vector<EltwiseStep>{{A::eltwise_swish, 1.0f, 0.0f}};
    case ir::ActKind::kTanh: return std::vector<EltwiseStep>{{A::eltwise_tanh, 0.0f, 0.0f}};
    // oneDNN 2.6 hardswish is x * relu6(x + 3) / 6, ONNX's HardSwish exactly.
    case ir::ActKind::kHardSwish: return std::vector<EltwiseStep>{{A::eltwise_hardswish, 0.0f, 0.0f}};
    case ir::ActKind::kHardSigmoid:
      return std::vector<EltwiseStep>{{A::eltwise_linear, e.alpha, e.beta}, {A::eltwise_clip, 0.0f, 1.0f}};
    case ir::ActKind::kGelu: return std::vector<EltwiseStep>{{A::eltwise_gelu_erf, 0.0f, 0.0f}};
    case ir::ActKind::kGeluTanh: return std::vector<EltwiseStep>{{A::eltwise_gelu_tanh, 0.0f, 0.0f}};
    case ir::ActKind::kSoftplus: return std::vector<EltwiseStep>{{A::eltwise_soft_relu, 0.0f, 0.0f}};
    case ir::ActKind::kElu: return std::vector<EltwiseStep>{{A::eltwise_elu, e.alpha, 0.0f}};
    // Selu = gamma * elu_alpha(x).
    case ir::ActKind::kSelu:
      return std::vector<EltwiseStep>{{A::eltwise_elu, e.alpha, 0.0f}, {A::eltwise_linear, e.beta, 0.0f}};
    case ir::ActKind::kMish: return std::vector<EltwiseStep>{{A::eltwise_mish, 0.0f, 0.0f}};
  }
  return unsupported(std::string("activation '") + ir::act_kind_name(e.kind) + "' has no oneDNN 2.6 eltwise");
}

Status append_epilogue(dnnl::post_ops& ops, const ir::Epilogue& e) {
  TANDEM_ASSIGN_OR_RETURN(auto steps, eltwise_steps(e));
  for (const auto& s : steps) DNNL_TRY("append eltwise post-op", ops.append_eltwise(1.0f, s.alg, s.alpha, s.beta));
  return Status::ok();
}

Dims ints_or(const std::vector<int64_t>& v, size_t n, int64_t def) {
  Dims d(n, def);
  for (size_t i = 0; i < n && i < v.size(); ++i) d[i] = v[i];
  return d;
}

Dims onednn_dilations(const std::vector<int64_t>& onnx_dilations, size_t spatial) {
  Dims d = ints_or(onnx_dilations, spatial, 1);
  for (auto& x : d) x -= 1;
  return d;
}

Dims pads_begin(const std::vector<int64_t>& pads, size_t spatial) { return ints_or(pads, spatial, 0); }

Dims pads_end(const std::vector<int64_t>& pads, size_t spatial) {
  Dims d(spatial, 0);
  for (size_t i = 0; i < spatial; ++i) d[i] = pads.size() == 2 * spatial ? pads[spatial + i] : 0;
  return d;
}

}  // namespace tandem::cpu

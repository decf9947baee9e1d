#include "backends/cpu/concat_norm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

namespace tandem::cpu {
namespace {

using Tag = dnnl::memory::format_tag;

bool is_output(const ir::Graph& g, const std::string& t) {
  return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
}

// The channels of each input, with its offset in the output.
struct Piece {
  dnnl::memory mem;
  int64_t channels = 0, offset = 0;
};

// out = relu?(a[c] * x + b[c]) for every piece, into its channels of `out`; `block` 16 for
// nChw16c, 0 for channels-last. Work is split over (image, block of 16 channels) or pixels.
Status run_fused(const std::vector<Piece>& pieces, const dnnl::memory& out, const std::vector<float>& a,
                 const std::vector<float>& b, bool relu, int64_t n, int64_t c_total, int64_t hw, int block) {
  float* y = static_cast<float*>(out.get_data_handle());
  std::vector<const float*> xs;
  for (const Piece& p : pieces) xs.push_back(static_cast<const float*>(p.mem.get_data_handle()));
  const float lo = relu ? 0.0f : -INFINITY;
  if (block > 0) {
    // Work item: (image, output channel block); each block lies in one piece (offsets are whole blocks).
    const int64_t blocks = c_total / block;
    std::vector<std::pair<int, int64_t>> where(static_cast<size_t>(blocks));  // piece, block within it
    for (size_t k = 0; k < pieces.size(); ++k)
      for (int64_t cb = 0; cb < pieces[k].channels / block; ++cb)
        where[static_cast<size_t>(pieces[k].offset / block + cb)] = {static_cast<int>(k), cb};
#pragma omp parallel for schedule(static)
    for (int64_t item = 0; item < n * blocks; ++item) {
      const int64_t img = item / blocks, ob = item % blocks;
      const auto [k, cb] = where[static_cast<size_t>(ob)];
      const int64_t ck = pieces[static_cast<size_t>(k)].channels;
      const float* x = xs[static_cast<size_t>(k)] + ((img * (ck / block) + cb) * hw) * block;
      float* d = y + ((img * blocks + ob) * hw) * block;
      const float* ac = a.data() + ob * block;
      const float* bc = b.data() + ob * block;
      for (int64_t p = 0; p < hw; ++p)
        for (int c = 0; c < 16; ++c) d[p * 16 + c] = std::max(lo, ac[c] * x[p * 16 + c] + bc[c]);
    }
    return Status::ok();
  }
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < n * hw; ++p) {
    float* d = y + p * c_total;
    for (size_t k = 0; k < pieces.size(); ++k) {
      const int64_t ck = pieces[k].channels, o = pieces[k].offset;
      const float* x = xs[k] + p * ck;
      for (int64_t c = 0; c < ck; ++c) d[o + c] = std::max(lo, a[static_cast<size_t>(o + c)] * x[c] + b[static_cast<size_t>(o + c)]);
    }
  }
  return Status::ok();
}

}  // namespace

std::map<size_t, size_t> find_concat_norms(const ir::Graph& g) {
  const auto readers = g.consumers();
  std::map<size_t, size_t> found;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& cat = g.nodes[i];
    const auto* ca = std::get_if<ir::ConcatAttrs>(&cat.attrs);
    if (cat.op_type != "Concat" || !ca || cat.outputs.size() != 1 || cat.inputs.size() < 2) continue;
    const auto* yi = g.info(cat.outputs[0]);
    if (!yi || yi->shape.size() != 4 || yi->dtype != DType::kFloat32 || (ca->axis != 1 && ca->axis != -3)) continue;
    bool inputs_ok = true;
    for (const auto& in : cat.inputs) {
      const auto* xi = in.empty() ? nullptr : g.info(in);
      inputs_ok = inputs_ok && xi && xi->dtype == DType::kFloat32 && !g.is_constant(in) && shape_numel(xi->shape) > 0;
    }
    if (!inputs_ok || is_output(g, cat.outputs[0]) || g.use_count(cat.outputs[0]) != 1) continue;
    auto r = readers.find(cat.outputs[0]);
    if (r == readers.end() || r->second.size() != 1) continue;
    const size_t j = static_cast<size_t>(r->second[0]);
    const ir::Node& bn = g.nodes[j];
    const auto* ba = std::get_if<ir::BatchNormAttrs>(&bn.attrs);
    if (bn.op_type != "BatchNormalization" || !ba || bn.inputs.size() != 5 || bn.outputs.size() != 1 ||
        bn.inputs[0] != cat.outputs[0])
      continue;
    const ir::ActKind k = ba->epilogue.kind;
    if (k != ir::ActKind::kNone && k != ir::ActKind::kRelu) continue;
    bool constants = true;
    for (size_t p = 1; p < 5; ++p) constants = constants && g.constant(bn.inputs[p]) != nullptr;
    if (constants) found[i] = j;
  }
  return found;
}

Result<bool> compile_concat_norm(SegmentBuilder& b, const ir::Node& concat, const ir::Node& norm) {
  const Shape& ys = b.shape(norm.outputs[0]);
  const int64_t n = ys[0], c_total = ys[1], hw = ys[2] * ys[3];
  // a = scale / sqrt(var + eps), b = bias - mean * a (float32 parameters, as the BN op reads them).
  const auto& attrs = std::get<ir::BatchNormAttrs>(norm.attrs);
  std::vector<const Tensor*> p;
  for (size_t i = 1; i < 5; ++i) p.push_back(b.graph().constant(norm.inputs[i]));
  for (const Tensor* t : p)
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != c_total) return false;
  auto scale = std::make_shared<std::vector<float>>(static_cast<size_t>(c_total));
  auto shift = std::make_shared<std::vector<float>>(static_cast<size_t>(c_total));
  for (int64_t c = 0; c < c_total; ++c) {
    const float s = p[0]->data_as<float>()[c] / std::sqrt(p[3]->data_as<float>()[c] + attrs.epsilon);
    (*scale)[static_cast<size_t>(c)] = s;
    (*shift)[static_cast<size_t>(c)] = p[1]->data_as<float>()[c] - p[2]->data_as<float>()[c] * s;
  }
  // The layout: nChw16c when every input has whole blocks of channels and one of them is blocked
  // already (its producer chose it), else channels-last; inputs in another layout are reordered.
  bool blocks = true, some_blocked = false;
  for (const auto& in : concat.inputs) {
    const int64_t c = b.shape(in)[1];
    blocks = blocks && c % 16 == 0;
    TANDEM_ASSIGN_OR_RETURN(auto m, b.value_view(in));
    some_blocked = some_blocked || m.get_desc() == Md(to_dims(b.shape(in)), dnnl::memory::data_type::f32, Tag::nChw16c);
  }
  const Tag tag = blocks && some_blocked ? Tag::nChw16c : Tag::nhwc;
  std::vector<Piece> pieces;
  int64_t offset = 0;
  for (const auto& in : concat.inputs) {
    const Md md(to_dims(b.shape(in)), dnnl::memory::data_type::f32, tag);
    TANDEM_ASSIGN_OR_RETURN(auto m, b.value_as(in, md));
    pieces.push_back({m, b.shape(in)[1], offset});
    offset += b.shape(in)[1];
  }
  if (offset != c_total) return internal_error("Concat + BatchNormalization: the inputs' channels do not add up");
  const dnnl::memory out = b.define(norm.outputs[0], Md(to_dims(ys), dnnl::memory::data_type::f32, tag));
  const bool relu = attrs.epilogue.kind == ir::ActKind::kRelu;
  const int block = tag == Tag::nChw16c ? 16 : 0;
  b.add_host_step([pieces, out, scale, shift, relu, n, c_total, hw, block] {
    return run_fused(pieces, out, *scale, *shift, relu, n, c_total, hw, block);
  });
  return true;
}

}  // namespace tandem::cpu

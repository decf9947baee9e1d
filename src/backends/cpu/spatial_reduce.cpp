#include "backends/cpu/spatial_reduce.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace tandem::cpu {
namespace {

using Tag = dnnl::memory::format_tag;

// The tag of each known layout for a rank (3-5).
Tag tag_for(size_t rank, int64_t block) {
  switch (rank) {
    case 3: return block == 0 ? Tag::abc : block == 1 ? Tag::acb : block == 4 ? Tag::aBc4b : block == 8 ? Tag::aBc8b : Tag::aBc16b;
    case 4: return block == 0 ? Tag::abcd : block == 1 ? Tag::acdb : block == 4 ? Tag::aBcd4b : block == 8 ? Tag::aBcd8b : Tag::aBcd16b;
    default: return block == 0 ? Tag::abcde : block == 1 ? Tag::acdeb : block == 4 ? Tag::aBcde4b : block == 8 ? Tag::aBcde8b : Tag::aBcde16b;
  }
}

inline float combine(SpatialReduce k, float a, float b) { return k == SpatialReduce::kMax ? std::max(a, b) : a + b; }

}  // namespace

std::optional<SpatialLayout> spatial_layout(const Md& md) {
  const Dims d = md.dims();
  if (d.size() < 3 || d.size() > 5 || md.data_type() != dnnl::memory::data_type::f32) return std::nullopt;
  SpatialLayout l{d[0], d[1], 1, 0};
  for (size_t i = 2; i < d.size(); ++i) l.s *= d[i];
  for (int64_t block : {0, 1, 4, 8, 16}) {
    if (md == Md(d, dnnl::memory::data_type::f32, tag_for(d.size(), block))) {
      l.block = block;
      return l;
    }
  }
  return std::nullopt;
}

void spatial_reduce(const float* x, const SpatialLayout& l, SpatialReduce kind, float* out) {
  const float init = kind == SpatialReduce::kMax ? -std::numeric_limits<float>::infinity() : 0.0f;
  const float scale = kind == SpatialReduce::kMean ? 1.0f / float(l.s) : 1.0f;
  const int64_t n = l.n, c = l.c, s = l.s;
  if (l.block == 0) {  // (N, C, S): one contiguous run per output
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < n * c; ++nc) {
      const float* p = x + nc * s;
      float acc = init;
      for (int64_t i = 0; i < s; ++i) acc = combine(kind, acc, p[i]);
      out[nc] = acc * scale;
    }
    return;
  }
  if (l.block == 1) {  // (N, S, C): rows of C added up, a chunk of channels per task
    constexpr int64_t kChunk = 64;
    const int64_t chunks = (c + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < n * chunks; ++t) {
      const int64_t b = t / chunks, c0 = (t % chunks) * kChunk, len = std::min(kChunk, c - c0);
      float acc[kChunk];
      for (int64_t j = 0; j < len; ++j) acc[j] = init;
      for (int64_t i = 0; i < s; ++i) {
        const float* p = x + (b * s + i) * c + c0;
        for (int64_t j = 0; j < len; ++j) acc[j] = combine(kind, acc[j], p[j]);
      }
      for (int64_t j = 0; j < len; ++j) out[b * c + c0 + j] = acc[j] * scale;
    }
    return;
  }
  // (N, ceil(C/b), S, b): one block of b channels per task; padded channels are not written.
  const int64_t bl = l.block, blocks = (c + bl - 1) / bl;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < n * blocks; ++t) {
    const float* p = x + t * s * bl;
    float acc[16];
    for (int64_t j = 0; j < bl; ++j) acc[j] = init;
    for (int64_t i = 0; i < s; ++i)
      for (int64_t j = 0; j < bl; ++j) acc[j] = combine(kind, acc[j], p[i * bl + j]);
    const int64_t b = t / blocks, c0 = (t % blocks) * bl;
    for (int64_t j = 0; j < bl && c0 + j < c; ++j) out[b * c + c0 + j] = acc[j] * scale;
  }
}

Result<bool> add_spatial_reduce(SegmentBuilder& b, const std::string& in, const std::string& out, SpatialReduce kind) {
  TANDEM_ASSIGN_OR_RETURN(auto src, b.value(in));
  const std::optional<SpatialLayout> l = spatial_layout(src.get_desc());
  if (!l) return false;
  dnnl::memory dst = b.define(out, plain_md(to_dims(b.shape(out))));
  const SpatialLayout layout = *l;
  b.add_host_step([src, dst, layout, kind] {
    spatial_reduce(static_cast<const float*>(src.get_data_handle()), layout, kind, static_cast<float*>(dst.get_data_handle()));
    return Status::ok();
  });
  return true;
}

}  // namespace tandem::cpu

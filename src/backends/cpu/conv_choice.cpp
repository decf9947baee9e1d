#include "backends/cpu/conv_choice.h"

#include "backends/cpu/timed_choice.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <omp.h>

namespace tandem::cpu {
namespace {

using Clock = std::chrono::steady_clock;

// The primitives that take a source in one layout through a convolution to a destination in
// another: [reorder in], conv, [reorder out]; in `sets` copies with buffers of their own.
struct Chain {
  std::vector<std::vector<std::pair<dnnl::primitive, std::unordered_map<int, dnnl::memory>>>> sets;
  size_t next = 0;
};

dnnl::memory zeroed(const Md& md, const dnnl::engine& engine) {
  dnnl::memory m(md, engine);
  if (md.get_size() > 0) std::memset(m.get_data_handle(), 0, md.get_size());
  return m;
}

// Bytes one copy of the chain touches: source, weights, destination and the reorders' buffers.
size_t chain_bytes(const Md& src_now, const ConvPd& pd, const Md& dst_want) {
  size_t n = src_now.get_size() + pd.weights_desc().get_size() + pd.dst_desc().get_size() + pd.bias_desc().get_size();
  if (pd.src_desc() != src_now) n += pd.src_desc().get_size();
  if (pd.dst_desc() != dst_want) n += dst_want.get_size();
  return n;
}

Chain chain(const dnnl::engine& engine, const Md& src_now, const ConvPd& pd, const Md& dst_want, int sets) {
  Chain c;
  const dnnl::primitive conv = dnnl::convolution_forward(pd);
  for (int k = 0; k < sets; ++k) {
    auto& steps = c.sets.emplace_back();
    dnnl::memory src = zeroed(src_now, engine);
    dnnl::memory conv_src = src;
    if (pd.src_desc() != src_now) {
      conv_src = zeroed(pd.src_desc(), engine);
      steps.push_back({dnnl::reorder(src, conv_src), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, conv_src}}});
    }
    dnnl::memory dst = zeroed(pd.dst_desc(), engine);
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, conv_src}, {DNNL_ARG_WEIGHTS, zeroed(pd.weights_desc(), engine)}, {DNNL_ARG_DST, dst}};
    if (pd.bias_desc().get_size() > 0) args[DNNL_ARG_BIAS] = zeroed(pd.bias_desc(), engine);
    steps.push_back({conv, std::move(args)});
    if (pd.dst_desc() != dst_want) {
      dnnl::memory out = zeroed(dst_want, engine);
      steps.push_back({dnnl::reorder(dst, out), {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, out}}});
    }
  }
  return c;
}

// Seconds per run of `c`, over `reps` runs, each on the next copy of its buffers.
double seconds(Chain& c, dnnl::stream& s, int reps) {
  const auto t0 = Clock::now();
  for (int r = 0; r < reps; ++r) {
    for (auto& [prim, args] : c.sets[c.next]) prim.execute(s, args);
    c.next = (c.next + 1) % c.sets.size();
  }
  s.wait();
  return std::chrono::duration<double>(Clock::now() - t0).count() / reps;
}

std::string md_key(const Md& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::string k = std::to_string(d.format_kind) + ":";
  for (int i = 0; i < d.ndims; ++i) k += std::to_string(d.dims[i]) + ",";
  if (d.format_kind == dnnl_blocked) {
    const auto& b = d.format_desc.blocking;
    k += "s";
    for (int i = 0; i < d.ndims; ++i) k += std::to_string(b.strides[i]) + ",";
    k += "b";
    for (int i = 0; i < b.inner_nblks; ++i) k += std::to_string(b.inner_idxs[i]) + "x" + std::to_string(b.inner_blks[i]) + ",";
  }
  return k;
}

std::string choice_key(const Md& src_now, const ConvPd& direct, const ConvPd& other) {
  return md_key(src_now) + "|" + md_key(direct.weights_desc()) + "|" + md_key(direct.dst_desc()) + "|" +
         direct.impl_info_str() + "|" + other.impl_info_str() + "|" + md_key(other.src_desc()) + "|" +
         std::to_string(direct.get_primitive_attr().get_post_ops().len()) + "|t" + std::to_string(omp_get_max_threads());
}

}  // namespace

bool measured_faster(const dnnl::engine& engine, const Md& src_now, const ConvPd& direct, const ConvPd& other,
                     bool log, double margin) {
  static ChoiceMemo memo;
  const std::string key = choice_key(src_now, direct, other);
  if (auto known = memo.find(key)) return *known;
  dnnl::stream s(engine);
  // A source that views part of a larger buffer (an uncopied Split piece: strides and an offset
  // of its parent) is timed from a plain buffer of its own size: the reorder out of either costs
  // about the same, and zeroed() allocates only the view's size.
  Md src = src_now;
  size_t numel = 1;
  for (auto d : src_now.dims()) numel *= static_cast<size_t>(d);
  if (src_now.data.offset0 != 0 || src_now.get_size() != numel * sizeof(float)) src = plain_md(src_now.dims());
  // In a model's run a conv's weights (and often its source) come from memory, not from the
  // cache its previous run left them in: at batch 1 a ResNet conv mostly reads weights, and
  // Winograd's are 4x the direct kernel's. So each candidate cycles over copies of its buffers
  // that together exceed the caches (~64 MB), at most 8.
  const size_t bytes = std::max(chain_bytes(src, direct, direct.dst_desc()), chain_bytes(src, other, direct.dst_desc()));
  const int sets = static_cast<int>(std::clamp<size_t>((size_t{64} << 20) / std::max<size_t>(bytes, 1) + 1, 1, 8));
  Chain a = chain(engine, src, direct, direct.dst_desc(), sets);
  Chain b = chain(engine, src, other, direct.dst_desc(), sets);
  // Warm-up (page faults, jit caches: every copy once), then whole cycles of copies per round,
  // enough for ~0.5 ms, at most 64 runs.
  seconds(a, s, sets);
  seconds(b, s, sets);
  const double first = std::max(seconds(a, s, 1), 1e-7);
  const int reps = sets * std::clamp(static_cast<int>(0.5e-3 / first / sets) + 1, 1, std::max(1, 64 / sets));
  // Two rounds are enough when one is far ahead (a big conv at a large batch takes tens of ms a
  // run), else up to five.
  const Result<Race> r = race([&]() -> Result<double> { return seconds(a, s, reps); },
                              [&]() -> Result<double> { return seconds(b, s, reps); },
                              RaceRules{.min_rounds = 2, .max_rounds = 5, .far = 0.7, .margin = margin});
  const bool faster = r.is_ok() && r->b_wins;  // seconds() cannot fail
  if (log && r.is_ok())
    std::fprintf(stderr, "tandem-cpu-conv: %s %.3f ms vs %s %.3f ms (layouts in/out included, %d buffer sets) -> %s\n",
                 direct.impl_info_str(), r->a_s * 1e3, other.impl_info_str(), r->b_s * 1e3, sets,
                 faster ? other.impl_info_str() : direct.impl_info_str());
  memo.keep(key, faster);
  return faster;
}

}  // namespace tandem::cpu

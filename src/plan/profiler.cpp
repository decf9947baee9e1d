#include "plan/profiler.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "plan/measured_choice.h"
#include "plan/segment_timer.h"

namespace tandem::plan {
namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void say(const ProfileOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

// Positions [0, cut positions..., n] of the candidate cuts in `g` (names survive re-specialisation).
Result<std::vector<int>> positions(const ir::Graph& g, const std::vector<CutInfo>& cuts) {
  std::vector<int> pos{0};
  for (const CutInfo& c : cuts) {
    TANDEM_ASSIGN_OR_RETURN(int p, cut_position(g, c.tensor));
    pos.push_back(p);
  }
  pos.push_back(static_cast<int>(g.nodes.size()));
  return pos;
}

// Which pieces each unit runs.
std::vector<std::vector<bool>> runnable(const ir::Graph& g, const std::vector<int>& pos, const std::vector<Unit>& units) {
  std::vector<std::vector<bool>> r(units.size());
  for (size_t u = 0; u < units.size(); ++u)
    for (size_t i = 0; i + 1 < pos.size(); ++i) r[u].push_back(units[u].supports_range(g, pos[i], pos[i + 1]).is_ok());
  return r;
}

// The unit's longest run of runnable pieces, from its first runnable one: [first, last).
std::pair<size_t, size_t> runnable_span(const std::vector<bool>& can) {
  size_t first = 0;
  while (first < can.size() && !can[first]) ++first;
  size_t last = first;
  while (last < can.size() && can[last]) ++last;
  return {first, last};
}

Status measure_slowdowns(const GraphForBatch& graphs, const std::vector<Unit>& units, const ProfileOptions& o,
                         const std::vector<std::vector<bool>>& can, Profile& p) {
  if (units.size() < 2) return Status::ok();
  int64_t batch = p.batches.front();  // sorted: the largest up to slowdown_batch
  for (int64_t b : p.batches)
    if (b <= o.slowdown_batch) batch = b;
  TANDEM_ASSIGN_OR_RETURN(auto g, graphs(batch));
  TANDEM_ASSIGN_OR_RETURN(std::vector<int> pos, positions(*g, p.cuts));
  std::vector<ir::Graph> segs;
  std::vector<size_t> who;
  segs.reserve(units.size());
  for (size_t u = 0; u < units.size(); ++u) {
    const auto [first, last] = runnable_span(can[u]);
    if (first == last) continue;
    TANDEM_ASSIGN_OR_RETURN(ir::Graph s, extract_segment(*g, pos[first], pos[last]));
    segs.push_back(std::move(s));
    who.push_back(u);
  }
  if (who.size() < 2) return Status::ok();
  std::vector<Unit> us;
  std::vector<const ir::Graph*> ptrs;
  for (size_t k = 0; k < who.size(); ++k) {
    us.push_back(units[who[k]]);
    ptrs.push_back(&segs[k]);
  }
  // Alone then together, `slowdown_rounds` times; per unit the median of the ratios: one busy
  // moment on a shared machine must not make a unit look twice as slow for good.
  std::vector<std::vector<double>> ratios(who.size());
  for (int round = 0; round < std::max(o.slowdown_rounds, 1); ++round) {
    std::vector<double> alone;
    for (size_t k = 0; k < who.size(); ++k) {
      auto t = o.time_segment ? o.time_segment(us[k], segs[k]) : time_segment(us[k], segs[k], o.runs);
      if (!t) return t.status().with_context("timing unit '" + us[k].name() + "' alone");
      alone.push_back(*t);
    }
    say(o, "profile: all units at once, batch " + std::to_string(batch) + ", round " + std::to_string(round + 1));
    auto together = o.time_together ? o.time_together(us, ptrs) : time_segments_together(us, ptrs, o.runs);
    if (!together) return together.status();
    for (size_t k = 0; k < who.size(); ++k) ratios[k].push_back(alone[k] > 0 ? (*together)[k] / alone[k] : 1.0);
  }
  for (size_t k = 0; k < who.size(); ++k) p.units[who[k]].slowdown = std::max(1.0, median(ratios[k]));
  return Status::ok();
}

// Pieces timed one by one add up to more than the same nodes compiled as one segment: each piece
// writes its output out and the next reads it back — in host memory for a CPU unit (a few
// percent), over PCIe for a GPU, where a piece's own upload and download can cost 10x its
// compute (MobileNetV2 fp16 on an H200: the pieces' sum predicted 4.1k images/s, the model ran
// 53.7k). So at each profiled batch every unit also runs its longest runnable span of pieces as
// one segment, and its pieces at that batch are scaled so that their sum matches (at most 2x up:
// beyond that, a bad timing), then fitted again.
Status rescale_to_whole_runs(const GraphForBatch& graphs, const std::vector<Unit>& units, const ProfileOptions& o,
                             const std::vector<std::vector<bool>>& can, Profile& p) {
  for (int64_t b : p.batches) {
    TANDEM_ASSIGN_OR_RETURN(auto g, graphs(b));
    TANDEM_ASSIGN_OR_RETURN(std::vector<int> pos, positions(*g, p.cuts));
    for (size_t u = 0; u < units.size(); ++u) {
      const auto [first, last] = runnable_span(can[u]);
      if (last - first < 2) continue;  // one piece is its own whole run
      TANDEM_ASSIGN_OR_RETURN(ir::Graph seg, extract_segment(*g, pos[first], pos[last]));
      auto whole = o.time_segment ? o.time_segment(units[u], seg) : time_segment(units[u], seg, o.runs);
      if (!whole) return whole.status().with_context("profiling unit '" + units[u].name() + "'");
      const auto pieces = p.time(u, first, last, b);
      if (!pieces || *pieces <= 0) continue;
      const double scale = std::min(*whole / *pieces, 2.0);
      for (auto& c : p.units[u].pieces)
        if (c)
          for (auto& pt : c->points)
            if (pt.first == b) pt.second *= scale;
      say(o, "profile: batch " + std::to_string(b) + ", " + units[u].name() + " as one segment: " +
                 std::to_string(scale) + "x the pieces' sum");
    }
  }
  for (auto& up : p.units)
    for (auto& c : up.pieces)
      if (c) {
        auto points = c->points;
        *c = fit_linear(points);
        c->points = std::move(points);
      }
  return Status::ok();
}

}  // namespace

std::string units_identity(const std::vector<Unit>& units) {
  std::string s;
  for (const Unit& u : units) s += (s.empty() ? "" : ",") + (u.spec.text.empty() ? u.name() : u.spec.text);
  return s;
}

std::vector<Cut> candidate_cuts(const ir::Graph& graph, const std::vector<Unit>& units, int max_cuts) {
  const std::vector<Cut> cuts = find_cuts(graph);
  if (cuts.empty()) return {};
  std::set<int> keep;
  const int n = static_cast<int>(graph.nodes.size());
  for (const Unit& u : units) {
    int refused = n;
    for (int i = 0; i < n && refused == n; ++i)
      if (!u.supports(graph, graph.nodes[static_cast<size_t>(i)]).is_ok()) refused = i;
    if (refused == n) continue;
    int best = -1;
    for (size_t k = 0; k < cuts.size(); ++k)
      if (cuts[k].position <= refused) best = static_cast<int>(k);
    if (best >= 0) keep.insert(best);
  }
  const double total = static_cast<double>(cuts[0].flops_before + cuts[0].flops_after);
  for (int j = 1; j <= max_cuts && total > 0; ++j) {  // the cut nearest j / (max_cuts + 1) of the FLOPs
    const double want = total * j / (max_cuts + 1);
    size_t best = 0;
    for (size_t k = 1; k < cuts.size(); ++k)
      if (std::abs(static_cast<double>(cuts[k].flops_before) - want) <
          std::abs(static_cast<double>(cuts[best].flops_before) - want))
        best = k;
    keep.insert(static_cast<int>(best));
  }
  std::vector<Cut> out;
  for (int k : keep) out.push_back(cuts[static_cast<size_t>(k)]);
  return out;
}

std::string profile_cache_path(const std::string& cache_dir, const Profile& id) {
  char name[64];
  std::snprintf(name, sizeof name, "profile-%016llx.json",
                static_cast<unsigned long long>(fnv1a(id.machine + '\n' + id.model + '\n' + id.units_spec + '\n' + id.version)));
  return (std::filesystem::path(cache_dir) / name).string();
}

Result<ProfileResult> profile_units(const GraphForBatch& graphs, const std::vector<Unit>& units,
                                    const ProfileOptions& o) {
  if (units.empty()) return invalid_argument("profile: no units");
  if (o.batches.empty()) return invalid_argument("profile: no batch sizes to time");
  for (int64_t b : o.batches)
    if (b < 1) return invalid_argument("profile: batch sizes must be >= 1");
  ProfileResult res;
  Profile& p = res.profile;
  p.machine = o.machine;
  p.model = o.model;
  p.units_spec = units_identity(units);
  p.version = o.version;
  std::string path;
  res.note = "no cached profile";
  if (!o.cache_dir.empty()) {
    path = profile_cache_path(o.cache_dir, p);
    std::error_code ec;
    if (o.refresh) {
      res.note = "asked to measure again";
    } else if (std::filesystem::exists(path, ec)) {
      auto cached = load_profile(path);
      if (!cached) {
        res.note = "cached profile unreadable (" + cached.status().message() + ")";
      } else if (!cached->same_identity(p)) {
        res.note = "cached profile is stale or foreign (version '" + cached->version + "', machine '" +
                   cached->machine + "', units '" + cached->units_spec + "')";
      } else {
        res.profile = *cached;
        res.from_cache = true;
        res.note = "cached " + path;
        return res;
      }
    }
  }
  say(o, "profile: " + res.note + "; measuring");
  p.batches = o.batches;
  std::sort(p.batches.begin(), p.batches.end());
  p.batches.erase(std::unique(p.batches.begin(), p.batches.end()), p.batches.end());
  TANDEM_ASSIGN_OR_RETURN(auto g0, graphs(p.batches[0]));
  for (const Cut& c : candidate_cuts(*g0, units, o.max_cuts))
    p.cuts.push_back(CutInfo{c.tensor, c.bytes_per_image});
  for (const std::string& in : g0->inputs) p.input_bytes_per_image += bytes_per_image(*g0, in);
  TANDEM_ASSIGN_OR_RETURN(std::vector<int> pos0, positions(*g0, p.cuts));
  const auto can = runnable(*g0, pos0, units);
  const size_t pieces = p.piece_count();
  std::vector<std::vector<std::vector<std::pair<int64_t, double>>>> points(
      units.size(), std::vector<std::vector<std::pair<int64_t, double>>>(pieces));
  for (int64_t b : p.batches) {
    TANDEM_ASSIGN_OR_RETURN(auto g, graphs(b));
    TANDEM_ASSIGN_OR_RETURN(std::vector<int> pos, positions(*g, p.cuts));
    for (size_t i = 0; i < pieces; ++i) {
      TANDEM_ASSIGN_OR_RETURN(ir::Graph seg, extract_segment(*g, pos[i], pos[i + 1]));
      for (size_t u = 0; u < units.size(); ++u) {
        if (!can[u][i]) continue;
        auto t = o.time_segment ? o.time_segment(units[u], seg) : time_segment(units[u], seg, o.runs);
        if (!t) return t.status().with_context("profiling unit '" + units[u].name() + "'");
        points[u][i].emplace_back(b, *t);
      }
      say(o, "profile: batch " + std::to_string(b) + ", piece " + std::to_string(i + 1) + "/" + std::to_string(pieces));
    }
  }
  for (size_t u = 0; u < units.size(); ++u) {
    UnitProfile up;
    up.unit = units[u].name();
    up.spec = units[u].spec.text;
    up.copy_s_per_byte = 0.0;  // the piece times hold the copies (profiler.h)
    up.max_batch = units[u].options().max_batch;
    for (size_t i = 0; i < pieces; ++i) {
      if (!can[u][i]) {
        up.pieces.push_back(std::nullopt);
        continue;
      }
      LinearCost c = fit_linear(points[u][i]);
      c.points = points[u][i];  // batches ascending (p.batches is sorted)
      up.pieces.push_back(std::move(c));
    }
    p.units.push_back(std::move(up));
  }
  TANDEM_RETURN_IF_ERROR(rescale_to_whole_runs(graphs, units, o, can, p));
  TANDEM_RETURN_IF_ERROR(measure_slowdowns(graphs, units, o, can, p));
  p.source = "measured by tandem on " + o.machine;
  TANDEM_RETURN_IF_ERROR(validate_profile(p));
  if (!path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.cache_dir, ec);
    TANDEM_RETURN_IF_ERROR(save_profile(p, path));
  }
  return res;
}

}  // namespace tandem::plan

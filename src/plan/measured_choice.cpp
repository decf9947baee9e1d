#include "plan/measured_choice.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

namespace tandem::plan {
namespace {

std::string rate(double ips) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", ips);
  return buf;
}

Status time_round(TimedCandidate& c, const MeasurePlanFn& measure, const ChoiceOptions& o,
                  std::map<std::string, double>* unit_rates = nullptr) {
  TANDEM_ASSIGN_OR_RETURN(PlanTiming t, measure(c.plan, c.batch, o.round_seconds));
  c.rounds.push_back(t.images_per_s);
  c.median = median(c.rounds);
  if (unit_rates) *unit_rates = std::move(t.unit_rates);
  return Status::ok();
}

// Index of the candidate with the highest first round among those with spreads == `co`; -1 if none.
int best_first_round(const std::vector<TimedCandidate>& cands, bool co) {
  int best = -1;
  for (size_t i = 0; i < cands.size(); ++i)
    if (cands[i].spreads == co && (best < 0 || cands[i].rounds[0] > cands[static_cast<size_t>(best)].rounds[0]))
      best = static_cast<int>(i);
  return best;
}

// The finalists' further rounds and the rule of the header; every candidate has one round.
Result<Choice> decide(std::vector<TimedCandidate> cands, const MeasurePlanFn& measure, const ChoiceOptions& o) {
  Choice ch;
  if (best_first_round(cands, false) < 0 || best_first_round(cands, true) < 0) {  // nothing to guard against: the fastest first round wins
    size_t best = 0;
    for (size_t i = 1; i < cands.size(); ++i)
      if (cands[i].median > cands[best].median) best = i;
    ch.chosen = best;
    ch.why = "the fastest candidate (" + rate(cands[best].median) + " images/s)";
  } else {
    // The finalists: the best `finalists` single units and co-plans by first round (one unlucky
    // first round must not hide the fastest of either), timed again in every round.
    auto top = [&](bool co) {
      std::vector<size_t> v;
      for (size_t i = 0; i < cands.size(); ++i)
        if (cands[i].spreads == co) v.push_back(i);
      std::stable_sort(v.begin(), v.end(), [&](size_t a, size_t b) { return cands[a].rounds[0] > cands[b].rounds[0]; });
      v.resize(std::min(v.size(), static_cast<size_t>(std::max(o.finalists, 1))));
      return v;
    };
    const std::vector<size_t> singles = top(false), cos = top(true);
    for (int r = 1; r < o.rounds; ++r) {  // alternate who goes first, so drift favours neither
      for (size_t k : r % 2 ? cos : singles) TANDEM_RETURN_IF_ERROR(time_round(cands[k], measure, o));
      for (size_t k : r % 2 ? singles : cos) TANDEM_RETURN_IF_ERROR(time_round(cands[k], measure, o));
    }
    auto best_median = [&](const std::vector<size_t>& v) {
      size_t b = v[0];
      for (size_t k : v)
        if (cands[k].median > cands[b].median) b = k;
      return b;
    };
    const size_t si = best_median(singles), c = best_median(cos);
    TimedCandidate& single = cands[si];
    TimedCandidate& co = cands[c];
    std::vector<double> ratios;
    for (size_t i = 0; i < co.rounds.size() && i < single.rounds.size(); ++i)
      ratios.push_back(single.rounds[i] > 0 ? co.rounds[i] / single.rounds[i] : 0);
    const double m = median(ratios);
    const double lo = *std::min_element(ratios.begin(), ratios.end());
    std::ostringstream why;
    why.precision(3);
    const bool co_wins = m > 1 + o.co_margin && lo > 1.0;
    ch.chosen = co_wins ? c : si;
    why << (co_wins ? "co-execution: it ran " : "the best single unit: the co-execution plan ran ") << m
        << "x the best single unit (median of " << ratios.size() << " interleaved rounds, lowest " << lo << "x)";
    if (!co_wins)
      why << (m <= 1 + o.co_margin ? ", not above the margin of " : ", not faster in every round (margin ")
          << 1 + o.co_margin << (m <= 1 + o.co_margin ? "x" : "x)");
    ch.why = why.str();
  }
  ch.plan = cands[ch.chosen].plan;
  ch.candidates = std::move(cands);
  return ch;
}

// A one-stage plan over several units with shares proportional to each unit's rate while running
// together. Nothing when the plan has several stages or a unit did no work.
std::optional<Plan> rebalanced(const Plan& p, const std::map<std::string, double>& rates) {
  if (p.stages().size() != 1 || p.stages()[0].units.size() < 2) return std::nullopt;
  Stage st = p.stages()[0];
  double total = 0;
  for (const auto& su : st.units) {
    auto it = rates.find(su.unit);
    if (it == rates.end() || it->second <= 0) return std::nullopt;
    total += it->second;
  }
  for (auto& su : st.units) su.share = rates.at(su.unit) / total;
  auto made = Plan::make({st});
  if (!made.is_ok() || *made == p) return std::nullopt;
  return *made;
}

}  // namespace

bool spreads(const Plan& p) { return p.stages().size() + p.stages()[0].units.size() > 2; }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Result<Choice> choose_by_measurement(std::vector<TimedCandidate> candidates, const MeasurePlanFn& measure,
                                     const ChoiceOptions& options) {
  if (candidates.empty()) return invalid_argument("no candidate plans to choose from");
  if (options.rounds < 1) return invalid_argument("ChoiceOptions::rounds must be >= 1");
  for (auto& c : candidates) {
    c.spreads = spreads(c.plan);
    c.rounds.clear();
    TANDEM_RETURN_IF_ERROR(time_round(c, measure, options));
  }
  return decide(std::move(candidates), measure, options);
}

Result<Choice> choose_plan_for_batch(const ir::Graph& graph, const std::vector<Unit>& units,
                                     const GraphForBatch& graphs, int64_t batch, const MeasurePlanFn& measure,
                                     const ChoiceOptions& options) {
  if (options.rounds < 1) return invalid_argument("ChoiceOptions::rounds must be >= 1");
  DefaultPlanOptions dpo;
  dpo.calibration_batch = options.calibration_batch;
  dpo.measure = options.calibrate;
  TANDEM_ASSIGN_OR_RETURN(Plan seed, default_plan(graph, units, graphs, dpo));
  std::vector<TimedCandidate> cands;
  // Adds `p` (as it runs) unless it is there already; whether it was added.
  auto add = [&](const Plan& p, const std::string& label) {
    Plan run = options.as_run ? options.as_run(p) : p;
    for (const auto& c : cands)
      if (c.plan == run) return false;
    cands.push_back(TimedCandidate{run, batch, spreads(run), {}, 0, label});
    return true;
  };
  add(seed, "seed");
  if (options.compare && spreads(seed)) {  // the seed's plan as written: at a batch it may run on one unit
    const int n = static_cast<int>(graph.nodes.size());
    for (const auto& u : units)
      if (u.supports_range(graph, 0, n).is_ok()) add(Plan::single_unit(u.name()), "single");
  }
  if (cands.size() == 1) {  // nothing to choose: not timed
    Choice ch;
    ch.plan = cands[0].plan;
    ch.candidates = std::move(cands);
    ch.why = "the only candidate";
    return ch;
  }
  // The seed's shares come from each unit timed alone; running together, units slow each
  // other (shared memory bandwidth, host threads). One rebalancing from the co-run itself.
  std::map<std::string, double> co_rates;
  for (size_t i = 0; i < cands.size(); ++i) {
    TANDEM_RETURN_IF_ERROR(time_round(cands[i], measure, options, i == 0 ? &co_rates : nullptr));
    if (i == 0 && cands[0].spreads)
      if (auto b = rebalanced(cands[0].plan, co_rates)) {
        Plan run = options.as_run ? options.as_run(*b) : *b;
        bool fresh = true;
        for (const auto& c : cands) fresh &= !(c.plan == run);
        if (fresh) cands.insert(cands.begin() + 1, TimedCandidate{run, batch, spreads(run), {}, 0, "rebalanced"});
      }
  }
  // Data-parallel over the fastest k units alone (k = 2 .. all), shares by their rates: the
  // whole model on every GPU when a front/tail split does not pay, and the GPUs without a unit
  // too slow to help.
  std::vector<std::pair<double, std::string>> alone;
  for (const auto& c : cands)
    if (!c.spreads) alone.emplace_back(c.rounds[0], c.plan.stages()[0].units[0].unit);
  std::sort(alone.begin(), alone.end(), std::greater<>());
  for (size_t k = 2; k <= alone.size(); ++k) {
    double total = 0;
    for (size_t j = 0; j < k; ++j) total += alone[j].first;
    if (total <= 0) break;
    Stage st{"all", "", {}};
    for (size_t j = 0; j < k; ++j) st.units.push_back(StageUnit{alone[j].second, alone[j].first / total});
    auto made = Plan::make({st});
    if (made.is_ok() && add(*made, "data-parallel")) TANDEM_RETURN_IF_ERROR(time_round(cands.back(), measure, options));
  }
  return decide(std::move(cands), measure, options);
}

}  // namespace tandem::plan

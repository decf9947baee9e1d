// The plan-based Engine: imports the model, parses the units (and the plan, if given), and for each
// input shape builds a Runtime over a plan: the given one (one Runtime serves every batch size of a
// shape), or — with several units and no plan — one chosen per batch size: the seed's default plan
// (default_plan.h) competes with each unit alone on the actual batch, and the fastest wins. So the
// default is never slower than the best single unit, as measured, not assumed (DESIGN.md, planner 4).
#include "tandem/engine.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>

#include "onnx/import.h"  // our importer's API; onnx/protobuf headers stay inside src/onnx/*.cpp
#include "plan/batch_graphs.h"
#include "plan/cuts.h"
#include "plan/default_plan.h"
#include "plan/host_tail.h"
#include "plan/plan.h"
#include "plan/unit_spec.h"
#include "runtime/runtime.h"
#include "runtime/scatter.h"

namespace tandem {
namespace {

std::vector<TensorInfo> describe(const ir::Graph& g, const std::vector<std::string>& names) {
  std::vector<TensorInfo> v;
  for (const auto& n : names) {
    TensorInfo t{n, DType::kFloat32, {}};
    if (const auto* vi = g.info(n)) {
      t.dtype = vi->dtype;
      t.shape = vi->shape;
    }
    v.push_back(std::move(t));
  }
  return v;
}

// Input shapes, with dim 0 (the batch) cleared when one Runtime serves every batch size.
using ShapeKey = std::vector<Shape>;

// Images/s of `rt` on `inputs`: one run (compiles), then batches streamed and timed for at
// least `min_seconds` and 3 batches (short runs at batch 1 are mostly noise).
Result<double> time_runtime(runtime::Runtime& rt, const std::vector<Tensor>& inputs, double min_seconds) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  TANDEM_RETURN_IF_ERROR(rt.run(inputs).status());
  TANDEM_RETURN_IF_ERROR(rt.run(inputs).status());
  const double one = std::chrono::duration<double>(Clock::now() - t0).count() / 2;
  const int runs = std::clamp(static_cast<int>(min_seconds / std::max(one, 1e-6)), 3, 1000);
  std::vector<std::vector<Tensor>> batches(static_cast<size_t>(runs), inputs);
  t0 = Clock::now();
  TANDEM_RETURN_IF_ERROR(rt.run_all(batches).status());
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  return static_cast<double>(runs) * static_cast<double>(inputs[0].shape()[0]) / std::max(s, 1e-9);
}

// Whether `p` spreads the work over more than one unit (several stages, or several units in one).
bool spreads(const plan::Plan& p) { return p.stages().size() + p.stages()[0].units.size() > 2; }

class PlanEngine final : public Engine {
 public:
  PlanEngine(std::shared_ptr<const ir::Graph> model, std::vector<plan::Unit> units, std::optional<plan::Plan> plan,
             EngineOptions options)
      : model_(std::move(model)),
        units_(std::move(units)),
        given_(units_.size()),
        plan_(std::move(plan)),
        options_(std::move(options)) {
    inputs_ = describe(*model_, model_->inputs);
    outputs_ = describe(*model_, model_->outputs);
  }

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  std::string plan_description() const override { return last_ ? plan::plan_to_short_string(last_->rt->plan()) : ""; }
  std::string plan_details() const override { return last_ ? last_->details : ""; }
  std::vector<std::string> plan_warnings() const override { return warnings_; }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) override {
    TANDEM_ASSIGN_OR_RETURN(Context * c, locked_context_for(inputs));
    return c->rt->run(inputs);
  }

  // The batch goes to its shape's runtime; `pending_` remembers which, so next() takes batches in
  // submit order even when consecutive batches have different shapes (different runtimes).
  Status submit(std::vector<Tensor> inputs) override {
    TANDEM_ASSIGN_OR_RETURN(Context * c, locked_context_for(inputs));
    TANDEM_RETURN_IF_ERROR(c->rt->submit(std::move(inputs)));
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.push_back(c);
    return Status::ok();
  }

  Result<std::vector<Tensor>> next() override {
    Context* c = nullptr;
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (pending_.empty()) return internal_error("Engine::next: no batch was submitted");
      c = pending_.front();
      pending_.pop_front();
    }
    return c->rt->next();
  }

  std::vector<UnitUsage> unit_usage() const override {
    std::lock_guard<std::mutex> lock(contexts_mu_);
    std::vector<UnitUsage> usage;
    for (const plan::Unit& u : units_) usage.push_back(UnitUsage{u.name(), 0, 0});
    for (const auto& [key, c] : contexts_)
      for (const runtime::UnitReport& r : c->rt->report().units)
        for (UnitUsage& x : usage)
          if (x.unit == r.unit) {
            x.images += r.images;
            x.busy_s += r.busy_s;
          }
    return usage;
  }

  Result<std::vector<std::vector<Tensor>>> run_many(const std::vector<std::vector<Tensor>>& batches) override {
    if (batches.empty()) return std::vector<std::vector<Tensor>>{};
    // One runtime streams them all when every batch has the same per-image shape.
    TANDEM_ASSIGN_OR_RETURN(Context * c, locked_context_for(batches[0]));
    for (const auto& b : batches)
      if (key_of(b) != key_of(batches[0])) return Engine::run_many(batches);
    return c->rt->run_all(batches);
  }

  Tensor make_tensor(Shape shape, DType dtype) override {
    const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    for (const plan::Unit& u : units_) {
      if (void* p = u.backend->allocate_host_memory(bytes)) {
        std::shared_ptr<const Backend> keep = u.backend;  // outlives the tensor, even the engine
        return Tensor::adopt(p, std::move(shape), dtype, [keep](void* q) { keep->free_host_memory(q); });
      }
    }
    return Tensor(std::move(shape), dtype);
  }

  std::string report_text() const override { return last_ ? last_->rt->report().to_string() : ""; }
  std::string report_json() const override { return last_ ? last_->rt->report().to_json() : "{}"; }
  void reset_report() override {
    std::lock_guard<std::mutex> lock(contexts_mu_);
    for (auto& [key, c] : contexts_) c->rt->reset_report();
  }

 private:
  struct Context {
    plan::GraphForBatch graphs;
    std::unique_ptr<runtime::Runtime> rt;
    std::string details;  // describe_plan at the first batch size
  };

  // With a chosen plan per batch size the batch is part of the key.
  bool per_batch_plans() const { return !plan_ && given_ > 1 && options_.measure_plan; }

  ShapeKey key_of(const std::vector<Tensor>& inputs) const {
    ShapeKey k;
    for (const Tensor& t : inputs) {
      Shape s = t.shape();
      if (!s.empty() && !per_batch_plans()) s[0] = -1;
      k.push_back(std::move(s));
    }
    return k;
  }

  Status check_inputs(const std::vector<Tensor>& inputs) const {
    if (inputs.size() != inputs_.size())
      return invalid_argument("model takes " + std::to_string(inputs_.size()) + " input(s), got " +
                              std::to_string(inputs.size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype() != inputs_[i].dtype)
        return invalid_argument("input '" + inputs_[i].name + "' must be " + dtype_name(inputs_[i].dtype) + ", got " +
                                dtype_name(inputs[i].dtype()));
      if (inputs[i].shape().empty() || inputs[i].shape()[0] < 1)
        return invalid_argument("input '" + inputs_[i].name + "' " + shape_to_string(inputs[i].shape()) +
                                " needs a batch (dim 0) of at least 1");
    }
    return Status::ok();
  }

  Result<Context*> locked_context_for(const std::vector<Tensor>& inputs) {
    std::lock_guard<std::mutex> lock(contexts_mu_);
    return context_for(inputs);
  }

  Result<Context*> context_for(const std::vector<Tensor>& inputs) {
    TANDEM_RETURN_IF_ERROR(check_inputs(inputs));
    ShapeKey key = key_of(inputs);
    auto it = contexts_.find(key);
    if (it != contexts_.end()) return last_ = it->second.get();
    std::map<std::string, Shape> shapes;
    for (size_t i = 0; i < inputs.size(); ++i) shapes[inputs_[i].name] = inputs[i].shape();
    auto c = std::make_unique<Context>();
    c->graphs = plan::specializing(model_, shapes);
    const int64_t batch = inputs[0].shape()[0];
    TANDEM_ASSIGN_OR_RETURN(auto graph, c->graphs(batch));
    runtime::RuntimeOptions ro;
    ro.max_in_flight = options_.max_in_flight;
    if (plan_) {
      TANDEM_ASSIGN_OR_RETURN(auto bound, plan::bind_plan(*plan_, *graph, units_));
      c->details = plan::describe_plan(bound, *graph, units_);
      TANDEM_ASSIGN_OR_RETURN(c->rt, runtime::Runtime::create(units_, *plan_, c->graphs, ro));
    } else {
      TANDEM_ASSIGN_OR_RETURN(auto tail, host_tail(*graph));
      if (tail) TANDEM_RETURN_IF_ERROR(plan_with_host_tail(*c, *graph, *tail, ro));
      else TANDEM_RETURN_IF_ERROR(choose_plan(*c, *graph, inputs, ro));
    }
    last_ = c.get();
    contexts_.emplace(std::move(key), std::move(c));
    return last_;
  }

  // The host units a suffix no given unit runs may fall back to: the cpu unit (unless the user
  // gave one: then its choice of cores and ops stands), then the reference interpreter.
  Result<std::vector<plan::Unit>> host_units() const {
    std::vector<plan::Unit> hosts;
    bool cpu = false, reference = false;
    for (const plan::Unit& u : given_units()) {
      cpu |= u.spec.kind == "cpu";
      reference |= u.spec.kind == "reference";
    }
    for (const char* kind : {"cpu", "reference"}) {
      if ((kind == std::string("cpu") && cpu) || (kind == std::string("reference") && reference)) continue;
      TANDEM_ASSIGN_OR_RETURN(auto u, plan::make_units(kind, 0, options_.diagnostics));
      hosts.push_back(std::move(u[0]));
    }
    return hosts;
  }

  std::vector<plan::Unit> given_units() const {
    return {units_.begin(), units_.begin() + static_cast<std::ptrdiff_t>(given_)};
  }

  // Where the given units cannot run the end of `graph`: the host tail (host_tail.h), its unit
  // added to units_ (once) and its note to the warnings.
  Result<std::optional<plan::HostTail>> host_tail(const ir::Graph& graph) {
    TANDEM_ASSIGN_OR_RETURN(auto hosts, host_units());
    TANDEM_ASSIGN_OR_RETURN(auto tail, plan::plan_host_tail(graph, given_units(), hosts));
    if (!tail) return tail;
    const plan::Unit& host = hosts[tail->host];
    if (!plan::find_unit(units_, host.name()).is_ok()) units_.push_back(host);
    if (std::find(warnings_.begin(), warnings_.end(), tail->note) == warnings_.end()) warnings_.push_back(tail->note);
    return tail;
  }

  // The given units' plan over the front [0, tail.position) (one unit: all of it; several: the
  // seed's default plan over the front), then the host stage.
  Status plan_with_host_tail(Context& c, const ir::Graph& graph, const plan::HostTail& tail,
                             const runtime::RuntimeOptions& ro) {
    const std::string& host_name = tail.host_name;  // host_tail() added the unit
    std::vector<plan::Stage> stages;
    if (tail.position > 0) {
      // Every node before the tail runs on some given unit (host_tail.h).
      const std::vector<plan::Unit> front_units = given_units();
      plan::Plan front = plan::Plan::single_unit(front_units[0].name());
      if (front_units.size() > 1) {
        TANDEM_ASSIGN_OR_RETURN(ir::Graph prefix, plan::extract_segment(graph, 0, tail.position));
        const int position = tail.position;
        plan::GraphForBatch graphs = c.graphs;
        plan::GraphForBatch prefixes = [graphs, position](int64_t b) -> Result<std::shared_ptr<const ir::Graph>> {
          TANDEM_ASSIGN_OR_RETURN(auto g, graphs(b));
          TANDEM_ASSIGN_OR_RETURN(ir::Graph p, plan::extract_segment(*g, 0, position));
          return std::make_shared<const ir::Graph>(std::move(p));
        };
        plan::DefaultPlanOptions dpo;
        const ir::ValueInfo* in = graph.info(graph.inputs[0]);
        dpo.calibration_batch = std::max<int64_t>(4, in->shape[0] / static_cast<int64_t>(front_units.size()));
        TANDEM_ASSIGN_OR_RETURN(front, plan::default_plan(prefix, front_units, prefixes, dpo));
      }
      stages = front.stages();
      stages.back().end = tail.front_end;
      if (stages.size() == 1 && stages[0].name == "all") stages[0].name = "front";
    }
    stages.push_back(plan::Stage{"host", "", {plan::StageUnit{host_name, 1.0}}});
    TANDEM_ASSIGN_OR_RETURN(plan::Plan p, plan::Plan::make(stages));
    TANDEM_ASSIGN_OR_RETURN(auto bound, plan::bind_plan(p, graph, units_));
    c.details = plan::describe_plan(bound, graph, units_) + "note: " + tail.note + "\n";
    TANDEM_ASSIGN_OR_RETURN(c.rt, runtime::Runtime::create(units_, p, c.graphs, ro));
    return Status::ok();
  }

  // A one-stage plan over several units with shares set so that each unit's measured rate in
  // `report` (images / busy seconds, while running together) gets its proportional slice.
  // Nothing when the plan has several stages or a unit did no work.
  static std::optional<plan::Plan> rebalanced(const plan::Plan& p, const runtime::RunReport& report) {
    if (p.stages().size() != 1 || p.stages()[0].units.size() < 2) return std::nullopt;
    plan::Stage st = p.stages()[0];
    double total = 0;
    std::vector<double> rate;
    for (const auto& su : st.units) {
      double r = 0;
      for (const auto& u : report.units)
        if (u.unit == su.unit && u.busy_s > 0) r = static_cast<double>(u.images) / u.busy_s;
      if (r <= 0) return std::nullopt;
      rate.push_back(r);
      total += r;
    }
    for (size_t i = 0; i < st.units.size(); ++i) st.units[i].share = rate[i] / total;
    auto made = plan::Plan::make({st});
    if (!made.is_ok() || *made == p) return std::nullopt;
    return *made;
  }

  // The seed's default plan (and its rebalanced form) against each unit alone, timed on
  // `inputs`; the fastest is kept in `c`.
  Status choose_plan(Context& c, const ir::Graph& graph, const std::vector<Tensor>& inputs,
                     const runtime::RuntimeOptions& ro) {
    // Calibrate each unit at about the slice it will get: a GPU timed at batch 4 looks far slower
    // than it is at batch 1024, which would give the CPU too large a share.
    plan::DefaultPlanOptions dpo;
    const std::vector<plan::Unit> given = given_units();
    dpo.calibration_batch = std::max<int64_t>(4, inputs[0].shape()[0] / static_cast<int64_t>(given.size()));
    TANDEM_ASSIGN_OR_RETURN(plan::Plan seed, plan::default_plan(graph, given, c.graphs, dpo));
    // Candidates in timing order, each as it runs at this batch (runtime::plan_at_batch), without repeats;
    // `co` marks plans that spread work over several units.
    struct Candidate {
      plan::Plan plan;
      bool co;
    };
    std::vector<Candidate> candidates;
    const int64_t batch = inputs[0].shape()[0];
    // Adds `p` at `pos` (the end when past it) unless it is there already; whether it was added.
    auto add = [&](const plan::Plan& p, size_t pos) {
      plan::Plan run = per_batch_plans() ? runtime::plan_at_batch(p, batch) : p;
      for (const auto& cand : candidates)
        if (cand.plan == run) return false;
      const bool co = spreads(run);
      candidates.insert(candidates.begin() + static_cast<std::ptrdiff_t>(std::min(pos, candidates.size())),
                        Candidate{std::move(run), co});
      return true;
    };
    add(seed, 0);
    if (per_batch_plans() && spreads(seed)) {
      const int n = static_cast<int>(graph.nodes.size());
      for (const auto& u : given)
        if (u.supports_range(graph, 0, n).is_ok()) add(plan::Plan::single_unit(u.name()), candidates.size());
    }
    std::ostringstream why;
    double best_ips = -1;
    bool best_is_co = false;
    std::vector<std::pair<double, std::string>> alone;  // each unit's rate when timed alone
    // Times one candidate, keeps it in `c` when it wins; its rate and its run's report.
    auto try_candidate = [&](const Candidate& cand) -> Result<std::pair<double, runtime::RunReport>> {
      TANDEM_ASSIGN_OR_RETURN(auto rt, runtime::Runtime::create(units_, cand.plan, c.graphs, ro));
      TANDEM_ASSIGN_OR_RETURN(double ips, time_runtime(*rt, inputs, 0.05));
      runtime::RunReport report = rt->report();
      why << "  " << plan::plan_to_short_string(cand.plan) << ": " << static_cast<int64_t>(ips) << " images/s\n";
      // A co-execution plan is kept only when it is more than 3% faster than every unit alone:
      // within the noise, the simpler plan wins.
      const bool wins = cand.co == best_is_co ? ips > best_ips : cand.co ? ips > best_ips * 1.03 : ips > best_ips * 0.97;
      if (best_ips < 0 || wins) {
        best_is_co = cand.co;
        best_ips = ips;
        c.rt = std::move(rt);
      }
      return std::make_pair(ips, std::move(report));
    };
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (candidates.size() == 1) {
        TANDEM_ASSIGN_OR_RETURN(c.rt, runtime::Runtime::create(units_, candidates[i].plan, c.graphs, ro));
        break;
      }
      TANDEM_ASSIGN_OR_RETURN(auto timed, try_candidate(candidates[i]));
      // The seed's shares come from each unit timed alone; running together, units slow each
      // other (shared memory bandwidth, host threads). One rebalancing from the co-run itself.
      if (i == 0 && candidates[i].co)
        if (auto balanced = rebalanced(candidates[i].plan, timed.second)) add(*balanced, 1);
      if (!candidates[i].co) alone.emplace_back(timed.first, candidates[i].plan.stages()[0].units[0].unit);
    }
    // Data-parallel over the fastest k units (k = 2 .. all), shares by their rates alone: the
    // whole model on every GPU when a front/tail split does not pay, and the GPUs without a unit
    // too slow to help (adding the CPU must never lower throughput).
    std::sort(alone.begin(), alone.end(), std::greater<>());
    for (size_t k = 2; k <= alone.size(); ++k) {
      double total = 0;
      for (size_t j = 0; j < k; ++j) total += alone[j].first;
      if (total <= 0) break;
      plan::Stage st;
      st.name = "all";
      for (size_t j = 0; j < k; ++j) st.units.push_back(plan::StageUnit{alone[j].second, alone[j].first / total});
      auto made = plan::Plan::make({st});
      if (made.is_ok() && add(*made, candidates.size()))
        TANDEM_RETURN_IF_ERROR(try_candidate(candidates.back()).status());
    }
    c.rt->reset_report();
    TANDEM_ASSIGN_OR_RETURN(auto bound, plan::bind_plan(c.rt->plan(), graph, units_));
    c.details = plan::describe_plan(bound, graph, units_);
    if (candidates.size() > 1)
      c.details += "chosen by measurement at batch " + std::to_string(inputs[0].shape()[0]) +
                   " (the seed's plan, rebalanced from its own run, each unit alone, data-parallel over the fastest"
                   " units):\n" + why.str();
    return Status::ok();
  }

  std::shared_ptr<const ir::Graph> model_;
  std::vector<plan::Unit> units_;  // the given units, then host units added for a host tail
  size_t given_;
  std::optional<plan::Plan> plan_;
  std::vector<std::string> warnings_;
  EngineOptions options_;
  std::vector<TensorInfo> inputs_, outputs_;
  // contexts_mu_ guards contexts_ and units_ against unit_usage() and next() on other threads
  // while submit() adds a shape; pending_mu_ guards pending_ (submit() vs next()).
  mutable std::mutex contexts_mu_;
  std::map<ShapeKey, std::unique_ptr<Context>> contexts_;
  Context* last_ = nullptr;
  std::mutex pending_mu_;
  std::deque<Context*> pending_;  // submitted batches not yet taken by next(), oldest first
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::load(const std::string& model_path, const EngineOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(ir::Graph g, import_onnx_file(model_path));
  TANDEM_ASSIGN_OR_RETURN(auto units, plan::make_units(options.units, 0, options.diagnostics));
  std::optional<plan::Plan> p;
  if (!options.plan.empty()) {
    TANDEM_ASSIGN_OR_RETURN(p, plan::load_plan(options.plan));
    for (const plan::Stage& st : p->stages())
      for (const plan::StageUnit& su : st.units) {
        auto idx = plan::find_unit(units, su.unit);
        if (!idx) return idx.status();
      }
  }
  if (options.max_in_flight < 1) return invalid_argument("max_in_flight must be >= 1");
  return std::unique_ptr<Engine>(
      new PlanEngine(std::make_shared<const ir::Graph>(std::move(g)), std::move(units), std::move(p), options));
}

}  // namespace tandem

// The plan-based Engine: imports the model, parses the units (and the plan, if given), and for each
// input shape builds a Runtime over a plan: the given one (one Runtime serves every batch size of a
// shape), or — with several units and no plan — one chosen per batch size: the seed's default plan
// (default_plan.h) competes with each unit alone on the actual batch; the planner decides
// (plan/measured_choice.h) and this file only times the candidates it names. So the default is
// never slower than the best single unit, as measured, not assumed (DESIGN.md, planner 4).
#include "tandem/engine.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>

#include "ir/output_conversion.h"
#include "ir/passes/passes.h"
#include "onnx/import.h"  // our importer's API; onnx/protobuf headers stay inside src/onnx/*.cpp
#include "plan/batch_graphs.h"
#include "plan/cuts.h"
#include "plan/default_plan.h"
#include "plan/host_tail.h"
#include "plan/measured_choice.h"
#include "plan/plan.h"
#include "plan/unit_spec.h"
#include "runtime/plan_timer.h"
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

class PlanEngine final : public Engine {
 public:
  PlanEngine(std::shared_ptr<const ir::Graph> model, std::vector<plan::Unit> units, std::optional<plan::Plan> plan,
             EngineOptions options, ir::PassOptions passes)
      : model_(std::move(model)),
        units_(std::move(units)),
        given_(units_.size()),
        plan_(std::move(plan)),
        options_(std::move(options)),
        passes_(passes) {
    inputs_ = describe(*model_, model_->inputs);
    outputs_ = describe(*model_, model_->outputs);
  }

  void note_conversions(const std::vector<ir::ConvertedOutput>& converted) {
    for (TensorInfo& t : outputs_)
      for (const ir::ConvertedOutput& c : converted)
        if (c.name == t.name) t.conversion = c.note;
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

  Tensor make_tensor(Shape shape, DType dtype) override { return plan::host_tensor(units_, std::move(shape), dtype); }

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
    c->graphs = plan::specializing(model_, shapes, passes_);
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

  // The plan for this batch size, chosen by the planner (plan/measured_choice.h) from
  // candidates the engine times here on the real units: each candidate's Runtime is kept between
  // its rounds, and the winner's becomes the context's.
  Status choose_plan(Context& c, const ir::Graph& graph, const std::vector<Tensor>& inputs,
                     const runtime::RuntimeOptions& ro) {
    const std::vector<plan::Unit> given = given_units();
    const int64_t batch = inputs[0].shape()[0];
    plan::ChoiceOptions co;
    // Calibrate each unit at about the slice it will get: a GPU timed at batch 4 looks far slower
    // than it is at batch 1024, which would give the CPU too large a share.
    co.calibration_batch = std::max<int64_t>(4, batch / static_cast<int64_t>(given.size()));
    co.compare = per_batch_plans();  // measure_plan off: the seed's plan as calibrated, for every batch
    if (co.compare) co.as_run = [batch](const plan::Plan& p) { return runtime::plan_at_batch(p, batch); };
    std::map<std::string, std::unique_ptr<runtime::Runtime>> timed;  // by short form
    plan::MeasurePlanFn measure = [&](const plan::Plan& p, int64_t, double seconds) -> Result<plan::PlanTiming> {
      auto& rt = timed[plan::plan_to_short_string(p)];
      if (!rt) {
        TANDEM_ASSIGN_OR_RETURN(rt, runtime::Runtime::create(units_, p, c.graphs, ro));
      }
      return runtime::time_runtime(*rt, inputs, seconds);
    };
    TANDEM_ASSIGN_OR_RETURN(plan::Choice choice, plan::choose_plan_for_batch(graph, given, c.graphs, batch, measure, co));
    auto it = timed.find(plan::plan_to_short_string(choice.plan));
    if (it != timed.end()) {
      c.rt = std::move(it->second);
    } else {
      TANDEM_ASSIGN_OR_RETURN(c.rt, runtime::Runtime::create(units_, choice.plan, c.graphs, ro));
    }
    c.rt->reset_report();
    TANDEM_ASSIGN_OR_RETURN(auto bound, plan::bind_plan(c.rt->plan(), graph, units_));
    c.details = plan::describe_plan(bound, graph, units_);
    if (choice.candidates.size() > 1) {
      std::ostringstream why;
      for (const auto& cand : choice.candidates) {
        why << "  " << plan::plan_to_short_string(cand.plan) << ": " << static_cast<int64_t>(cand.median)
            << " images/s (" << cand.label << ", median of " << cand.rounds.size() << ")\n";
      }
      c.details += "chosen by measurement at batch " + std::to_string(batch) +
                   " (the seed's plan, rebalanced from its own run, each unit alone, data-parallel over the fastest"
                   " units): " + choice.why + "\n" + why.str();
    }
    return Status::ok();
  }

  std::shared_ptr<const ir::Graph> model_;
  std::vector<plan::Unit> units_;  // the given units, then host units added for a host tail
  size_t given_;
  std::optional<plan::Plan> plan_;
  std::vector<std::string> warnings_;
  EngineOptions options_;
  ir::PassOptions passes_;
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
  std::vector<ir::ConvertedOutput> converted;
  if (options.output_dtype != OutputDType::kFloat32) {
    const ir::OutputConversion c =
        options.output_dtype == OutputDType::kArgMax ? ir::OutputConversion::kArgMax : ir::OutputConversion::kFloat16;
    auto r = ir::convert_outputs(g, c);
    if (!r) return r.status().with_context(model_path);
    converted = std::move(*r);
  }
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
  ir::PassOptions passes;
  for (const std::string& name : options.disabled_passes) TANDEM_RETURN_IF_ERROR(ir::disable_pass(passes, name));
  auto engine = std::make_unique<PlanEngine>(std::make_shared<const ir::Graph>(std::move(g)), std::move(units),
                                             std::move(p), options, passes);
  engine->note_conversions(converted);
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace tandem

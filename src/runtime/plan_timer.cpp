#include "runtime/plan_timer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

namespace tandem::runtime {

Result<plan::PlanTiming> time_runtime(Runtime& rt, const std::vector<Tensor>& inputs, double min_seconds) {
  using Clock = std::chrono::steady_clock;
  plan::PlanTiming t;
  TANDEM_RETURN_IF_ERROR(rt.run(inputs).status());
  auto t0 = Clock::now();
  TANDEM_RETURN_IF_ERROR(rt.run(inputs).status());
  t.latency_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const int runs = std::clamp(static_cast<int>(min_seconds / std::max(t.latency_s, 1e-6)), 3, 1000);
  std::vector<std::vector<Tensor>> batches(static_cast<size_t>(runs), inputs);
  rt.reset_report();
  t0 = Clock::now();
  TANDEM_RETURN_IF_ERROR(rt.run_all(batches).status());
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  t.images_per_s = static_cast<double>(runs) * static_cast<double>(inputs[0].shape()[0]) / std::max(s, 1e-9);
  for (const auto& u : rt.report().units)
    if (u.busy_s > 0) t.unit_rates[u.unit] = static_cast<double>(u.images) / u.busy_s;
  return t;
}

PlanTimer::PlanTimer(std::vector<plan::Unit> units, plan::GraphForBatch graphs, std::vector<Tensor> sample,
                     RuntimeOptions options)
    : units_(std::move(units)), graphs_(std::move(graphs)), sample_(std::move(sample)), options_(std::move(options)) {}

// Page-locked when a GPU unit takes part (as Engine::make_tensor): timings then include no
// staging copy that `tandem run` would not make.
Tensor PlanTimer::host_tensor(const Shape& shape, DType dtype) const { return plan::host_tensor(units_, shape, dtype); }

const std::vector<Tensor>& PlanTimer::inputs_at(int64_t batch) {
  auto it = inputs_.find(batch);
  if (it != inputs_.end()) return it->second;
  std::vector<Tensor> v;
  std::mt19937 rng(static_cast<uint32_t>(1234 + batch));
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (const Tensor& s : sample_) {
    Shape shape = s.shape();
    shape[0] = batch;
    Tensor t = host_tensor(shape, s.dtype());
    if (s.dtype() == DType::kFloat32) {
      float* f = t.data_as<float>();
      for (int64_t i = 0; i < t.numel(); ++i) f[i] = dist(rng);
    } else {
      std::memset(t.data(), 0, t.nbytes());
    }
    v.push_back(std::move(t));
  }
  return inputs_.emplace(batch, std::move(v)).first->second;
}

Result<Runtime*> PlanTimer::runtime_for(const plan::Plan& plan, int64_t batch) {
  auto& rt = runtimes_[{plan::plan_to_short_string(plan), batch}];
  if (!rt) {
    TANDEM_ASSIGN_OR_RETURN(rt, Runtime::create(units_, plan, graphs_, options_));
  }
  return rt.get();
}

Result<plan::PlanTiming> PlanTimer::time(const plan::Plan& plan, int64_t batch, double seconds) {
  TANDEM_ASSIGN_OR_RETURN(Runtime * rt, runtime_for(plan, batch));
  return time_runtime(*rt, inputs_at(batch), seconds);
}

Result<std::vector<Tensor>> PlanTimer::outputs(const plan::Plan& plan, int64_t batch) {
  TANDEM_ASSIGN_OR_RETURN(Runtime * rt, runtime_for(plan, batch));
  return rt->run(inputs_at(batch));
}

}  // namespace tandem::runtime

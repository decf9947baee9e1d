#include "serve/metrics.h"

#include <sstream>

namespace tandem::serve {

Metrics::Metrics(int64_t max_batch) : batch_rows_(batch_bounds(std::max<int64_t>(1, max_batch))) {}

void Metrics::observe_request(int http_status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_by_code_[http_status];
  request_seconds_.observe(seconds);
  if (http_status == 200) success_.add(seconds);
  else fail_.add(seconds);
}

void Metrics::observe_batched_request(double queue_s, double compute_s, bool /*ok*/) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_seconds_.observe(queue_s);
  queue_.add(queue_s);
  compute_.add(compute_s);
}

void Metrics::observe_batch(int64_t rows, int64_t padded_rows, double compute_s) {
  std::lock_guard<std::mutex> lock(mu_);
  batch_rows_.observe(static_cast<double>(rows));
  compute_seconds_.observe(compute_s);
  padded_rows_ += static_cast<uint64_t>(padded_rows - rows);
  inference_count_ += static_cast<uint64_t>(rows);
  ++execution_count_;
  batch_compute_[rows].add(compute_s);
  last_inference_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
}

void Metrics::set_queue_depth(int64_t requests) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_depth_ = requests;
}

void Metrics::add_in_flight(int delta) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_ += delta;
}

std::string Metrics::prometheus(const std::string& model, const std::vector<UnitUsage>& units, int64_t max_batch,
                                int64_t max_delay_us) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string m = "model=\"" + model + "\"";
  const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::ostringstream o;
  o << "# HELP tandem_requests_total Inference requests answered, by HTTP status.\n"
    << "# TYPE tandem_requests_total counter\n";
  for (const auto& [code, n] : requests_by_code_) o << "tandem_requests_total{" << m << ",code=\"" << code << "\"} " << n << "\n";
  uint64_t failures = 0;
  for (const auto& [code, n] : requests_by_code_)
    if (code != 200) failures += n;
  o << "# HELP tandem_request_failures_total Inference requests answered with an error.\n"
    << "# TYPE tandem_request_failures_total counter\n"
    << "tandem_request_failures_total{" << m << "} " << failures << "\n"
    << "# HELP tandem_request_duration_seconds Time from a request's arrival to its answer.\n"
    << "# TYPE tandem_request_duration_seconds histogram\n"
    << request_seconds_.render("tandem_request_duration_seconds", m)
    << "# HELP tandem_queue_duration_seconds Time a request waited for its batch.\n"
    << "# TYPE tandem_queue_duration_seconds histogram\n"
    << queue_seconds_.render("tandem_queue_duration_seconds", m)
    << "# HELP tandem_batch_compute_seconds Time from a batch's submit to its outputs.\n"
    << "# TYPE tandem_batch_compute_seconds histogram\n"
    << compute_seconds_.render("tandem_batch_compute_seconds", m)
    << "# HELP tandem_batch_size Request rows per batch (before padding).\n"
    << "# TYPE tandem_batch_size histogram\n"
    << batch_rows_.render("tandem_batch_size", m)
    << "# HELP tandem_batch_padding_rows_total Rows added to batches to reach a compiled batch size.\n"
    << "# TYPE tandem_batch_padding_rows_total counter\n"
    << "tandem_batch_padding_rows_total{" << m << "} " << padded_rows_ << "\n"
    << "# HELP tandem_queue_requests Requests waiting for a batch.\n"
    << "# TYPE tandem_queue_requests gauge\n"
    << "tandem_queue_requests{" << m << "} " << queue_depth_ << "\n"
    << "# HELP tandem_in_flight_requests Inference requests being handled.\n"
    << "# TYPE tandem_in_flight_requests gauge\n"
    << "tandem_in_flight_requests{" << m << "} " << in_flight_ << "\n"
    << "# HELP tandem_unit_images_total Images through each unit (summed over plan stages).\n"
    << "# TYPE tandem_unit_images_total counter\n";
  for (const UnitUsage& u : units) o << "tandem_unit_images_total{unit=\"" << u.unit << "\"} " << u.images << "\n";
  o << "# HELP tandem_unit_busy_seconds_total Time each unit spent running.\n"
    << "# TYPE tandem_unit_busy_seconds_total counter\n";
  for (const UnitUsage& u : units) o << "tandem_unit_busy_seconds_total{unit=\"" << u.unit << "\"} " << u.busy_s << "\n";
  o << "# HELP tandem_unit_busy_fraction Busy time of each unit over the server's uptime.\n"
    << "# TYPE tandem_unit_busy_fraction gauge\n";
  for (const UnitUsage& u : units)
    o << "tandem_unit_busy_fraction{unit=\"" << u.unit << "\"} " << (up > 0 ? u.busy_s / up : 0) << "\n";
  o << "# HELP tandem_batch_limit_rows The batcher's max batch now.\n"
    << "# TYPE tandem_batch_limit_rows gauge\n"
    << "tandem_batch_limit_rows{" << m << "} " << max_batch << "\n"
    << "# HELP tandem_batch_limit_delay_seconds The batcher's max delay now.\n"
    << "# TYPE tandem_batch_limit_delay_seconds gauge\n"
    << "tandem_batch_limit_delay_seconds{" << m << "} " << static_cast<double>(max_delay_us) * 1e-6 << "\n";
  o << "# HELP tandem_uptime_seconds Seconds since the server started.\n"
    << "# TYPE tandem_uptime_seconds gauge\n"
    << "tandem_uptime_seconds " << up << "\n";
  return o.str();
}

nlohmann::json Metrics::triton_stats(const std::string& model, const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = [](const Duration& x) { return nlohmann::json{{"count", x.count}, {"ns", x.ns}}; };
  const Duration none;
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& [rows, dur] : batch_compute_)
    batches.push_back({{"batch_size", rows},
                       {"compute_input", d({dur.count, 0})},
                       {"compute_infer", d(dur)},
                       {"compute_output", d({dur.count, 0})}});
  nlohmann::json stats = {
      {"name", model},
      {"version", version},
      {"last_inference", last_inference_ms_},
      {"inference_count", inference_count_},
      {"execution_count", execution_count_},
      {"inference_stats",
       {{"success", d(success_)},
        {"fail", d(fail_)},
        {"queue", d(queue_)},
        {"compute_input", d({compute_.count, 0})},
        {"compute_infer", d(compute_)},
        {"compute_output", d({compute_.count, 0})},
        {"cache_hit", d(none)},
        {"cache_miss", d(none)}}},
      {"batch_stats", batches}};
  return nlohmann::json{{"model_stats", nlohmann::json::array({stats})}};
}

}  // namespace tandem::serve

// Prometheus text and Triton statistics from the server's counters.
#include <gtest/gtest.h>

#include <string>

#include "serve/metrics.h"

namespace tandem::serve {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(MetricsTest, PrometheusCountersHistogramsAndUnits) {
  Metrics m(8);
  m.observe_request(200, 0.003);
  m.observe_request(200, 0.2);
  m.observe_request(400, 0.0001);
  m.observe_batch(3, 4, 0.002);
  m.observe_batched_request(0.0005, 0.002, true);
  const std::string t = m.prometheus("mnet", {{"cpu:0", 12, 0.5}, {"cpu:1", 4, 0.25}});
  EXPECT_TRUE(has_line(t, "tandem_requests_total{model=\"mnet\",code=\"200\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "tandem_requests_total{model=\"mnet\",code=\"400\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tandem_request_failures_total{model=\"mnet\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tandem_request_duration_seconds_bucket{model=\"mnet\",le=\"0.0025\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tandem_request_duration_seconds_bucket{model=\"mnet\",le=\"0.005\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "tandem_request_duration_seconds_bucket{model=\"mnet\",le=\"+Inf\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "tandem_request_duration_seconds_count{model=\"mnet\"} 3")) << t;
  EXPECT_TRUE(has_line(t, "tandem_batch_size_bucket{model=\"mnet\",le=\"2\"} 0")) << t;
  EXPECT_TRUE(has_line(t, "tandem_batch_size_bucket{model=\"mnet\",le=\"4\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tandem_batch_padding_rows_total{model=\"mnet\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "tandem_unit_images_total{unit=\"cpu:1\"} 4")) << t;
  EXPECT_NE(t.find("tandem_unit_busy_fraction{unit=\"cpu:0\"} "), std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE tandem_queue_duration_seconds histogram"), std::string::npos);
}

TEST(MetricsTest, TritonStatistics) {
  Metrics m(8);
  m.observe_request(200, 0.003);
  m.observe_request(503, 0.0001);
  m.observe_batch(3, 4, 0.002);
  m.observe_batch(3, 4, 0.004);
  m.observe_batched_request(0.001, 0.002, true);
  auto j = m.triton_stats("mnet", "1");
  const auto& s = j["model_stats"][0];
  EXPECT_EQ(s["name"], "mnet");
  EXPECT_EQ(s["version"], "1");
  EXPECT_EQ(s["inference_count"], 6);
  EXPECT_EQ(s["execution_count"], 2);
  EXPECT_EQ(s["inference_stats"]["success"]["count"], 1);
  EXPECT_EQ(s["inference_stats"]["fail"]["count"], 1);
  EXPECT_EQ(s["inference_stats"]["queue"]["ns"], 1000000);
  EXPECT_EQ(s["batch_stats"][0]["batch_size"], 3);
  EXPECT_EQ(s["batch_stats"][0]["compute_infer"]["count"], 2);
}

}  // namespace
}  // namespace tandem::serve

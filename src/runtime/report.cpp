#include "runtime/report.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace tandem::runtime {

std::string RunReport::to_string() const {
  char line[256];
  std::snprintf(line, sizeof(line), "%lld images in %lld batches, %.3f s, %.1f images/s\n",
                static_cast<long long>(images), static_cast<long long>(batches), wall_s, images_per_s);
  std::string s = line;
  std::snprintf(line, sizeof(line), "  %-20s %10s %8s %10s %6s\n", "unit", "images", "slices", "busy s", "util");
  s += line;
  for (const UnitReport& u : units) {
    std::snprintf(line, sizeof(line), "  %-20s %10lld %8lld %10.3f %5.0f%%%s\n", u.unit.c_str(),
                  static_cast<long long>(u.images), static_cast<long long>(u.slices), u.busy_s,
                  100.0 * u.utilisation, u.failed ? "  FAILED" : "");
    s += line;
    if (u.failed) s += "    failure: " + u.failure + "\n";
  }
  for (const RerunRecord& r : reruns) {
    std::snprintf(line, sizeof(line), "  re-run: batch %llu stage '%s' images %lld-%lld from %s on %s\n",
                  static_cast<unsigned long long>(r.batch), r.stage.c_str(), static_cast<long long>(r.first_image),
                  static_cast<long long>(r.first_image + r.images - 1), r.failed_unit.c_str(),
                  r.rerun_unit.empty() ? "(no unit could)" : r.rerun_unit.c_str());
    s += line;
  }
  return s;
}

std::string RunReport::to_json() const {
  nlohmann::ordered_json j;
  j["batches"] = batches;
  j["images"] = images;
  j["wall_s"] = wall_s;
  j["images_per_s"] = images_per_s;
  j["staging_buffers"] = staging_buffers;
  j["device_buffers"] = device_buffers;
  j["units"] = nlohmann::ordered_json::array();
  for (const UnitReport& u : units) {
    nlohmann::ordered_json ju{{"unit", u.unit},     {"images", u.images},
                              {"images_per_stage", u.images_per_stage},
                              {"slices", u.slices}, {"busy_s", u.busy_s},
                              {"utilisation", u.utilisation}, {"failed", u.failed}};
    if (u.failed) ju["failure"] = u.failure;
    j["units"].push_back(ju);
  }
  j["reruns"] = nlohmann::ordered_json::array();
  for (const RerunRecord& r : reruns)
    j["reruns"].push_back({{"batch", r.batch},
                           {"stage", r.stage},
                           {"first_image", r.first_image},
                           {"images", r.images},
                           {"failed_unit", r.failed_unit},
                           {"rerun_unit", r.rerun_unit}});
  return j.dump(2) + "\n";
}

}  // namespace tandem::runtime

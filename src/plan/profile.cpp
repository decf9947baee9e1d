#include "plan/profile.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/text_file.h"

namespace tandem::plan {
namespace {

using Json = nlohmann::ordered_json;

bool finite_nonneg(double v) { return std::isfinite(v) && v >= 0; }

// Reads field `key` of `j` as a number (>= 0 when `nonneg`) into `out`; `where` names it in errors.
Status get_number(const Json& j, const char* key, double& out, const std::string& where, bool required = true) {
  if (!j.contains(key)) return required ? invalid_argument("profile: " + where + "." + key + " is missing") : Status::ok();
  if (!j[key].is_number()) return invalid_argument("profile: " + where + "." + key + " must be a number");
  out = j[key].get<double>();
  return Status::ok();
}

Status get_string(const Json& j, const char* key, std::string& out, bool required = true) {
  if (!j.contains(key)) return required ? invalid_argument(std::string("profile: \"") + key + "\" is missing") : Status::ok();
  if (!j[key].is_string()) return invalid_argument(std::string("profile: \"") + key + "\" must be a string");
  out = j[key].get<std::string>();
  return Status::ok();
}

Result<UnitProfile> unit_from_json(const Json& ju, const std::string& where) {
  if (!ju.is_object()) return invalid_argument("profile: " + where + " must be an object");
  UnitProfile u;
  if (!ju.contains("unit") || !ju["unit"].is_string()) return invalid_argument("profile: " + where + ".unit must be a string");
  u.unit = ju["unit"].get<std::string>();
  if (ju.contains("spec") && ju["spec"].is_string()) u.spec = ju["spec"].get<std::string>();
  TANDEM_RETURN_IF_ERROR(get_number(ju, "slowdown", u.slowdown, where, false));
  TANDEM_RETURN_IF_ERROR(get_number(ju, "copy_s_per_byte", u.copy_s_per_byte, where, false));
  double mb = 0;
  TANDEM_RETURN_IF_ERROR(get_number(ju, "max_batch", mb, where, false));
  u.max_batch = static_cast<int64_t>(mb);
  if (!ju.contains("pieces") || !ju["pieces"].is_array()) return invalid_argument("profile: " + where + ".pieces must be an array");
  for (size_t i = 0; i < ju["pieces"].size(); ++i) {
    const Json& jp = ju["pieces"][i];
    const std::string pw = where + ".pieces[" + std::to_string(i) + "]";
    if (jp.is_null()) {
      u.pieces.push_back(std::nullopt);
      continue;
    }
    if (!jp.is_object()) return invalid_argument("profile: " + pw + " must be an object or null");
    LinearCost c;
    TANDEM_RETURN_IF_ERROR(get_number(jp, "fixed_s", c.fixed_s, pw));
    TANDEM_RETURN_IF_ERROR(get_number(jp, "per_image_s", c.per_image_s, pw));
    if (jp.contains("points")) {
      if (!jp["points"].is_array()) return invalid_argument("profile: " + pw + ".points must be an array");
      for (const auto& pt : jp["points"]) {
        if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number_integer() || !pt[1].is_number())
          return invalid_argument("profile: " + pw + ".points must hold [batch, seconds] pairs");
        c.points.emplace_back(pt[0].get<int64_t>(), pt[1].get<double>());
      }
    }
    u.pieces.push_back(c);
  }
  return u;
}

}  // namespace

double LinearCost::at(double x) const {
  if (points.size() < 2) return fixed_s + per_image_s * x;
  size_t i = 1;  // the segment [i-1, i] holding x, or the end one
  while (i + 1 < points.size() && x > static_cast<double>(points[i].first)) ++i;
  const double x0 = static_cast<double>(points[i - 1].first), x1 = static_cast<double>(points[i].first);
  const double y0 = points[i - 1].second, y1 = points[i].second;
  const double y = x1 > x0 ? y0 + (y1 - y0) * (x - x0) / (x1 - x0) : y1;
  return std::max(y, 0.0);
}

LinearCost fit_linear(const std::vector<std::pair<int64_t, double>>& points) {
  if (points.empty()) return {};
  if (points.size() == 1) return {0, points[0].second / std::max<double>(1, static_cast<double>(points[0].first))};
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& [b, s] : points) {
    const double x = static_cast<double>(b);
    n += 1;
    sx += x;
    sy += s;
    sxx += x * x;
    sxy += x * s;
  }
  const double den = n * sxx - sx * sx;
  if (std::abs(den) < 1e-12) return {0, sy / std::max(sx, 1.0)};
  double slope = (n * sxy - sx * sy) / den;
  double fixed = (sy - slope * sx) / n;
  if (fixed < 0) {  // through the origin
    fixed = 0;
    slope = sxy / std::max(sxx, 1e-12);
  }
  if (slope < 0) {  // flat: all fixed
    slope = 0;
    fixed = sy / n;
  }
  return {fixed, slope};
}

std::optional<double> Profile::time(size_t u, size_t begin, size_t end, int64_t images) const {
  if (images <= 0) return 0.0;
  const UnitProfile& up = units[u];
  const int64_t chunk = up.max_batch > 0 ? up.max_batch : images;
  const int64_t full = images / chunk, rest = images % chunk;
  double s = 0;
  for (size_t i = begin; i < end; ++i) {
    if (!up.pieces[i]) return std::nullopt;
    s += static_cast<double>(full) * up.pieces[i]->at(static_cast<double>(chunk)) +
         (rest > 0 ? up.pieces[i]->at(static_cast<double>(rest)) : 0.0);
  }
  return s;
}

bool Profile::same_identity(const Profile& o) const {
  return machine == o.machine && model == o.model && units_spec == o.units_spec && version == o.version;
}

Status validate_profile(const Profile& p) {
  if (p.units.empty()) return invalid_argument("profile: no units");
  std::set<std::string> names;
  for (const auto& c : p.cuts)
    if (c.tensor.empty() || c.bytes_per_image < 0) return invalid_argument("profile: a cut needs a tensor and bytes_per_image >= 0");
  for (const UnitProfile& u : p.units) {
    const std::string w = "profile: unit '" + u.unit + "'";
    if (u.unit.empty()) return invalid_argument("profile: a unit has no name");
    if (!names.insert(u.unit).second) return invalid_argument(w + " appears twice");
    if (u.pieces.size() != p.piece_count())
      return invalid_argument(w + " has " + std::to_string(u.pieces.size()) + " pieces, the cuts make " +
                              std::to_string(p.piece_count()));
    if (!std::isfinite(u.slowdown) || u.slowdown < 1) return invalid_argument(w + ": slowdown must be >= 1");
    if (!finite_nonneg(u.copy_s_per_byte)) return invalid_argument(w + ": copy_s_per_byte must be >= 0");
    if (u.max_batch < 0) return invalid_argument(w + ": max_batch must be >= 0");
    bool any = false;
    for (const auto& c : u.pieces) {
      if (c && (!finite_nonneg(c->fixed_s) || !finite_nonneg(c->per_image_s)))
        return invalid_argument(w + ": piece times must be finite and >= 0");
      if (c)
        for (size_t k = 0; k < c->points.size(); ++k)
          if (c->points[k].first < 1 || !finite_nonneg(c->points[k].second) ||
              (k > 0 && c->points[k].first <= c->points[k - 1].first))
            return invalid_argument(w + ": piece points must be [batch >= 1, seconds >= 0], batches increasing");
      any |= c.has_value();
    }
    if (!any) return invalid_argument(w + " runs no piece");
  }
  return Status::ok();
}

std::string profile_to_json(const Profile& p) {
  Json j;
  j["format"] = "tandem-profile";
  j["format_version"] = 1;
  j["machine"] = p.machine;
  j["model"] = p.model;
  j["units_spec"] = p.units_spec;
  j["version"] = p.version;
  j["source"] = p.source;
  j["cuts"] = Json::array();
  for (const auto& c : p.cuts) j["cuts"].push_back({{"tensor", c.tensor}, {"bytes_per_image", c.bytes_per_image}});
  j["input_bytes_per_image"] = p.input_bytes_per_image;
  j["batches"] = p.batches;
  j["units"] = Json::array();
  for (const auto& u : p.units) {
    Json ju{{"unit", u.unit}, {"spec", u.spec}, {"slowdown", u.slowdown}, {"copy_s_per_byte", u.copy_s_per_byte},
            {"max_batch", u.max_batch}};
    ju["pieces"] = Json::array();
    for (const auto& c : u.pieces) {
      if (!c) {
        ju["pieces"].push_back(Json(nullptr));
        continue;
      }
      Json jp{{"fixed_s", c->fixed_s}, {"per_image_s", c->per_image_s}};
      if (!c->points.empty()) {
        jp["points"] = Json::array();
        for (const auto& [b, t] : c->points) jp["points"].push_back(Json::array({b, t}));
      }
      ju["pieces"].push_back(jp);
    }
    j["units"].push_back(ju);
  }
  return j.dump(2) + "\n";
}

Result<Profile> profile_from_json(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded()) return invalid_argument("profile: not valid JSON");
  if (!j.is_object() || j.value("format", std::string()) != "tandem-profile")
    return invalid_argument("profile: not a Tandem profile (\"format\": \"tandem-profile\" is missing)");
  if (j.value("format_version", 0) != 1) return invalid_argument("profile: format_version must be 1");
  Profile p;
  TANDEM_RETURN_IF_ERROR(get_string(j, "machine", p.machine, false));
  TANDEM_RETURN_IF_ERROR(get_string(j, "model", p.model, false));
  TANDEM_RETURN_IF_ERROR(get_string(j, "units_spec", p.units_spec, false));
  TANDEM_RETURN_IF_ERROR(get_string(j, "version", p.version, false));
  TANDEM_RETURN_IF_ERROR(get_string(j, "source", p.source, false));
  if (j.contains("cuts")) {
    if (!j["cuts"].is_array()) return invalid_argument("profile: \"cuts\" must be an array");
    for (const auto& jc : j["cuts"]) {
      if (!jc.is_object() || !jc.contains("tensor") || !jc["tensor"].is_string())
        return invalid_argument("profile: each cut needs a string \"tensor\"");
      p.cuts.push_back(CutInfo{jc["tensor"].get<std::string>(), jc.value("bytes_per_image", int64_t{0})});
    }
  }
  double ib = 0;
  TANDEM_RETURN_IF_ERROR(get_number(j, "input_bytes_per_image", ib, "profile", false));
  p.input_bytes_per_image = static_cast<int64_t>(ib);
  if (j.contains("batches")) {
    if (!j["batches"].is_array()) return invalid_argument("profile: \"batches\" must be an array");
    for (const auto& b : j["batches"]) {
      if (!b.is_number_integer()) return invalid_argument("profile: \"batches\" must hold integers");
      p.batches.push_back(b.get<int64_t>());
    }
  }
  if (!j.contains("units") || !j["units"].is_array()) return invalid_argument("profile: \"units\" must be an array");
  for (size_t i = 0; i < j["units"].size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(UnitProfile u, unit_from_json(j["units"][i], "units[" + std::to_string(i) + "]"));
    p.units.push_back(std::move(u));
  }
  TANDEM_RETURN_IF_ERROR(validate_profile(p));
  return p;
}

Status save_profile(const Profile& p, const std::string& path) {
  return write_file(path, profile_to_json(p), "profile");
}

Result<Profile> load_profile(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, read_file(path, "profile"));
  auto p = profile_from_json(text);
  if (!p) return p.status().with_context(path);
  return p;
}

}  // namespace tandem::plan

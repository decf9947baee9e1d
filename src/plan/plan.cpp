#include "plan/plan.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/text_file.h"
#include "plan/cuts.h"

namespace tandem::plan {
namespace {

constexpr double kShareTolerance = 1e-6;

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string format_share(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", s);
  return buf;
}

Status check_stage(const Stage& s, bool last) {
  const std::string where = "stage '" + s.name + "'";
  if (s.name.empty()) return invalid_argument("a stage has no name");
  if (s.units.empty()) return invalid_argument(where + " has no units");
  if (!last && s.end.empty())
    return invalid_argument(where + " is not the last stage, so it must name the tensor where it ends (" + s.name +
                            "@<tensor>)");
  if (last && !s.end.empty())
    return invalid_argument(where + " is the last stage and runs to the graph outputs; it cannot end at '" + s.end + "'");
  double sum = 0;
  std::set<std::string> seen;
  for (const StageUnit& u : s.units) {
    if (!(u.share >= 0) || !std::isfinite(u.share))
      return invalid_argument(where + ": share " + format_share(u.share) + " of unit '" + u.unit + "' must be >= 0");
    if (!seen.insert(u.unit).second) return invalid_argument(where + " lists unit '" + u.unit + "' twice");
    sum += u.share;
  }
  if (std::abs(sum - 1.0) > kShareTolerance)
    return invalid_argument(where + ": shares sum to " + format_share(sum) + ", they must sum to 1");
  return Status::ok();
}

bool needs_quotes(const std::string& t) {
  if (t.empty()) return true;
  for (char c : t)
    if (std::string_view(":|,=@\"").find(c) != std::string_view::npos || std::isspace(static_cast<unsigned char>(c)))
      return true;
  return false;
}

// Splits `s` on `sep` outside double quotes.
std::vector<std::string> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : s) {
    if (c == '"') quoted = !quoted;
    if (c == sep && !quoted) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

// "cpu:0-3=0.6, cpu:4-7=0.4" -> units; a share on every unit or on none (equal shares).
Result<std::vector<StageUnit>> parse_stage_units(const std::string& text, const std::string& stage) {
  std::vector<std::string> items;
  for (std::string& item : split_unquoted(text, ',')) {  // "cpu:0,2=0.5": digits continue a core list
    if (!item.empty() && std::isdigit(static_cast<unsigned char>(item[0])) && !items.empty())
      items.back() += "," + item;
    else
      items.push_back(std::move(item));
  }
  std::vector<StageUnit> units;
  int with_share = 0;
  for (const std::string& item : items) {
    if (item.empty()) return invalid_argument("stage '" + stage + "' has an empty unit in '" + text + "'");
    size_t eq = item.find('=');
    StageUnit u{trim(item.substr(0, eq)), 0.0};
    if (eq != std::string::npos) {
      std::string v = trim(item.substr(eq + 1));
      char* endp = nullptr;
      u.share = std::strtod(v.c_str(), &endp);
      if (v.empty() || *endp != '\0')
        return invalid_argument("stage '" + stage + "': share '" + v + "' of unit '" + u.unit + "' is not a number");
      ++with_share;
    }
    units.push_back(std::move(u));
  }
  if (with_share != 0 && with_share != static_cast<int>(units.size()))
    return invalid_argument("stage '" + stage + "': give every unit a share or none (then shares are equal)");
  if (with_share == 0)
    for (StageUnit& u : units) u.share = 1.0 / static_cast<double>(units.size());
  return units;
}

// "front@\"in:0\": cpu" -> name, end, and the text after the head's ':'.
Status parse_stage_head(const std::string& text, Stage& stage, std::string& rest) {
  size_t i = 0;
  while (i < text.size() && text[i] != '@' && text[i] != ':') ++i;
  stage.name = trim(text.substr(0, i));
  if (i < text.size() && text[i] == '@') {
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i < text.size() && text[i] == '"') {
      size_t close = text.find('"', i + 1);
      if (close == std::string::npos) return invalid_argument("unclosed quote in stage '" + text + "'");
      stage.end = text.substr(i + 1, close - i - 1);
      i = close + 1;
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    } else {
      size_t colon = text.find(':', i);
      stage.end = trim(text.substr(i, colon == std::string::npos ? std::string::npos : colon - i));
      i = colon == std::string::npos ? text.size() : colon;
    }
    if (stage.end.empty()) return invalid_argument("stage '" + stage.name + "' has an empty end after '@'");
  }
  if (i >= text.size() || text[i] != ':')
    return invalid_argument("stage '" + text + "' needs ':' and its units (e.g. 'front@t: cpu:0-3=0.5, cpu:4-7=0.5')");
  rest = text.substr(i + 1);
  return Status::ok();
}

}  // namespace

Result<Plan> Plan::make(std::vector<Stage> stages) {
  if (stages.empty()) return invalid_argument("the plan has no stages");
  std::set<std::string> names;
  for (size_t i = 0; i < stages.size(); ++i) {
    TANDEM_RETURN_IF_ERROR(check_stage(stages[i], i + 1 == stages.size()));
    if (!names.insert(stages[i].name).second) return invalid_argument("two stages are named '" + stages[i].name + "'");
  }
  Plan p;
  p.stages_ = std::move(stages);
  return p;
}

Plan Plan::single_unit(const std::string& unit) {
  Plan p;
  p.stages_.push_back(Stage{"all", "", {StageUnit{unit, 1.0}}});
  return p;
}

Result<Plan> parse_plan(std::string_view short_form) {
  if (trim(short_form).empty()) return invalid_argument("the plan is empty");
  std::vector<Stage> stages;
  for (const std::string& text : split_unquoted(short_form, '|')) {
    Stage stage;
    std::string rest;
    TANDEM_RETURN_IF_ERROR(parse_stage_head(text, stage, rest).with_context("plan"));
    TANDEM_ASSIGN_OR_RETURN(stage.units, parse_stage_units(rest, stage.name));
    stages.push_back(std::move(stage));
  }
  return Plan::make(std::move(stages));
}

std::string plan_to_short_string(const Plan& plan) {
  std::string s;
  for (const Stage& st : plan.stages()) {
    if (!s.empty()) s += " | ";
    s += st.name;
    if (!st.end.empty()) s += "@" + (needs_quotes(st.end) ? "\"" + st.end + "\"" : st.end);
    s += ":";
    for (size_t i = 0; i < st.units.size(); ++i) {
      if (i) s += ',';
      s += st.units[i].unit;
      // A lone unit's share is always 1; elsewhere print shares (%.17g would round-trip
      // exactly, but plans are read by people: %.6g, and JSON keeps the exact value).
      if (st.units.size() > 1) {
        s += '=';
        s += format_share(st.units[i].share);
      }
    }
  }
  return s;
}

std::string plan_to_json(const Plan& plan) {
  nlohmann::ordered_json j;
  j["stages"] = nlohmann::ordered_json::array();
  for (const Stage& st : plan.stages()) {
    nlohmann::ordered_json js;
    js["name"] = st.name;
    if (!st.end.empty()) js["end"] = st.end;
    js["units"] = nlohmann::ordered_json::array();
    for (const StageUnit& u : st.units) js["units"].push_back({{"unit", u.unit}, {"share", u.share}});
    j["stages"].push_back(js);
  }
  return j.dump(2) + "\n";
}

Result<Plan> plan_from_json(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("plan JSON does not parse");
  if (!j.is_object() || !j.contains("stages") || !j["stages"].is_array())
    return invalid_argument("plan JSON needs an object with a \"stages\" array");
  std::vector<Stage> stages;
  for (const auto& js : j["stages"]) {
    Stage st;
    if (!js.is_object() || !js.contains("name") || !js["name"].is_string() || !js.contains("units") ||
        !js["units"].is_array())
      return invalid_argument("plan JSON: each stage needs a string \"name\" and a \"units\" array");
    st.name = js["name"].get<std::string>();
    if (js.contains("end")) {
      if (!js["end"].is_string()) return invalid_argument("plan JSON: stage '" + st.name + "': \"end\" must be a string");
      st.end = js["end"].get<std::string>();
    }
    for (const auto& ju : js["units"]) {
      if (!ju.is_object() || !ju.contains("unit") || !ju["unit"].is_string() ||
          (ju.contains("share") && !ju["share"].is_number()))
        return invalid_argument("plan JSON: stage '" + st.name + "': each unit needs a string \"unit\" and a number \"share\"");
      st.units.push_back(StageUnit{ju["unit"].get<std::string>(), ju.value("share", 1.0)});
    }
    stages.push_back(std::move(st));
  }
  return Plan::make(std::move(stages));
}

Status save_plan_json(const Plan& plan, const std::string& path) {
  return write_file(path, plan_to_json(plan), "plan file");
}

Result<Plan> load_plan_json(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, read_file(path, "plan file"));
  auto plan = plan_from_json(text);
  if (!plan) return plan.status().with_context(path);
  return plan;
}

Result<Plan> load_plan(const std::string& text) {
  std::error_code ec;
  bool is_file = std::filesystem::is_regular_file(text, ec);
  if (is_file || (text.size() > 5 && text.substr(text.size() - 5) == ".json")) return load_plan_json(text);
  return parse_plan(text);
}

}  // namespace tandem::plan

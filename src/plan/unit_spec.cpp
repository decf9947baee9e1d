#include "plan/unit_spec.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "ir/ops/op_def.h"

namespace tandem::plan {
namespace {

constexpr std::string_view kHostKinds[] = {"cpu", "reference"};
constexpr std::string_view kDeviceKinds[] = {"cuda"};

bool is_host_kind(std::string_view k) { return std::find(std::begin(kHostKinds), std::end(kHostKinds), k) != std::end(kHostKinds); }
bool is_device_kind(std::string_view k) {
  return std::find(std::begin(kDeviceKinds), std::end(kDeviceKinds), k) != std::end(kDeviceKinds);
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

bool parse_int(std::string_view s, int& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0-3,8,10-11" -> sorted unique cores.
Result<std::vector<int>> parse_cores(const std::string& where, const std::string& unit, int num_cores) {
  std::set<int> cores;
  for (const std::string& part : split(where, ',')) {
    size_t dash = part.find('-');
    int a = 0, b = 0;
    bool ok = dash == std::string::npos ? (parse_int(part, a) && (b = a, true))
                                        : parse_int(std::string_view(part).substr(0, dash), a) &&
                                              parse_int(std::string_view(part).substr(dash + 1), b);
    if (!ok || a < 0 || b < a)
      return invalid_argument("bad core list '" + where + "' in unit '" + unit +
                              "' (expected cores like 0-7 or 0,2,4)");
    for (int c = a; c <= b; ++c) {
      if (c >= num_cores)
        return invalid_argument("unit '" + unit + "' names core " + std::to_string(c) +
                                ", which does not exist (this machine has cores 0-" + std::to_string(num_cores - 1) + ")");
      cores.insert(c);
    }
  }
  return std::vector<int>(cores.begin(), cores.end());
}

std::string cores_to_string(const std::vector<int>& cores) {
  std::string s;
  for (size_t i = 0; i < cores.size();) {
    size_t j = i;
    while (j + 1 < cores.size() && cores[j + 1] == cores[j] + 1) ++j;
    if (!s.empty()) s += ',';
    s += std::to_string(cores[i]) + "-" + std::to_string(cores[j]);
    i = j + 1;
  }
  return s;
}

Status parse_option(const std::string& opt, const std::string& unit, UnitOptions& o) {
  size_t eq = opt.find('=');
  std::string key = opt.substr(0, eq);
  std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
  if (key == "fp16" || key == "fp32" || key == "tf32") {
    if (eq != std::string::npos) return invalid_argument("option '" + key + "' in unit '" + unit + "' takes no value");
    o.precision = key == "fp16" ? Precision::kFloat16 : key == "tf32" ? Precision::kTF32 : Precision::kFloat32;
    return Status::ok();
  }
  if (key == "pin") {
    if (eq != std::string::npos) return invalid_argument("option 'pin' in unit '" + unit + "' takes no value");
    if (unit.substr(0, unit.find_first_of(":/")) != "cpu")
      return invalid_argument("option 'pin' in unit '" + unit + "' is for cpu units");
    o.pin = true;
    return Status::ok();
  }
  if (key == "threads") {
    if (!parse_int(value, o.threads) || o.threads < 1)
      return invalid_argument("threads='" + value + "' in unit '" + unit + "' must be a positive integer");
    return Status::ok();
  }
  if (key == "max_batch") {
    if (!parse_int(value, o.max_batch) || o.max_batch < 1)
      return invalid_argument("max_batch='" + value + "' in unit '" + unit + "' must be a positive integer");
    return Status::ok();
  }
  if (key == "no") {
    if (value.empty()) return invalid_argument("no= in unit '" + unit + "' needs op types, e.g. no=Gemm+MatMul");
    for (const std::string& op : split(value, '+')) {
      if (!ir::find_op_def(op)) {
        std::string known;
        for (auto k : ir::known_op_types()) known += (known.empty() ? "" : ", ") + std::string(k);
        return invalid_argument("unknown op '" + op + "' in no= of unit '" + unit + "'; known: " + known);
      }
      o.excluded_ops.insert(op);
    }
    return Status::ok();
  }
  return invalid_argument("unknown option '" + key + "' in unit '" + unit + "'; known: threads, pin, no, max_batch, fp16, fp32, tf32");
}

// "cpu:0-7" -> name, kind, cores/device (options are parsed by the caller).
Status parse_head(const std::string& head, const std::string& unit, int num_cores, UnitSpec& u) {
  size_t colon = head.find(':');
  u.kind = head.substr(0, colon);
  if (!is_host_kind(u.kind) && !is_device_kind(u.kind))
    return invalid_argument("unknown unit kind '" + u.kind + "' in unit '" + unit + "'; known: cpu, reference, cuda");
  if (colon == std::string::npos) {
    u.name = u.kind;
    return Status::ok();
  }
  std::string where = head.substr(colon + 1);
  if (is_device_kind(u.kind)) {
    if (!parse_int(where, u.options.device) || u.options.device < 0)
      return invalid_argument("bad device '" + where + "' in unit '" + unit + "' (expected e.g. " + u.kind + ":0)");
    u.name = u.kind + ":" + std::to_string(u.options.device);
    return Status::ok();
  }
  TANDEM_ASSIGN_OR_RETURN(u.options.cpus, parse_cores(where, unit, num_cores));
  u.options.threads = static_cast<int>(u.options.cpus.size());
  u.name = u.kind + ":" + cores_to_string(u.options.cpus);
  return Status::ok();
}

Result<UnitSpec> parse_one(const std::string& text, int num_cores) {
  if (text.empty()) return invalid_argument("empty unit in unit spec");
  std::vector<std::string> parts = split(text, '/');
  UnitSpec u;
  u.text = text;
  TANDEM_RETURN_IF_ERROR(parse_head(parts[0], text, num_cores, u));
  for (size_t i = 1; i < parts.size(); ++i) TANDEM_RETURN_IF_ERROR(parse_option(parts[i], text, u.options));
  return u;
}

// Splits on ',' but keeps "cpu:0,2,4" together: an item starting with a digit continues the
// previous unit's core list.
std::vector<std::string> split_units(std::string_view spec) {
  std::vector<std::string> units;
  for (std::string& item : split(spec, ',')) {
    if (!item.empty() && std::isdigit(static_cast<unsigned char>(item[0])) && !units.empty())
      units.back() += "," + item;
    else
      units.push_back(std::move(item));
  }
  return units;
}

}  // namespace

int machine_core_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) last = c;
    if (last >= 0) return last + 1;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

Result<std::vector<UnitSpec>> parse_unit_spec(std::string_view spec, int num_cores) {
  if (num_cores <= 0) num_cores = machine_core_count();
  if (trim(spec).empty()) return invalid_argument("the unit spec is empty (expected e.g. 'cpu' or 'cpu:0-3,cuda:0')");
  std::vector<UnitSpec> units;
  for (const std::string& text : split_units(spec)) {
    TANDEM_ASSIGN_OR_RETURN(UnitSpec u, parse_one(text, num_cores));
    for (const UnitSpec& other : units)
      if (other.name == u.name)
        return invalid_argument("unit '" + u.text + "' duplicates unit '" + other.text + "' (both are " + u.name + ")");
    units.push_back(std::move(u));
  }
  return units;
}

Result<std::string> canonical_unit_name(std::string_view unit_text, int num_cores) {
  if (num_cores <= 0) num_cores = machine_core_count();
  std::string text = trim(unit_text);
  std::string head = text.substr(0, text.find('/'));
  UnitSpec u;
  TANDEM_RETURN_IF_ERROR(parse_head(head, text, num_cores, u));
  return u.name;
}

Status Unit::supports(const ir::Graph& graph, const ir::Node& node) const {
  auto where = [&] { return "node '" + node.name + "' (" + node.op_type + ") cannot run on unit '" + spec.name + "': "; };
  if (spec.options.excluded_ops.count(node.op_type))
    return unsupported(where() + node.op_type + " is excluded by the unit's no= option");
  if (!backend->takes_dynamic_shapes() && graph.has_open_dims(node))
    return unsupported(where() + "its tensors have data-dependent shapes, which only the reference backend runs");
  Status st = backend->supports(graph, node);
  if (!st.is_ok()) return Status(st.code(), where() + st.message());
  return Status::ok();
}

Status Unit::supports_range(const ir::Graph& graph, int begin, int end) const {
  for (int i = begin; i < end; ++i) TANDEM_RETURN_IF_ERROR(supports(graph, graph.nodes[static_cast<size_t>(i)]));
  return Status::ok();
}

Status pin_this_thread(const std::vector<int>& cpus) {
  if (cpus.empty()) return Status::ok();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
    return unavailable("cannot pin the thread to its cores");
  return Status::ok();
}

Tensor host_tensor(std::span<const Unit> units, Shape shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  for (const Unit& u : units)
    if (void* p = u.backend->allocate_host_memory(bytes)) {
      std::shared_ptr<const Backend> keep = u.backend;  // outlives the tensor, even the engine
      return Tensor::adopt(p, std::move(shape), dtype, [keep](void* q) { keep->free_host_memory(q); });
    }
  return Tensor(std::move(shape), dtype);
}

std::vector<int> unclaimed_cores(const std::vector<const Unit*>& units) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return {};
  bool claimed = false;
  for (const Unit* u : units)
    for (int c : u->options().cpus)
      if (c >= 0 && c < CPU_SETSIZE) {
        CPU_CLR(c, &set);
        claimed = true;
      }
  std::vector<int> left;
  for (int c = 0; claimed && c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) left.push_back(c);
  return left;
}

Status Unit::bind_this_thread() const {
  TANDEM_RETURN_IF_ERROR(pin_this_thread(options().cpus));
  return backend->bind_thread(options());
}

Result<std::vector<Unit>> make_units(std::string_view spec, int num_cores, const BackendDiagnostics& diagnostics) {
  TANDEM_ASSIGN_OR_RETURN(auto specs, parse_unit_spec(spec, num_cores));
  std::vector<Unit> units;
  for (UnitSpec& s : specs) {
    s.options.diagnostics = diagnostics;
    auto backend = make_backend(s.kind);
    if (!backend) return backend.status().with_context("unit '" + s.text + "'");
    units.push_back(Unit{std::move(s), std::shared_ptr<const Backend>(std::move(*backend))});
  }
  return units;
}

Result<size_t> find_unit(const std::vector<Unit>& units, std::string_view name) {
  // Lookup only: no core-existence check (the units themselves were checked when parsed).
  auto canonical = canonical_unit_name(name, 1 << 16);
  std::string key = canonical ? *canonical : trim(name);
  for (size_t i = 0; i < units.size(); ++i)
    if (units[i].name() == key) return i;
  std::string have;
  for (const Unit& u : units) have += (have.empty() ? "" : ", ") + u.name();
  return not_found("the plan names unit '" + std::string(name) + "', which is not among the units (" + have + ")");
}

}  // namespace tandem::plan

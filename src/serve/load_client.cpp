// The load generator (load_client.h) on cpp-httplib's client (Debian's libcpp-httplib; its header
// appears only here and in server.cpp). Bodies are encoded once per pool entry; a request costs
// the client one write and the reads of the answer, plus the check of its outputs.
#include "serve/load_client.h"

#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve/datatype.h"
#include "serve/shared_memory.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Entry k of a [K, ...] tensor: its bytes.
std::string_view entry_bytes(const Tensor& t, int64_t k) {
  const size_t n = t.nbytes() / static_cast<size_t>(t.shape()[0]);
  return {static_cast<const char*>(t.data()) + static_cast<size_t>(k) * n, n};
}

double element(const char* p, DType dt, int64_t i) {
  switch (dt) {
    case DType::kFloat32: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case DType::kFloat64: { double v; std::memcpy(&v, p + 8 * i, 8); return v; }
    case DType::kInt64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return static_cast<double>(v); }
    case DType::kInt32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
    case DType::kInt8: return static_cast<int8_t>(p[i]);
    case DType::kUInt8:
    case DType::kBool: return static_cast<uint8_t>(p[i]);
    case DType::kFloat16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return half_to_float(v); }
  }
  return 0;
}

// Relative L2 error of `got` (n elements of `got_dt`) against `want` (n of `want_dt`).
double relative_l2(const char* got, DType got_dt, const char* want, DType want_dt, int64_t n) {
  double diff = 0, norm = 0;
  if (got_dt == DType::kFloat32 && want_dt == DType::kFloat32) {  // the common case, without a switch per element
    for (int64_t i = 0; i < n; ++i) {
      float a, b;
      std::memcpy(&a, got + 4 * i, 4);
      std::memcpy(&b, want + 4 * i, 4);
      diff += (static_cast<double>(a) - b) * (static_cast<double>(a) - b);
      norm += static_cast<double>(b) * b;
    }
    return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-12);
  }
  for (int64_t i = 0; i < n; ++i) {
    const double a = element(got, got_dt, i), b = element(want, want_dt, i);
    diff += (a - b) * (a - b);
    norm += b * b;
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-12);
}

struct Encoded {
  std::string body;
  std::string header_length;
};

size_t align64(size_t n) { return (n + 63) / 64 * 64; }

// With --shm: where the pool's inputs and each connection's outputs are. The input region holds
// every pool entry (each input 64-byte aligned), written once; each connection's output region
// holds one answer, and is filled with 0xFF bytes (NaN for floats) before each request, so that an
// answer the server did not write cannot pass for a right one.
struct ShmLayout {
  std::string prefix;                      // region names: <prefix>in, <prefix>out<c>
  std::vector<size_t> input_offsets;       // of each pool input within an entry
  size_t entry_stride = 0;                 // bytes per pool entry in the input region
  std::vector<size_t> output_offsets;      // of each expected output in a connection's region
  size_t output_bytes = 0;
  std::unique_ptr<SharedMemoryObject> inputs;
  std::vector<std::unique_ptr<SharedMemoryObject>> outputs;  // per connection
  std::vector<std::string> registered;     // region names, to unregister at the end

  std::string input_region() const { return prefix + "in"; }
  std::string output_region(int c) const { return prefix + "out" + std::to_string(c); }
  // The object's key: the region's name after a '/' (appended: GCC 12 warns, wrongly, on "/" + s).
  static std::string key(const std::string& region) { return std::string("/").append(region); }
};

// The shared state of one load: counters, and what the threads report back.
struct Shared {
  explicit Shared(const LoadOptions& options) : o(options) {}
  const LoadOptions& o;
  std::vector<Encoded> bodies;               // per pool entry (binary)
  std::vector<std::vector<Encoded>> shm_bodies;  // per connection, per pool entry (--shm)
  ShmLayout shm;
  int64_t k = 0, rows = 0;
  std::string path;
  std::atomic<int64_t> sent{0}, ok{0}, rejected{0}, errors{0}, wrong{0};
  Clock::time_point start, deadline;
  std::mutex mu;  // guards the fields below
  std::vector<float> latencies_us;
  std::vector<std::string> examples;
  double worst = 0;

  void error(const std::string& what) {
    errors.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu);
    if (examples.size() < 5) examples.push_back(what);
  }
};

// How far answer `res` is from pool entry k's expected outputs; +inf when one is missing or
// malformed. 0 when nothing is expected. With --shm every output must be in connection c's region.
double answer_error(const Shared& s, const httplib::Response& res, int64_t k, int c) {
  if (s.o.pool.expected.empty()) return 0;
  const std::string hl = res.get_header_value("Inference-Header-Content-Length");
  const size_t n = hl.empty() ? res.body.size() : std::strtoull(hl.c_str(), nullptr, 10);
  if (n > res.body.size()) return INFINITY;
  json head = json::parse(std::string_view(res.body).substr(0, n), nullptr, false);
  if (head.is_discarded() || !head.contains("outputs") || !head["outputs"].is_array()) return INFINITY;
  double worst = 0;
  size_t offset = n;
  std::vector<bool> seen(s.o.pool.expected.size(), false);
  for (const json& out : head["outputs"]) {
    const json params = out.value("parameters", json::object());
    const bool in_shm = params.contains("shared_memory_region");
    const size_t size = params.value(in_shm ? "shared_memory_byte_size" : "binary_data_size", size_t{0});
    const std::string name = out.value("name", "");
    auto dt = parse_v2_datatype(out.value("datatype", ""));
    if (!dt.is_ok() || in_shm != s.o.shm) return INFINITY;
    const char* data = res.body.data() + offset;
    if (in_shm) {
      const SharedMemoryObject& region = *s.shm.outputs[static_cast<size_t>(c)];
      const size_t at = params.value("shared_memory_offset", size_t{0});
      if (params.value("shared_memory_region", "") != s.shm.output_region(c) || at > region.size() ||
          size > region.size() - at)
        return INFINITY;
      data = region.data() + at;
    } else if (offset + size > res.body.size()) {
      return INFINITY;
    } else {
      offset += size;
    }
    for (size_t e = 0; e < s.o.pool.expected.size(); ++e) {
      const auto& [want_name, want] = s.o.pool.expected[e];
      if (want_name != name) continue;
      Shape shape(want.shape().begin() + 1, want.shape().end());
      if (out.value("shape", Shape{}) != shape || size != static_cast<size_t>(shape_numel(shape)) * dtype_size(*dt))
        return INFINITY;
      worst = std::max(worst, relative_l2(data, *dt, entry_bytes(want, k).data(), want.dtype(), shape_numel(shape)));
      seen[e] = true;
    }
  }
  return std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }) ? worst : INFINITY;
}

void connection_loop(Shared& s, int c, const std::string& host, int port) {
  httplib::Client cli(host, port);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  cli.set_connection_timeout(s.o.timeout_s, 0);
  cli.set_read_timeout(s.o.timeout_s, 0);
  cli.set_write_timeout(s.o.timeout_s, 0);
  std::vector<float> lat;
  double worst = 0;
  const double interval = s.o.rate > 0 ? s.o.connections / s.o.rate : 0;
  auto due = s.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval * c / s.o.connections));
  for (int64_t i = c;; ++i) {
    if (s.sent.fetch_add(1) >= s.o.max_requests) break;
    if (interval > 0) {
      std::this_thread::sleep_until(due);
      if (due >= s.deadline) break;
    } else if (Clock::now() >= s.deadline) {
      break;
    }
    const int64_t k = i % s.k;
    const Encoded& e = s.o.shm ? s.shm_bodies[static_cast<size_t>(c)][static_cast<size_t>(k)] : s.bodies[static_cast<size_t>(k)];
    if (s.o.shm && !s.o.pool.expected.empty()) {
      SharedMemoryObject& out = *s.shm.outputs[static_cast<size_t>(c)];
      std::memset(out.data(), 0xFF, out.size());
    }
    const auto t0 = interval > 0 ? due : Clock::now();
    if (interval > 0) due += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
    // One write of headers and body: streaming the body from a ContentProvider saved the client a
    // copy but cost a second send per request, and throughput fell by a third (rows 64, 2 cores).
    auto res = cli.Post(s.path, {{"Inference-Header-Content-Length", e.header_length}}, e.body.data(), e.body.size(),
                        "application/octet-stream");
    const auto t1 = Clock::now();
    if (!res) {
      s.error("no answer: " + httplib::to_string(res.error()));
      continue;
    }
    if (res->status == 503) {
      s.rejected.fetch_add(1);
      continue;
    }
    if (res->status != 200) {
      s.error("HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200));
      continue;
    }
    lat.push_back(std::chrono::duration<float, std::micro>(t1 - t0).count());
    s.ok.fetch_add(1);
    const double err = answer_error(s, *res, k, c);
    worst = std::max(worst, err);
    if (!(err <= s.o.rtol)) s.wrong.fetch_add(1);
  }
  std::lock_guard<std::mutex> lock(s.mu);
  s.latencies_us.insert(s.latencies_us.end(), lat.begin(), lat.end());
  s.worst = std::max(s.worst, worst);
}

// The body of pool entry k: the JSON header, then each input's bytes; with --shm (connection c)
// the header alone, naming the entry's place in the input region and c's output region.
Encoded encode_entry(const Shared& s, int64_t k, int c = -1) {
  const LoadOptions& o = s.o;
  json inputs = json::array(), outputs = json::array();
  std::string binary;
  for (size_t j = 0; j < o.pool.inputs.size(); ++j) {
    const auto& [name, t] = o.pool.inputs[j];
    const std::string_view bytes = entry_bytes(t, k);
    json params = {{"binary_data_size", bytes.size()}};
    if (o.shm)
      params = {{"shared_memory_region", s.shm.input_region()},
                {"shared_memory_offset", static_cast<size_t>(k) * s.shm.entry_stride + s.shm.input_offsets[j]},
                {"shared_memory_byte_size", bytes.size()}};
    else
      binary.append(bytes);
    inputs.push_back({{"name", name},
                      {"datatype", v2_datatype(t.dtype())},
                      {"shape", Shape(t.shape().begin() + 1, t.shape().end())},
                      {"parameters", params}});
  }
  for (size_t e = 0; e < o.pool.expected.size(); ++e) {
    json params = {{"binary_data", true}};
    if (o.shm)
      params = {{"shared_memory_region", s.shm.output_region(c)},
                {"shared_memory_offset", s.shm.output_offsets[e]},
                {"shared_memory_byte_size", entry_bytes(o.pool.expected[e].second, 0).size()}};
    outputs.push_back({{"name", o.pool.expected[e].first}, {"parameters", params}});
  }
  json req = {{"inputs", inputs}};
  if (!outputs.empty()) req["outputs"] = outputs;
  else req["parameters"] = {{"binary_data_output", true}};
  Encoded e;
  e.body = req.dump();
  e.header_length = std::to_string(e.body.size());
  e.body += binary;
  return e;
}

// POSTs `body` to `path`; the server's error (one line) unless it answers 200.
Status post_ok(httplib::Client& cli, const std::string& path, const std::string& body) {
  auto res = cli.Post(path, body, "application/json");
  if (!res) return unavailable("no answer to POST " + path + ": " + httplib::to_string(res.error()));
  if (res->status == 200) return Status::ok();
  json j = json::parse(res->body, nullptr, false);
  const std::string why = j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : res->body.substr(0, 200);
  return invalid_argument("POST " + path + ": HTTP " + std::to_string(res->status) + ": " + why);
}

// Creates, fills and registers the regions of --shm. Each object is unlinked once the server has
// mapped it, so that nothing is left in /dev/shm whatever happens to this process.
Status set_up_shared_memory(Shared& s, httplib::Client& cli) {
  ShmLayout& l = s.shm;
  l.prefix = "tandem_load_" + std::to_string(::getpid()) + "_";
  for (const auto& [name, t] : s.o.pool.inputs) {
    l.input_offsets.push_back(l.entry_stride);
    l.entry_stride += align64(entry_bytes(t, 0).size());
  }
  for (const auto& [name, t] : s.o.pool.expected) {
    l.output_offsets.push_back(l.output_bytes);
    l.output_bytes += align64(entry_bytes(t, 0).size());
  }
  TANDEM_ASSIGN_OR_RETURN(l.inputs, SharedMemoryObject::create(ShmLayout::key(l.input_region()), static_cast<size_t>(s.k) * l.entry_stride));
  SharedMemoryObject* in = l.inputs.get();
  for (int64_t k = 0; k < s.k; ++k)
    for (size_t j = 0; j < s.o.pool.inputs.size(); ++j) {
      const std::string_view bytes = entry_bytes(s.o.pool.inputs[j].second, k);
      std::memcpy(in->data() + static_cast<size_t>(k) * l.entry_stride + l.input_offsets[j], bytes.data(), bytes.size());
    }
  for (int c = 0; c < s.o.connections && l.output_bytes > 0; ++c) {
    TANDEM_ASSIGN_OR_RETURN(auto out, SharedMemoryObject::create(ShmLayout::key(l.output_region(c)), l.output_bytes));
    l.outputs.push_back(std::move(out));
  }
  std::vector<SharedMemoryObject*> objects = {l.inputs.get()};
  for (auto& out : l.outputs) objects.push_back(out.get());
  for (SharedMemoryObject* obj : objects) {
    const std::string region = obj->key().substr(1);
    const json body = {{"key", obj->key()}, {"offset", 0}, {"byte_size", obj->size()}};
    TANDEM_RETURN_IF_ERROR(post_ok(cli, "/v2/systemsharedmemory/region/" + region + "/register", body.dump()));
    l.registered.push_back(region);
    obj->unlink();
  }
  for (int c = 0; c < s.o.connections; ++c) {
    auto& per = s.shm_bodies.emplace_back();
    for (int64_t k = 0; k < s.k; ++k) per.push_back(encode_entry(s, k, c));
  }
  return Status::ok();
}

void tear_down_shared_memory(Shared& s, httplib::Client& cli) {
  for (const std::string& region : s.shm.registered)
    (void)post_ok(cli, "/v2/systemsharedmemory/region/" + region + "/unregister", "");
  s.shm.registered.clear();
}

Status check_pool(const LoadPool& pool, int64_t& k, int64_t& rows) {
  if (pool.inputs.empty()) return invalid_argument("the pool has no inputs");
  k = -1;
  for (const auto* list : {&pool.inputs, &pool.expected})
    for (const auto& [name, t] : *list) {
      if (name.empty()) return invalid_argument("a pool tensor has no name");
      if (t.shape().size() < 2 || t.shape()[0] < 1 || t.shape()[1] < 1)
        return invalid_argument("pool tensor '" + name + "' has shape " + shape_to_string(t.shape()) +
                                ": it must be [K, rows, ...] with K and rows at least 1");
      if (k < 0) k = t.shape()[0], rows = t.shape()[1];
      if (t.shape()[0] != k || t.shape()[1] != rows)
        return invalid_argument("pool tensor '" + name + "' has shape " + shape_to_string(t.shape()) + ", another [" +
                                std::to_string(k) + ", " + std::to_string(rows) + ", ...]: every one needs the same K and rows");
    }
  return Status::ok();
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

Result<std::pair<std::string, int>> parse_loopback_url(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos)
    return invalid_argument("url '" + url + "': only http:// is supported");
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string host, port;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return invalid_argument("url '" + url + "' is not [host]:port");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string::npos) return invalid_argument("url '" + url + "' needs a port (host:port)");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535) return invalid_argument("url '" + url + "': bad port '" + port + "'");
  if (!is_loopback_host(host))
    return invalid_argument("url '" + url + "': '" + host +
                            "' is not a loopback address; tandem load only targets this machine (127.0.0.1, localhost, ::1)");
  return std::make_pair(host, static_cast<int>(p));
}

Result<LoadReport> run_load(const LoadOptions& o) {
  TANDEM_ASSIGN_OR_RETURN(auto target, parse_loopback_url(o.url));
  if (o.connections < 1) return invalid_argument("connections must be at least 1");
  if (o.max_requests < 1) return invalid_argument("max requests must be at least 1");
  if (!(o.seconds > 0)) return invalid_argument("seconds must be more than 0");
  if (o.rate < 0) return invalid_argument("the rate must not be negative");
  Shared s(o);
  TANDEM_RETURN_IF_ERROR(check_pool(o.pool, s.k, s.rows));
  s.path = "/v2/models/" + o.model_name + "/infer";
  httplib::Client control(target.first, target.second);  // registers and unregisters shared memory
  control.set_connection_timeout(o.timeout_s, 0);
  control.set_read_timeout(o.timeout_s, 0);
  if (o.shm) {
    Status st = set_up_shared_memory(s, control);
    if (!st.is_ok()) {
      tear_down_shared_memory(s, control);
      return st.with_context("--shm");
    }
  } else {
    for (int64_t k = 0; k < s.k; ++k) s.bodies.push_back(encode_entry(s, k));
  }
  const double cpu0 = cpu_seconds();
  s.start = Clock::now();
  s.deadline = s.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < o.connections; ++c)
    threads.emplace_back([&s, c, &target] { connection_loop(s, c, target.first, target.second); });
  for (auto& t : threads) t.join();
  tear_down_shared_memory(s, control);
  LoadReport r;
  r.seconds = std::chrono::duration<double>(Clock::now() - s.start).count();
  r.client_cpu_s = cpu_seconds() - cpu0;
  r.connections = o.connections;
  r.rows = s.rows;
  r.requests = s.ok;
  r.rejected_503 = s.rejected;
  r.errors = s.errors;
  r.wrong = s.wrong;
  r.checked = !o.pool.expected.empty();
  r.worst_error = s.worst;
  r.error_examples = s.examples;
  std::vector<float>& lat = s.latencies_us;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : 1e-3 * lat[std::min(lat.size() - 1, static_cast<size_t>(p * (lat.size() - 1) + 0.5))];
  };
  r.p50_ms = pct(0.5), r.p90_ms = pct(0.9), r.p99_ms = pct(0.99), r.max_ms = pct(1.0);
  double sum = 0;
  for (float v : lat) sum += v;
  r.mean_ms = lat.empty() ? 0 : 1e-3 * sum / static_cast<double>(lat.size());
  return r;
}

std::string LoadReport::to_json() const {
  json j = {{"connections", connections}, {"rows", rows}, {"requests", requests}, {"rejected_503", rejected_503},
            {"errors", errors}, {"wrong", wrong}, {"checked", checked}, {"seconds", seconds},
            {"requests_per_s", requests_per_s()}, {"images_per_s", images_per_s()}, {"p50_ms", p50_ms},
            {"p90_ms", p90_ms}, {"p99_ms", p99_ms}, {"max_ms", max_ms}, {"mean_ms", mean_ms},
            {"client_cpu_s", client_cpu_s}, {"error_examples", error_examples}};
  // JSON has no infinity: a malformed answer's error is reported as null.
  j["worst_error"] = std::isfinite(worst_error) ? json(worst_error) : json(nullptr);
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace tandem::serve

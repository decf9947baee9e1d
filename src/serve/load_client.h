// LoadClient: `tandem load`, a load generator for a KServe v2 server on this machine, fast enough
// that the server, not the client, is what it measures (C++, cpp-httplib, keep-alive, the binary
// tensor data extension, request bodies encoded once).
//
//   LoadOptions o{.url = "127.0.0.1:8000", .model_name = "model", .pool = pool, .connections = 64};
//   Result<LoadReport> r = run_load(o);     // blocks for at most o.seconds (plus one request)
//
// Each of `connections` threads holds one keep-alive connection and sends requests back to back
// (closed loop), or, with `rate` > 0, each when it is due (open loop: the latency of a request
// counts from when it was due, so a server that falls behind is not excused by a client that
// waits for it). Request i of a connection sends pool entry (connection + i) mod K. Every answer
// is checked against that entry's expected outputs (relative L2 per output at most `rtol`).
//
// Loopback targets only (127.0.0.0/8, localhost, ::1): a load generator must not be pointed at
// someone else's server. Thread safety: run_load() may run on any thread; it starts its own.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::serve {

// K distinct requests: each input tensor is [K, R, ...] (entry k, R rows), each expected output
// [K, R, ...]. No expected outputs: answers are not checked (only their status).
struct LoadPool {
  std::vector<std::pair<std::string, Tensor>> inputs;    // model input name -> [K, R, ...]
  std::vector<std::pair<std::string, Tensor>> expected;  // model output name -> [K, R, ...]
};

struct LoadOptions {
  std::string url;              // "127.0.0.1:8000", "http://localhost:8000", "[::1]:8000"
  std::string model_name = "model";
  LoadPool pool;
  int connections = 16;         // concurrent keep-alive connections, one thread each
  int64_t max_requests = 10000; // in all, at most
  double seconds = 10;          // wall time, at most (requests sent before it are answered)
  double rate = 0;              // > 0: requests/s offered in all (open loop); 0: closed loop
  double rtol = 1e-3;           // an answer whose relative L2 error is above this is wrong
  int timeout_s = 60;           // per request
  // Triton's system shared memory instead of the binary extension: the pool's inputs are written
  // once into one region, each connection has a region of its own for its answers, all
  // registered with the server before the load and unregistered after; a request then carries
  // only its JSON header. Every output must come back in the connection's region.
  bool shm = false;
};

struct LoadReport {
  int connections = 0;
  int64_t rows = 0;             // per request
  int64_t requests = 0;         // answered 200
  int64_t rejected_503 = 0;
  int64_t errors = 0;           // any other status, or no answer
  int64_t wrong = 0;            // 200 with outputs off by more than rtol, or of the wrong shape
  bool checked = false;         // expected outputs were given
  double worst_error = 0;       // largest relative L2 error seen
  double seconds = 0;           // wall time from the first request to the last answer
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  double client_cpu_s = 0;      // CPU time of this process (all its threads) during the load
  std::vector<std::string> error_examples;  // the first few, one line each
  double requests_per_s() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
  double images_per_s() const { return requests_per_s() * static_cast<double>(rows); }
  std::string to_json() const;  // every field above, plus requests_per_s and images_per_s
};

// Whether `host` is a loopback address: 127.0.0.0/8, localhost, ::1.
bool is_loopback_host(const std::string& host);

// Host and port of `url` when it names a loopback address; InvalidArgument otherwise (one line).
Result<std::pair<std::string, int>> parse_loopback_url(const std::string& url);

// Checks the pool (names, [K, R, ...] with the same K and R everywhere), runs the load, reports.
// Errors: a bad url or pool; a server that answers nothing at all is a report with errors.
Result<LoadReport> run_load(const LoadOptions& options);

}  // namespace tandem::serve

// `tandem serve`: streaming mode. Loads the model, binds the HTTP port, warms up every padded batch
// size, serves until SIGINT/SIGTERM, then finishes the requests in flight and exits 0.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli.h"
#include "serve/load_client.h"
#include "serve/server.h"
#include "tandem/engine.h"

namespace tandem::cli {
namespace {

// Powers of two below max_batch, then max_batch: the sizes batches are padded to.
std::vector<int64_t> default_batch_sizes(int64_t max_batch) {
  std::vector<int64_t> v;
  for (int64_t b = 1; b < max_batch; b *= 2) v.push_back(b);
  v.push_back(max_batch);
  return v;
}

Result<std::vector<int64_t>> parse_batch_sizes(const std::string& text, int64_t max_batch) {
  if (text.empty()) return default_batch_sizes(max_batch);
  if (text == "none") return std::vector<int64_t>{};
  std::vector<int64_t> v;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    char* end = nullptr;
    const long long b = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || b < 1 || b > max_batch)
      return invalid_argument("--batch-sizes: '" + item + "' is not a size from 1 to --max-batch (" +
                              std::to_string(max_batch) + ")");
    v.push_back(b);
    pos = comma + 1;
  }
  if (std::find(v.begin(), v.end(), max_batch) == v.end()) v.push_back(max_batch);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Waits for SIGINT/SIGTERM (blocked in every thread, so only this one takes them) and stops the
// server. release() wakes it when the server ends for another reason.
class SignalWatcher {
 public:
  explicit SignalWatcher(const sigset_t& set) : set_(set) {}
  void watch(serve::Server& server) {
    thread_ = std::thread([this, &server] {
      int sig = 0;
      sigwait(&set_, &sig);
      if (released_) return;
      std::fprintf(stderr, "tandem serve: %s: finishing the requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      server.stop();
    });
  }
  ~SignalWatcher() {
    if (!thread_.joinable()) return;
    released_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }

 private:
  sigset_t set_;
  std::atomic<bool> released_{false};
  std::thread thread_;
};

}  // namespace

Status run_serve(const ServeOptions& o) {
  // Before any thread starts (the engine's workers, the server's), so that every thread inherits
  // the mask and the signals reach only the watcher.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  const int64_t max_batch = o.max_batch > 0 ? o.max_batch : o.latency_ms > 0 ? 64 : 8;
  TANDEM_ASSIGN_OR_RETURN(auto sizes, parse_batch_sizes(o.batch_sizes, max_batch));
  if (o.latency_ms > 0 && sizes.empty()) return invalid_argument("--latency-ms needs padded batch sizes (not --batch-sizes none)");
  EngineOptions eo;
  eo.units = o.units;
  eo.plan = o.plan;
  eo.max_in_flight = std::max(4, o.max_in_flight);  // the runtime must hold what the batcher sends
  eo.disabled_passes = o.disabled_passes;
  eo.diagnostics = diagnostics_from_environment();
  TANDEM_ASSIGN_OR_RETURN(auto engine, Engine::load(o.model, eo));

  serve::ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  so.model_name = o.model_name.empty() ? std::filesystem::path(o.model).stem().string() : o.model_name;
  so.model_version = o.model_version;
  so.max_body_bytes = static_cast<size_t>(o.max_body_mb * 1024.0 * 1024.0);
  so.read_timeout_s = so.write_timeout_s = o.timeout_s;
  so.max_connections = o.max_connections;
  so.units = o.units;
  so.batcher.max_batch = max_batch;
  so.latency_target_ms = o.latency_ms;
  so.batcher.max_delay_us = o.max_delay_us;
  so.batcher.max_queue = o.max_queue;
  so.batcher.max_in_flight = o.max_in_flight;
  so.batcher.batch_sizes = sizes;
  // Shared memory is for clients on this machine; a server reachable from others keeps it off
  // unless told (a remote client could otherwise map this machine's shared memory objects).
  so.shared_memory = o.shared_memory == "on" || (o.shared_memory == "auto" && serve::is_loopback_host(o.host));
  TANDEM_ASSIGN_OR_RETURN(auto server, serve::Server::create(*engine, so));
  SignalWatcher watcher(set);
  watcher.watch(*server);
  TANDEM_RETURN_IF_ERROR(server->start());
  std::printf("tandem serve: model '%s' (%s) on units %s, listening on http://%s:%d\n", so.model_name.c_str(),
              o.model.c_str(), o.units.c_str(), o.host.c_str(), server->port());
  std::fflush(stdout);
  Status warm = server->warm_up();
  if (!warm.is_ok()) {
    server->stop();
    (void)server->wait();
    return warm;
  }
  if (o.latency_ms > 0)
    std::printf("tandem serve: p99 target %g ms: %s\n", o.latency_ms, server->batching_summary().c_str());
  std::printf("tandem serve: ready (max batch %lld, max delay %lld us%s, system shared memory %s, plan %s)\n",
              static_cast<long long>(max_batch), static_cast<long long>(o.max_delay_us),
              o.latency_ms > 0 ? ", adapting to the target" : "", so.shared_memory ? "on" : "off",
              server->plan().c_str());  // not engine->: the batcher may be using it by now
  std::fflush(stdout);
  TANDEM_RETURN_IF_ERROR(server->wait());
  std::printf("tandem serve: stopped\n");
  std::fflush(stdout);
  return Status::ok();
}

}  // namespace tandem::cli

// Server: `tandem serve`'s HTTP endpoint — KServe v2 / Open Inference Protocol with the binary
// tensor data extension and Triton's model configuration and statistics extensions, Prometheus
// /metrics — in front of a MicroBatcher over one Engine; and Triton's system shared memory
// extension (shared_memory_api.h): inputs read from, outputs written to regions clients register.
//
//   auto server = Server::create(*engine, options);   // binds host:port
//   (*server)->start();                               // listens (not ready yet)
//   (*server)->warm_up();                              // compiles each batch size; ready after
//   (*server)->wait();                                 // until stop(): then finishes what is in flight
//
// Life cycle: stop() (from any thread, e.g. one that waits for SIGTERM) closes the listening
// socket, lets every request already being handled finish (their batches run), then wait() stops
// the batcher and returns. Limits (ServerOptions): body size (413), read/write timeouts,
// connections served at once. Errors are {"error": "..."} with a 4xx/5xx status; a bad request
// never stops the server.
#pragma once

#include <memory>
#include <string>

#include "serve/batcher.h"
#include "serve/metrics.h"
#include "tandem/engine.h"
#include "tandem/status.h"

namespace tandem::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                         // 0: any free port (port() says which)
  std::string model_name = "model";
  std::string model_version = "1";
  size_t max_body_bytes = size_t{64} << 20;  // larger bodies get 413
  int read_timeout_s = 30;                 // per socket read / write
  int write_timeout_s = 30;
  int keep_alive_s = 5;                    // idle keep-alive connections close after this
  int max_connections = 128;               // connections handled at once (threads); more wait in the backlog
  BatcherOptions batcher;
  // > 0: a p99 latency target. warm_up() times a batch of each padded size, and a
  // LatencyController (latency_controller.h) then sets max batch and delay, within `batcher`'s
  // max_batch, adapting to the arrival rate.
  double latency_target_ms = 0;
  std::string units;                       // reported in the model config
  // Triton's system shared memory extension: clients may register regions of their POSIX shared
  // memory objects, which the server then reads and writes. Off: its endpoints and any request
  // naming shared memory get 400. (Only clients on this machine can use it; the CLI turns it on
  // when the server binds a loopback address.)
  bool shared_memory = true;
};

class Server {
 public:
  // Binds host:port. `engine` outlives the server. Errors: a port in use, a bad host.
  static Result<std::unique_ptr<Server>> create(Engine& engine, ServerOptions options);
  virtual ~Server() = default;

  virtual int port() const = 0;
  // Starts listening on a thread of its own: health/live answers at once, ready after warm_up().
  virtual Status start() = 0;
  // Runs one batch of zeros at each padded batch size (when every non-batch dim is fixed), so
  // compiles and plan choices happen before the first request; then marks the server ready.
  virtual Status warm_up() = 0;
  // Blocks until stop(), then waits for the requests in flight and stops the batcher.
  virtual Status wait() = 0;
  // Stops accepting; wait() returns once the accepted requests are answered. Any thread; idempotent.
  virtual void stop() = 0;

  // After warm_up(): with a latency target, the measured batch times and the limits chosen
  // ("batch 1: 0.4 ms, 2: 0.6 ms, ...; max batch 8, delay 2.1 ms"); otherwise "".
  virtual std::string batching_summary() const = 0;
  // After warm_up(): the engine's plan at the last batch size warmed up ("" before). Any thread.
  virtual std::string plan() const = 0;

  virtual MicroBatcher& batcher() = 0;
  virtual const Metrics& metrics() const = 0;
};

}  // namespace tandem::serve

// The HTTP side of the server, on cpp-httplib (Debian's libcpp-httplib; its header appears only in
// this file). Routes follow the KServe v2 REST API; handlers decode, queue on the batcher, wait for
// their own outputs and encode them.
#include "serve/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <httplib.h>

#include "serve/infer_request.h"
#include "serve/infer_response.h"
#include "serve/latency_controller.h"
#include "serve/model_metadata.h"
#include "serve/request_body.h"
#include "serve/request_decoder.h"
#include "serve/shared_memory_api.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

int http_status(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kUnsupported:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(error_body(message), "application/json");
}

// send_error() for the infer handler.
void fail(httplib::Response& res, int status, const std::string& message) { send_error(res, status, message); }

// Where a handler waits for its request's outputs: on its own stack (a std::promise allocates its
// shared state for every request).
class Answer {
 public:
  void set(Result<std::vector<Tensor>> r) {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(r);
    done_ = true;
    cv_.notify_one();  // under the lock: the waiter may return and destroy *this once it is released
  }
  Result<std::vector<Tensor>> get() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return std::move(*result_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::optional<Result<std::vector<Tensor>>> result_;  // set with done_
};

// cpp-httplib's Server with a longer listen backlog: its own (5) is compiled into Debian's library,
// and many clients connecting at once would wait for SYN retries. listen() on a listening socket
// only changes the backlog.
class HttpServer : public httplib::Server {
 public:
  void raise_backlog(int n) {
    const auto sock = svr_sock_.load();
    if (sock != INVALID_SOCKET) ::listen(sock, n);
  }
};

class ServerImpl final : public Server {
 public:
  ServerImpl(Engine& engine, ServerOptions options)
      : engine_(engine), options_(std::move(options)), metrics_(options_.batcher.max_batch) {
    model_.name = options_.model_name;
    model_.version = options_.model_version;
    model_.inputs = engine.inputs();
    model_.outputs = engine.outputs();
    model_.max_batch = options_.batcher.max_batch;
    model_.max_delay_us = options_.batcher.max_delay_us;
    model_.batch_sizes = options_.batcher.batch_sizes;
    model_.units = options_.units;
    batcher_ = std::make_unique<MicroBatcher>(engine_, options_.batcher, &metrics_);
  }

  ~ServerImpl() override {
    stop();
    if (listener_.joinable()) listener_.join();
    batcher_->stop();
  }

  Status bind() {
    configure();
    if (options_.port == 0) {
      port_ = http_.bind_to_any_port(options_.host);
      if (port_ < 0) return unavailable("cannot bind " + options_.host + " to any port");
    } else {
      if (!http_.bind_to_port(options_.host, options_.port))
        return unavailable("cannot bind " + options_.host + ":" + std::to_string(options_.port) +
                           " (in use, or not an address of this machine)");
      port_ = options_.port;
    }
    http_.raise_backlog(std::max(64, options_.max_connections));
    return Status::ok();
  }

  int port() const override { return port_; }

  Status start() override {
    listener_ = std::thread([this] { http_.listen_after_bind(); });
    return Status::ok();
  }

  Status warm_up() override {
    bool fixed = true;  // every input has a batch dim and no other open dim: its shapes are known
    for (const TensorInfo& t : model_.inputs) {
      fixed &= !t.shape.empty();
      for (size_t d = 1; d < t.shape.size(); ++d) fixed &= t.shape[d] >= 0;
    }
    std::vector<int64_t> sizes = options_.batcher.batch_sizes;
    if (sizes.empty()) sizes = {1, options_.batcher.max_batch};
    if (fixed) batcher_->reserve_buffers();  // page-locked with a GPU: allocated now, not while serving
    for (int64_t b : fixed ? sizes : std::vector<int64_t>{}) {
      if (stopped_) break;
      std::vector<Tensor> inputs;
      for (const TensorInfo& t : model_.inputs) {
        Shape s = t.shape;
        s[0] = b;
        inputs.push_back(Tensor::zeros(s, t.dtype));
      }
      auto r = engine_.run(inputs);
      if (!r.is_ok()) return r.status().with_context("warm-up at batch " + std::to_string(b));
    }
    if (options_.latency_target_ms > 0) TANDEM_RETURN_IF_ERROR(start_latency_control(sizes));
    {
      std::lock_guard<std::mutex> lock(plan_mu_);  // the config handler may be reading model_
      model_.plan = engine_.plan_description();
    }
    engine_.reset_report();
    ready_ = true;
    return Status::ok();
  }

  std::string batching_summary() const override { return summary_; }

  std::string plan() const override {
    std::lock_guard<std::mutex> lock(plan_mu_);
    return model_.plan;
  }

  // Times a batch at each size (median of 5, after the warm-up compiled it) and starts the controller.
  Status start_latency_control(const std::vector<int64_t>& sizes) {
    std::vector<BatchTiming> profile;
    for (int64_t b : sizes) {
      std::vector<Tensor> inputs;
      for (const TensorInfo& t : model_.inputs) {
        Shape s = t.shape;
        if (s.empty()) return invalid_argument("--latency-ms needs a batch dim on input '" + t.name + "'");
        s[0] = b;
        if (std::any_of(s.begin(), s.end(), [](int64_t d) { return d < 0; }))
          return invalid_argument("--latency-ms needs every input dim but the batch fixed by the model");
        inputs.push_back(Tensor::zeros(s, t.dtype));
      }
      std::vector<double> times;
      for (int i = 0; i < 5; ++i) {
        const auto t0 = Clock::now();
        TANDEM_RETURN_IF_ERROR(engine_.run(inputs).status());
        times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      }
      std::sort(times.begin(), times.end());
      profile.push_back(BatchTiming{b, times[2]});
    }
    controller_ = std::make_unique<LatencyController>(*batcher_, profile, options_.latency_target_ms * 1e-3);
    const BatchLimits l = choose_limits(profile, options_.latency_target_ms * 1e-3, 0);
    char buf[96];
    for (const BatchTiming& t : profile) {
      std::snprintf(buf, sizeof buf, "%s%lld: %.3g ms", summary_.empty() ? "batch " : ", ", static_cast<long long>(t.rows),
                    t.seconds * 1e3);
      summary_ += buf;
    }
    std::snprintf(buf, sizeof buf, "; batches of up to %lld rows fit the target (smaller at moderate load)",
                  static_cast<long long>(l.max_batch));
    summary_ += buf;
    return Status::ok();
  }

  Status wait() override {
    if (listener_.joinable()) listener_.join();
    controller_.reset();
    batcher_->stop();
    shm_.unregister_all();  // every request is answered: nothing holds a mapping any more
    return Status::ok();
  }

  void stop() override {
    stopped_ = true;
    ready_ = false;
    batcher_->drain();  // the requests being handled need not wait for fuller batches
    http_.stop();
  }

  MicroBatcher& batcher() override { return *batcher_; }
  const Metrics& metrics() const override { return metrics_; }

 private:
  void configure() {
    const int threads = std::max(1, options_.max_connections);
    http_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    http_.set_payload_max_length(options_.max_body_bytes);
    http_.set_read_timeout(options_.read_timeout_s, 0);
    http_.set_write_timeout(options_.write_timeout_s, 0);
    http_.set_keep_alive_timeout(options_.keep_alive_s);
    // cpp-httplib closes a keep-alive connection after 5 requests by default: a client then pays a
    // new TCP connection (and the server a thread hand-off) every fifth request.
    http_.set_keep_alive_max_count(std::numeric_limits<int>::max());
    http_.set_tcp_nodelay(true);
    httplib::Server::Handler on_error = [](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string what = res.status == 404   ? "no such endpoint"
                         : res.status == 413 ? "the request body is larger than the server's limit"
                         : res.status == 405 ? "method not allowed"
                                             : "bad request";
      res.set_content(error_body(what), "application/json");
    };
    http_.set_error_handler(on_error);
    routes();
  }

  // Whether {model, version} in the path names our model; otherwise answers 404.
  bool our_model(const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const std::string version = req.matches.size() > 2 ? std::string(req.matches[2]) : "";
    if (name != model_.name) {
      send_error(res, 404, "unknown model '" + name + "' (this server has '" + model_.name + "')");
      return false;
    }
    if (!version.empty() && version != model_.version) {
      send_error(res, 404, "model '" + name + "' has no version '" + version + "' (it has '" + model_.version + "')");
      return false;
    }
    return true;
  }

  void routes() {
    const std::string m = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";
    http_.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, {{"live", true}}); });
    http_.Get("/v2/health/ready", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, ready_ ? 200 : 400, {{"ready", ready_.load()}});
    });
    http_.Get("/v2", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, server_metadata(options_.shared_memory));
    });
    http_.Get("/v2/models", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"models", {model_.name}}});
    });
    http_.Post("/v2/repository/index", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, json::array({{{"name", model_.name}, {"version", model_.version}, {"state", ready_ ? "READY" : "UNAVAILABLE"}}}));
    });
    http_.Get("/v2/models/stats", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, metrics_.triton_stats(model_.name, model_.version));
    });
    http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_.prometheus(model_.name, engine_.unit_usage(), batcher_->max_batch(), batcher_->max_delay_us()),
                      "text/plain; version=0.0.4");
    });
    http_.Get(m, [this](const httplib::Request& req, httplib::Response& res) {
      if (our_model(req, res)) send_json(res, 200, model_metadata(model_));
    });
    http_.Get(m + "/ready", [this](const httplib::Request& req, httplib::Response& res) {
      if (our_model(req, res)) send_json(res, ready_ ? 200 : 400, {{"name", model_.name}, {"ready", ready_.load()}});
    });
    http_.Get(m + "/config", [this](const httplib::Request& req, httplib::Response& res) {
      if (!our_model(req, res)) return;
      std::lock_guard<std::mutex> lock(plan_mu_);
      send_json(res, 200, model_config(model_));
    });
    http_.Get(m + "/stats", [this](const httplib::Request& req, httplib::Response& res) {
      if (our_model(req, res)) send_json(res, 200, metrics_.triton_stats(model_.name, model_.version));
    });
    shared_memory_routes();
    // The body is read here rather than by cpp-httplib: it would refuse (413) a body over 8 KB sent
    // as application/x-www-form-urlencoded, the type urllib and curl -d put on a POST by default.
    http_.Post(m + "/infer", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& read) {
      const auto t0 = Clock::now();
      metrics_.add_in_flight(1);
      // One allocation for the whole body (it arrives in 4 KB pieces) when its length is declared,
      // with the binary inputs aligned so that they are used in place.
      size_t declared = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
      if (declared > options_.max_body_bytes) declared = 0;  // refused below, once read that far
      RequestBody body(declared, std::strtoull(req.get_header_value("Inference-Header-Content-Length").c_str(), nullptr, 10));
      bool too_large = false;
      const bool read_all = read([&](const char* data, size_t n) {
        too_large = body.size() + n > options_.max_body_bytes;
        if (!too_large) body.append(data, n);
        return !too_large;
      });
      // cpp-httplib stops reading at its payload limit (the same limit) and sets 413 itself.
      too_large |= res.status == 413;
      if (too_large) fail(res, 413, "the request body is larger than the server's limit");
      else if (!read_all) fail(res, 400, "the request body could not be read");
      else infer(req, body, res);
      metrics_.add_in_flight(-1);
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      metrics_.observe_request(res.status, seconds);
      // A 200 means the handler saw ready_, which warm_up() set after controller_.
      if (res.status == 200 && controller_) controller_->observe(seconds);
    });
  }

  // Triton's system shared memory extension (shared_memory_api.h).
  void shared_memory_routes() {
    const std::string base = "/v2/systemsharedmemory", region = base + "/region/([^/]+)";
    SharedMemoryRegistry* shm = options_.shared_memory ? &shm_ : nullptr;
    auto reply = [](httplib::Response& res, const ApiReply& a) {
      res.status = a.status;
      res.set_content(a.body, "application/json");
    };
    http_.Get(base + "/status", [shm, reply](const httplib::Request&, httplib::Response& res) {
      reply(res, shared_memory_status(shm, ""));
    });
    http_.Get(region + "/status", [shm, reply](const httplib::Request& req, httplib::Response& res) {
      reply(res, shared_memory_status(shm, req.matches[1]));
    });
    http_.Post(region + "/register", [shm, reply](const httplib::Request& req, httplib::Response& res) {
      reply(res, shared_memory_register(shm, req.matches[1], req.body));
    });
    http_.Post(region + "/unregister", [shm, reply](const httplib::Request& req, httplib::Response& res) {
      reply(res, shared_memory_unregister(shm, req.matches[1]));
    });
    http_.Post(base + "/unregister", [shm, reply](const httplib::Request&, httplib::Response& res) {
      reply(res, shared_memory_unregister(shm, ""));
    });
  }

  // Answers one inference request.
  void infer(const httplib::Request& req, const RequestBody& body, httplib::Response& res) {
    if (!our_model(req, res)) return;
    // Until warm-up ends the engine is busy compiling on another thread; it takes one caller at a time.
    if (!ready_) return fail(res, 503, stopped_ ? "the server is shutting down" : "the model is not ready yet (warming up)");
    std::optional<size_t> header_length;
    if (req.has_header("Inference-Header-Content-Length")) {
      auto n = parse_header_length(req.get_header_value("Inference-Header-Content-Length"));
      if (!n.is_ok()) return fail(res, 400, n.status().message());
      header_length = *n;
    }
    auto decoded = decoder_.decode(body.view(), header_length, body.owner());
    if (!decoded.is_ok()) return fail(res, http_status(decoded.status()), decoded.status().message());
    InferRequest& r = *decoded;
    Answer answer;
    // Outputs in shared memory are written there by the batcher; r keeps the regions mapped until
    // the answer is sent.
    std::vector<OutputDestination> destinations(r.output_shm.size());
    for (size_t o = 0; o < destinations.size(); ++o) destinations[o] = {r.output_shm[o].data, r.output_shm[o].size};
    Status queued = batcher_->enqueue(
        std::move(r.inputs), [&answer](Result<std::vector<Tensor>> out) { answer.set(std::move(out)); },
        std::move(destinations));
    if (!queued.is_ok()) return fail(res, http_status(queued), queued.message());
    Result<std::vector<Tensor>> outputs = answer.get();
    if (!outputs.is_ok()) return fail(res, http_status(outputs.status()), outputs.status().message());
    EncodedResponse e = encode_infer_response(model_.name, model_.version, r, model_.outputs, *outputs);
    res.status = 200;
    if (e.header_length) res.set_header("Inference-Header-Content-Length", std::to_string(*e.header_length));
    // Moved, not set_content(): cpp-httplib 0.11 takes the body by const reference and copies it.
    res.body = std::move(e.body);
    res.set_header("Content-Type", e.header_length ? "application/octet-stream" : "application/json");
  }

  Engine& engine_;
  ServerOptions options_;
  Metrics metrics_;
  ModelDescription model_;
  SharedMemoryRegistry shm_;  // before decoder_, which points to it
  RequestDecoder decoder_{engine_.inputs(), engine_.outputs(), options_.shared_memory ? &shm_ : nullptr};
  std::unique_ptr<MicroBatcher> batcher_;
  std::unique_ptr<LatencyController> controller_;  // with a latency target, after warm_up()
  std::string summary_;
  HttpServer http_;
  int port_ = -1;
  std::thread listener_;
  std::atomic<bool> ready_{false}, stopped_{false};
  mutable std::mutex plan_mu_;  // guards model_.plan, written by warm_up()
};

}  // namespace

Result<std::unique_ptr<Server>> Server::create(Engine& engine, ServerOptions options) {
  if (options.batcher.max_batch < 1) return invalid_argument("max batch must be at least 1");
  if (options.batcher.max_queue < 1) return invalid_argument("max queue must be at least 1");
  auto s = std::make_unique<ServerImpl>(engine, std::move(options));
  TANDEM_RETURN_IF_ERROR(s->bind());
  return std::unique_ptr<Server>(std::move(s));
}

}  // namespace tandem::serve

// The public entry point: load an ONNX model, pick units (and a plan), run batches.
//
//   auto engine = tandem::Engine::load("model.onnx", {.units = "cpu"});
//   if (!engine) { print(engine.status().message()); return 1; }
//   auto outputs = (*engine)->run({input});   // outputs in the model's output order
//
// Thread safety: one Engine may be used by one thread at a time, except that submit() and next()
// may run on two threads at once (a producer and a consumer) and unit_usage() on any thread.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tandem/diagnostics.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem {

// What the engine returns for the model's float outputs (EngineOptions::output_dtype). The
// conversion is appended to the graph, so it runs on the unit that computes the output.
enum class OutputDType {
  kFloat32,  // as the model computes them
  kFloat16,  // every float32 output as float16 (half the bytes to download and keep)
  kArgMax,   // every float32 output of rank >= 2 as its int64 argmax over axis 1, the class axis
             // ([N, C, H, W] logits -> the [N, H, W] class map; [N, C] -> [N]); other outputs as
             // they are. Engine::load fails, naming the outputs, when none qualifies
};

struct EngineOptions {
  std::string units = "cpu";  // unit spec, e.g. "cpu", "reference", "cpu:0-7,cpu:8-15", "cuda:0/fp16"
  std::string plan;           // short-form plan or a path to a plan JSON file; empty: the default plan
  int max_in_flight = 4;      // batches in the pipeline at once (run_many)
  // With several units and no plan: at each new batch size, time the seed's default plan against
  // each unit alone on that batch and keep the fastest (never slower than the best unit). Off: the
  // seed's plan as calibrated, one plan for every batch size.
  bool measure_plan = true;
  BackendDiagnostics diagnostics;  // given to every unit's backend (tandem/diagnostics.h)
  OutputDType output_dtype = OutputDType::kFloat32;
  // Graph passes to skip, by name ("fuse_add_layer_norm", "fuse_attention", ...; an unknown name
  // fails load with the list): for comparing a fusion against its absence, or working around one.
  std::vector<std::string> disabled_passes{};
};

// What one unit did since load, summed over every shape compiled (Engine::unit_usage).
struct UnitUsage {
  std::string unit;
  int64_t images = 0;  // images through this unit, summed over stages
  double busy_s = 0;   // time inside its runs
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;  // dims < 0 are open (batch, often H/W)
  // How EngineOptions::output_dtype changed this output, e.g. "argmax over axis 1 of float32
  // [N, 21, H, W]"; empty: as the model computes it.
  std::string conversion{};
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Imports the model and prepares the units. Errors: missing/broken file, unsupported op, bad
  // unit spec or plan. Compilation for a concrete input shape happens at the first run with it.
  static Result<std::unique_ptr<Engine>> load(const std::string& model_path, const EngineOptions& options);

  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;

  // Runs one batch. `inputs` follow inputs() order (float32 NCHW for image inputs). The first
  // call with a new input shape compiles for it (cached). Returns outputs in outputs() order.
  virtual Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs) = 0;

  // A printable description of the plan in use for the last compiled shape ("" before any run):
  // its short form, e.g. "front@conv5:cpu:0-3=0.6,cpu:4-7=0.4 | tail:cpu:0-3".
  virtual std::string plan_description() const = 0;

  // (additive; defaults keep older implementations working)
  // Runs many batches with consecutive batches overlapping across stages; outputs in order.
  virtual Result<std::vector<std::vector<Tensor>>> run_many(const std::vector<std::vector<Tensor>>& batches) {
    std::vector<std::vector<Tensor>> out;
    for (const auto& b : batches) {
      auto r = run(b);
      if (!r.is_ok()) return r.status();
      out.push_back(std::move(r.value()));
    }
    return out;
  }
  // A host tensor in the memory this engine's units read and write fastest: page-locked when a
  // GPU unit takes part (its copy engines then reach it directly: no staging copy, and the
  // transfer overlaps compute), ordinary memory otherwise. Fill it and pass it to run() or
  // run_many(); reuse it across batches (page-locking is slow to allocate). Contents undefined.
  virtual Tensor make_tensor(Shape shape, DType dtype) { return Tensor(std::move(shape), dtype); }

  // What the planner decided on its own that the user should know, one line each, for every
  // shape compiled so far: e.g. that the end of the model runs on an added host unit because the
  // given units cannot run it (a detection head's NonMaxSuppression on a GPU).
  virtual std::vector<std::string> plan_warnings() const { return {}; }

  // Multi-line plan for `--dump-plan`: stages, their nodes, FLOPs, cut tensors, units and shares.
  virtual std::string plan_details() const { return plan_description(); }
  // What ran since the last reset_report() (or load): images, wall time, images/s, per unit
  // images, busy time, utilisation, failed units and re-run slices. Text table / JSON.
  virtual std::string report_text() const { return ""; }
  virtual std::string report_json() const { return "{}"; }
  virtual void reset_report() {}

  // (additive) Streaming, for a server: submit() queues one batch (inputs as for run()) and
  // returns once it is queued, blocking only while max_in_flight batches wait to be taken;
  // next() waits for the oldest submitted batch and returns its outputs or its error. Consecutive
  // batches overlap across the plan's stages, as in run_many(). submit() may be called from one
  // thread while next() is called from another (a producer and a consumer); call next() only for
  // a batch whose submit() returned ok. The default runs each batch inside submit().
  virtual Status submit(std::vector<Tensor> inputs) {
    auto r = run(inputs);
    std::lock_guard<std::mutex> lock(streamed_mu_);
    streamed_.push_back(std::move(r));
    return Status::ok();
  }
  virtual Result<std::vector<Tensor>> next() {
    std::lock_guard<std::mutex> lock(streamed_mu_);
    if (streamed_.empty()) return internal_error("Engine::next: no batch was submitted");
    auto r = std::move(streamed_.front());
    streamed_.pop_front();
    return r;
  }
  // (additive) Per unit: images and busy time since load (or reset_report()), over every shape. Safe to call from any
  // thread, also while batches stream. The default knows no units.
  virtual std::vector<UnitUsage> unit_usage() const { return {}; }

 private:
  std::mutex streamed_mu_;  // the default submit()/next() only
  std::deque<Result<std::vector<Tensor>>> streamed_;
};

}  // namespace tandem

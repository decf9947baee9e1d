// The `tandem` command line: flags are parsed once (main.cpp) into these typed options, and
// each command is a function of them. Commands return a Status; main prints a failing one as
// a single line "tandem: error: ..." and exits 1.
#pragma once

#include <string>
#include <vector>

#include "input_source.h"
#include "tandem/engine.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::cli {

struct InfoOptions {
  std::string model;
  std::string units;          // when set: which unit can run which node
  std::string shape;          // shape for open dims, e.g. "1x3x224x224"
  bool cuts = false;
};

struct RunOptions {
  std::string model;          // empty: the built-in default model
  std::string input;          // .npy file or a directory of .npy/image files; empty: random data
  std::string output;         // .npy file for the outputs (first model output), or a directory
  std::string units = "cpu";
  std::string plan;
  std::string report;         // JSON report path
  std::string shape;          // shape for open non-batch dims, e.g. "1x3x224x224"
  int batch = 0;              // 0: 1 for generated data, min(N, 64) for --input
  int iterations = 0;         // timed runs on generated data (0: 20, at least 2 s? no: exactly 20)
  int warmup = 3;
  uint64_t seed = 1;
  bool dump_plan = false;
  bool quiet = false;
  Preprocess preprocess;      // for image files in an --input directory
  std::string output_dtype = "fp32";  // fp32 | fp16 | argmax (EngineOptions::output_dtype)
  std::vector<std::string> disabled_passes;  // --disable-pass (EngineOptions::disabled_passes)
};

struct BenchOptions {
  std::string model;
  std::string units = "cpu";
  std::string plan;            // for the all-units run; empty: the default (seed's) plan
  std::string batches = "1,16,64,256";
  std::string shape;
  double seconds = 1.0;        // timed seconds per configuration
  std::string json, csv;       // result files (optional)
  std::string plot;            // PNG: throughput vs batch, speedup on a second axis (matplotlib)
  bool tuned = false;          // add the tuned plan (searched on the profile per batch) as a configuration
  std::string profile;         // --profile FILE: the profile for --tuned / --simulate instead of measuring
  std::string profile_batches = "1,8,64";
  bool simulate = false;       // predict the curves from the profile; run nothing
  bool reprofile = false;      // measure the profile again even when it is cached
  std::string output_dtype = "fp32";  // fp32 | fp16 | argmax (EngineOptions::output_dtype)
  std::vector<std::string> disabled_passes;  // --disable-pass (EngineOptions::disabled_passes)
};

struct TuneOptions {
  std::string model;
  std::string units = "cpu";
  std::string shape;
  std::string batches = "1,2,4,8,16,32,64,128,256";  // batch sizes the search may choose
  std::string profile_batches = "1,8,64";            // batch sizes the profile times
  double latency_ms = 0;       // > 0: throughput under this latency of one batch (streaming)
  int64_t images = 0;          // > 0: an offline run of this many images (chooses the chunking)
  std::string save;            // plan JSON (with its profile) for tandem run|bench --plan
  std::string profile;         // load this profile instead of measuring
  bool simulate = false;       // predict only: nothing runs
  int top = 3;                 // best predictions measured (the best single unit is added)
  int rounds = 3;              // timed rounds of the finalists (median)
  double seconds = 0.2;        // per round
  int max_cuts = 6;            // candidate cuts spread over the model (plus the needed ones)
  int show = 10;               // rows of the ranking printed
  bool reprofile = false;      // measure the profile again even when it is cached
};

struct ServeOptions {
  std::string model;
  std::string units = "cpu";
  std::string plan;
  std::string host = "127.0.0.1";
  int port = 8000;                 // 0: any free port (printed)
  std::string model_name;          // empty: the file's stem
  std::string model_version = "1";
  int64_t max_batch = 0;           // 0: 8, or 64 with --latency-ms (the controller's ceiling)
  int64_t max_delay_us = 1000;
  int64_t max_queue = 1024;
  double latency_ms = 0;           // > 0: batch size and delay chosen to keep p99 under it
  std::string batch_sizes;         // padded sizes, e.g. "1,2,4,8"; empty: powers of two; "none"
  double max_body_mb = 64;
  int timeout_s = 30;
  int max_connections = 128;
  int max_in_flight = 3;           // batches in the engine at once; the next one gathers meanwhile
  std::vector<std::string> disabled_passes;  // --disable-pass (EngineOptions::disabled_passes)
  std::string shared_memory = "auto";  // Triton's system shared memory: on, off, auto (on for a loopback host)
};

struct LoadOptions {
  std::string url;                 // a loopback server, e.g. 127.0.0.1:8000
  std::string pool;                // .npz: "input:<name>" [K, rows, ...] and "output:<name>" (expected)
  std::string model_name = "model";
  int connections = 16;
  int64_t requests = 10000;        // at most, in all
  double seconds = 10;             // at most
  double rate = 0;                 // > 0: requests/s offered (open loop)
  double rtol = 1e-3;              // relative L2 error above which an answer is wrong
  bool shm = false;                // inputs and outputs through system shared memory regions
  std::string json;                // also write the report here (it always goes to stdout)
};

struct CacheOptions {
  bool clear = false;          // delete the cache files
};

// The backend diagnostics named by the environment (the only place the project reads it):
// TANDEM_CUDA_CONV_LOG (log timed choices), TANDEM_CUDA_CONV_PLAN (force a conv plan kind),
// TANDEM_CUDA_TRY / TANDEM_CUDA_OFF (comma-separated features on / off; TANDEM_CUDA_NO_CONV_FUSION
// and TANDEM_CUDA_NO_CONV_GEMM turn off conv-fusion / conv-gemm), TANDEM_CUDA_TIMING,
// TANDEM_CUDA_PROFILE (1 = on); and the cache folder (cache_dir_from_environment()).
BackendDiagnostics diagnostics_from_environment();
// $TANDEM_CACHE_DIR, else $XDG_CACHE_HOME/tandem, else $HOME/.cache/tandem; empty when
// TANDEM_CACHE_DIR is "none" (or empty) or no home is known: then nothing is kept on disk.
std::string cache_dir_from_environment();

Status run_info(const InfoOptions& o);
Status run_cache(const CacheOptions& o);
Status run_bench(const BenchOptions& o);
Status run_run(const RunOptions& o);
Status run_serve(const ServeOptions& o);
Status run_load(const LoadOptions& o);
Status run_tune(const TuneOptions& o);

// --output-dtype: "fp32" (as the model computes them), "fp16", "argmax"; else one line naming
// the choices.
Result<OutputDType> parse_output_dtype(const std::string& text);
// One line per output that --output-dtype changed ("output 'out': argmax over axis 1 of ...").
std::string describe_conversions(const Engine& engine);

// "1x3x224x224" -> {1,3,224,224}.
Result<Shape> parse_shape(const std::string& text);
// Shape for a model input: open dims taken from `override_shape` (if given) or the batch.
Result<Shape> resolve_input_shape(const std::string& name, const Shape& model_shape, const std::string& override_shape,
                                  int64_t batch);
// Random float32 data in [-1, 1) from a fixed seed.
Tensor random_tensor(const Shape& shape, uint64_t seed);
// The same values in engine.make_tensor() memory (page-locked when a GPU unit takes part).
Tensor random_tensor(Engine& engine, const Shape& shape, uint64_t seed);
// Uniform in [-1, 1) from `seed`; float32 tensors.
void fill_random(Tensor& t, uint64_t seed);

}  // namespace tandem::cli

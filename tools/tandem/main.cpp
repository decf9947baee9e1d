// tandem — run one ONNX model on every compute unit of a machine at once.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli.h"

#ifndef TANDEM_DEFAULT_MODEL
#define TANDEM_DEFAULT_MODEL "mobilenet_v2.onnx"
#endif

namespace {

// Prints a failing Status as one line (newlines folded) and returns the exit code.
int report(const tandem::Status& st) {
  if (st.is_ok()) return 0;
  std::string m = st.message();
  for (char& c : m)
    if (c == '\n') c = ' ';
  std::fprintf(stderr, "tandem: error: %s\n", m.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandem: runs one ONNX model on every compute unit of a machine at once"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tandem 0.1.0");

  tandem::cli::InfoOptions info;
  auto* info_cmd = app.add_subcommand("info", "Describe a model: inputs, outputs, ops, FLOPs, parameters, support");
  info_cmd->add_option("model", info.model, "ONNX model file")->required();
  info_cmd->add_option("--units", info.units, "Show which of these units can run each node, e.g. cpu,reference");
  info_cmd->add_option("--shape", info.shape, "Input shape for open dims, e.g. 1x3x224x224 (default: batch 1)");
  info_cmd->add_flag("--cuts", info.cuts, "List the cuts (points where one tensor crosses)");

  tandem::cli::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Run a model offline (all data local); without a model, the built-in MobileNetV2");
  run_cmd->add_option("model", run.model, "ONNX model file (default: the built-in MobileNetV2)");
  run_cmd->add_option("--input", run.input, "Input: a .npy [N,C,H,W], or a directory of .npy / JPEG / PNG files; default: random data");
  run_cmd->add_option("--output", run.output, "Write every output, rows in input order: a .npz (one array per output), a directory (one <output>.npy each; per image for an image directory), or one .npy (single-output models)");
  run_cmd->add_option("--units", run.units, "Units, e.g. cpu, reference, cpu:0-7,cpu:8-15, cuda:0/fp16")->capture_default_str();
  run_cmd->add_option("--plan", run.plan, "Plan: short form or a JSON file (default: the seed's plan)");
  run_cmd->add_option("--batch", run.batch, "Images per batch (default: 1 for random data, up to 64 for --input)")
      ->check(CLI::PositiveNumber);
  run_cmd->add_option("--shape", run.shape, "Input shape when the model leaves H/W open, e.g. 1x3x224x224");
  run_cmd->add_option("--iterations", run.iterations, "Timed runs on random data (default 20)")->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--warmup", run.warmup, "Untimed runs first")->capture_default_str()->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--seed", run.seed, "Seed of the random input")->capture_default_str();
  run_cmd->add_option("--report", run.report, "Write a JSON report (images/s, latency, per unit)");
  std::string mean, stdev;
  run_cmd->add_option("--mean", mean, "Image files: per-channel mean of pixel/255 (default ImageNet 0.485,0.456,0.406)");
  run_cmd->add_option("--std", stdev, "Image files: per-channel std (default ImageNet 0.229,0.224,0.225)");
  run_cmd->add_flag("--bgr", run.preprocess.bgr, "Image files: feed channels as BGR (default RGB)");
  run_cmd->add_flag("--dump-plan", run.dump_plan, "Print the plan");
  run_cmd->add_option("--output-dtype", run.output_dtype,
                      "Float outputs as fp32 (as the model computes them), fp16, or argmax (the int64 class map: "
                      "argmax over axis 1 of every float output of rank >= 2), computed on the unit")
      ->capture_default_str();
  run_cmd->add_option("--disable-pass", run.disabled_passes, "Skip this graph pass (repeat, or comma-separated), e.g. fuse_add_layer_norm; a wrong name lists them")->delimiter(',');
  run_cmd->add_flag("-q,--quiet", run.quiet, "Print only the summary line");

  tandem::cli::BenchOptions bench;
  auto* bench_cmd = app.add_subcommand("bench", "The seed's experiment: each unit alone vs all together, per batch size");
  bench_cmd->add_option("model", bench.model, "ONNX model file (default: the built-in MobileNetV2)");
  bench_cmd->add_option("--units", bench.units, "Units, e.g. cuda:0/fp16,cpu or cpu:0-7,cpu:8-15")->capture_default_str();
  bench_cmd->add_option("--plan", bench.plan, "Plan for the all-units run (default: the seed's plan)");
  bench_cmd->add_option("--batches", bench.batches, "Batch sizes")->capture_default_str();
  bench_cmd->add_option("--shape", bench.shape, "Input shape when the model leaves H/W open");
  bench_cmd->add_option("--seconds", bench.seconds, "Timed seconds per configuration")->capture_default_str()->check(CLI::PositiveNumber);
  bench_cmd->add_option("--json", bench.json, "Write the results as JSON");
  bench_cmd->add_option("--csv", bench.csv, "Write the results as CSV");
  bench_cmd->add_option("--plot", bench.plot, "Draw the results as a PNG (throughput vs batch, speedup); needs matplotlib");
  bench_cmd->add_flag("--tuned", bench.tuned, "Add the tuned plan (searched on the profile at each batch) as a configuration");
  bench_cmd->add_option("--profile", bench.profile, "Unit profiles from this file (for --tuned, --simulate) instead of measuring");
  bench_cmd->add_option("--profile-batches", bench.profile_batches, "Batch sizes the profile times")->capture_default_str();
  bench_cmd->add_flag("--reprofile", bench.reprofile, "Measure the profile again even when it is cached");
  bench_cmd->add_option("--output-dtype", bench.output_dtype, "Float outputs as fp32, fp16 or argmax (as for run)")
      ->capture_default_str();
  bench_cmd->add_option("--disable-pass", bench.disabled_passes, "Skip this graph pass (repeat, or comma-separated), e.g. fuse_add_layer_norm; a wrong name lists them")->delimiter(',');
  bench_cmd->add_flag("--simulate", bench.simulate, "Predict each unit alone and the tuned plan from the profile; run nothing");

  tandem::cli::TuneOptions tune;
  auto* tune_cmd = app.add_subcommand("tune", "Profile, search split x shares x batch size, measure the best, save the plan");
  tune_cmd->add_option("model", tune.model, "ONNX model file (default: the built-in MobileNetV2)");
  tune_cmd->add_option("--units", tune.units, "Units, e.g. cpu:0,cpu:1 or cuda:0/fp16,cpu")->capture_default_str();
  tune_cmd->add_option("--shape", tune.shape, "Input shape when the model leaves H/W open");
  tune_cmd->add_option("--batches", tune.batches, "Batch sizes the search may choose")->capture_default_str();
  tune_cmd->add_option("--profile-batches", tune.profile_batches, "Batch sizes the profile times")->capture_default_str();
  tune_cmd->add_option("--latency-ms", tune.latency_ms, "Best throughput with one batch within this latency (streaming)")
      ->check(CLI::PositiveNumber);
  tune_cmd->add_option("--images", tune.images, "Offline run of this many images: rank by the time of all of them (the chunking)")
      ->check(CLI::PositiveNumber);
  tune_cmd->add_option("--save", tune.save, "Write the chosen plan (with batch and profile) as JSON for run/bench --plan");
  tune_cmd->add_option("--profile", tune.profile, "Load unit profiles from this file instead of measuring (profiles/*.json)");
  tune_cmd->add_flag("--reprofile", tune.reprofile, "Measure the profile again even when it is cached (after a busy spell)");
  tune_cmd->add_flag("--simulate", tune.simulate, "Predict only; run nothing (with --profile: hardware that is not here)");
  tune_cmd->add_option("--top", tune.top, "Best predictions to measure")->capture_default_str()->check(CLI::PositiveNumber);
  tune_cmd->add_option("--rounds", tune.rounds, "Timed rounds of the finalists (median)")->capture_default_str()->check(CLI::PositiveNumber);
  tune_cmd->add_option("--seconds", tune.seconds, "Seconds per timed round")->capture_default_str()->check(CLI::PositiveNumber);
  tune_cmd->add_option("--max-cuts", tune.max_cuts, "Candidate cuts spread over the model")->capture_default_str()->check(CLI::NonNegativeNumber);

  tandem::cli::ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Streaming mode: a KServe v2 / Triton-compatible HTTP server with micro-batching");
  serve_cmd->add_option("model", serve.model, "ONNX model file (default: the built-in MobileNetV2)");
  serve_cmd->add_option("--units", serve.units, "Units, e.g. cpu, cpu:0,cpu:1, cuda:0/fp16,cpu")->capture_default_str();
  serve_cmd->add_option("--plan", serve.plan, "Plan: short form or a JSON file (default: the seed's plan)");
  serve_cmd->add_option("--host", serve.host, "Address to bind (0.0.0.0 for every interface)")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "TCP port (0: any free port, printed)")->capture_default_str()->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--model-name", serve.model_name, "Name clients use (default: the file name without .onnx)");
  serve_cmd->add_option("--max-batch", serve.max_batch, "Rows per micro-batch, at most (default 8; with --latency-ms 64, the ceiling of the sizes it chooses)")->check(CLI::PositiveNumber);
  serve_cmd->add_option("--max-delay-us", serve.max_delay_us, "How long the oldest request waits for a fuller batch")->capture_default_str()->check(CLI::NonNegativeNumber);
  serve_cmd->add_option("--max-queue", serve.max_queue, "Requests waiting for a batch; more are answered 503")->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--latency-ms", serve.latency_ms, "p99 latency target: choose batch size and delay (adapting to the arrival rate)")->check(CLI::PositiveNumber);
  serve_cmd->add_option("--batch-sizes", serve.batch_sizes, "Sizes batches are padded to (compiled at start), e.g. 1,4,16; 'none': no padding (default: powers of two up to --max-batch)");
  serve_cmd->add_option("--max-body-mb", serve.max_body_mb, "Largest request body; larger get 413")->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--timeout-s", serve.timeout_s, "Socket read / write timeout")->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--max-connections", serve.max_connections, "Connections handled at once; more wait")->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--shared-memory", serve.shared_memory, "Triton's system shared memory extension: on, off, or auto (on when --host is a loopback address)")->capture_default_str()->check(CLI::IsMember({"auto", "on", "off"}));
  serve_cmd->add_option("--max-in-flight", serve.max_in_flight, "Batches in the engine at once; meanwhile requests gather into the next")->capture_default_str()->check(CLI::PositiveNumber);
  serve_cmd->add_option("--disable-pass", serve.disabled_passes, "Skip this graph pass (repeat, or comma-separated), e.g. fuse_add_layer_norm; a wrong name lists them")->delimiter(',');

  tandem::cli::LoadOptions load;
  auto* load_cmd = app.add_subcommand("load", "Load generator for a `tandem serve` on this machine: N keep-alive connections, answers checked");
  load_cmd->add_option("url", load.url, "The server, a loopback address: 127.0.0.1:8000, localhost:8000, [::1]:8000")->required();
  load_cmd->add_option("--pool", load.pool, "Requests and their expected answers (.npz: input:<name> [K, rows, ...], output:<name> [K, rows, ...]; no outputs: unchecked)")->required();
  load_cmd->add_option("--model-name", load.model_name, "The model's name on the server")->capture_default_str();
  load_cmd->add_option("--connections", load.connections, "Concurrent keep-alive connections (one thread each)")->capture_default_str()->check(CLI::Range(1, 4096));
  load_cmd->add_option("--requests", load.requests, "Requests in all, at most")->capture_default_str()->check(CLI::PositiveNumber);
  load_cmd->add_option("--seconds", load.seconds, "Wall time, at most")->capture_default_str()->check(CLI::Range(0.001, 3600.0));
  load_cmd->add_option("--rate", load.rate, "Requests/s offered in all (open loop; latency from when each was due); 0: closed loop")->capture_default_str()->check(CLI::NonNegativeNumber);
  load_cmd->add_option("--rtol", load.rtol, "Relative L2 error above which an answer counts as wrong")->capture_default_str()->check(CLI::NonNegativeNumber);
  load_cmd->add_flag("--shm", load.shm, "Inputs and outputs through system shared memory: the pool's inputs in one region, each connection's outputs in its own");
  load_cmd->add_option("--json", load.json, "Also write the JSON report to this file");

  tandem::cli::CacheOptions cache;
  auto* cache_cmd = app.add_subcommand("cache", "Show the cache of timed choices (which conv plan runs on this GPU), or clear it");
  cache_cmd->add_flag("--clear", cache.clear, "Delete the cache files: the next compile times its choices afresh");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tandem: error: %s (see tandem --help)\n", e.what());
    return 2;
  }

  if (info_cmd->parsed()) return report(tandem::cli::run_info(info));
  if (cache_cmd->parsed()) return report(tandem::cli::run_cache(cache));
  if (load_cmd->parsed()) return report(tandem::cli::run_load(load));
  if (serve_cmd->parsed()) {
    if (serve.model.empty()) serve.model = TANDEM_DEFAULT_MODEL;
    return report(tandem::cli::run_serve(serve));
  }
  if (tune_cmd->parsed()) {
    if (tune.model.empty() && tune.profile.empty()) tune.model = TANDEM_DEFAULT_MODEL;
    return report(tandem::cli::run_tune(tune));
  }
  if (bench_cmd->parsed()) {
    if (bench.model.empty() && !(bench.simulate && !bench.profile.empty())) bench.model = TANDEM_DEFAULT_MODEL;
    return report(tandem::cli::run_bench(bench));
  }
  if (run.model.empty()) run.model = TANDEM_DEFAULT_MODEL;
  if (!mean.empty()) {
    auto v = tandem::cli::parse_floats(mean, "--mean");
    if (!v.is_ok()) return report(v.status());
    run.preprocess.mean = *v;
  }
  if (!stdev.empty()) {
    auto v = tandem::cli::parse_floats(stdev, "--std");
    if (!v.is_ok()) return report(v.status());
    run.preprocess.std = *v;
  }
  return report(tandem::cli::run_run(run));
}

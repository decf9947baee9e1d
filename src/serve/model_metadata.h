// The JSON documents that describe the server and its model: KServe v2 server and model metadata,
// and Triton's model configuration extension (what perf_analyzer and tritonclient read).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tandem/engine.h"

namespace tandem::serve {

struct ModelDescription {
  std::string name;
  std::string version;
  std::vector<TensorInfo> inputs, outputs;
  int64_t max_batch = 0;       // rows per batch
  int64_t max_delay_us = 0;
  std::vector<int64_t> batch_sizes;  // the padded sizes (preferred batch sizes)
  std::string plan;            // the engine's plan, when known
  std::string units;
};

// {"name": "tandem", "version": ..., "extensions": [...]}; "system_shared_memory" among them
// when the server takes shared memory.
nlohmann::json server_metadata(bool shared_memory);
// {"name", "versions", "platform", "inputs": [{"name", "datatype", "shape"}], "outputs": [...]}; open dims -1.
nlohmann::json model_metadata(const ModelDescription& m);
// Triton's config: max_batch_size, input/output (dims without the batch dim), dynamic_batching.
nlohmann::json model_config(const ModelDescription& m);

}  // namespace tandem::serve

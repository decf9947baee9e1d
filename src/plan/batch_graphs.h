// Specialised graphs of one model by batch size. Units run slices of a batch, so each slice size
// needs the model specialised for it (shape-dependent constants such as folded Reshape targets
// can hold the batch). The engine supplies a function that specialises the imported model and
// runs the passes; tests of hand-built graphs use rebatching().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "ir/graph.h"
#include "ir/passes/passes.h"
#include "tandem/status.h"

namespace tandem::plan {

// Returns the model specialised for `batch` (dim 0 of every input). Must be safe to call from
// several threads at once and return graphs with the same node and tensor names for every batch.
using GraphForBatch = std::function<Result<std::shared_ptr<const ir::Graph>>(int64_t batch)>;

// A copy of `graph` with dim 0 of every non-constant tensor set to `batch`. Right only for
// graphs whose constants do not depend on the batch (hand-built test graphs, and models whose
// Reshape/Flatten keep the batch dim symbolic).
ir::Graph rebatch_graph(const ir::Graph& graph, int64_t batch);
// A GraphForBatch that rebatches `graph` (thread-safe; graphs are cached per batch).
GraphForBatch rebatching(std::shared_ptr<const ir::Graph> graph);

// A GraphForBatch that specialises the imported `model` (open dims allowed) for `input_shapes`
// with dim 0 replaced by the batch, folds constants with the reference backend and runs the IR
// passes. Thread-safe; graphs are cached per batch.
GraphForBatch specializing(std::shared_ptr<const ir::Graph> model, std::map<std::string, Shape> input_shapes,
                           ir::PassOptions passes = {});

}  // namespace tandem::plan

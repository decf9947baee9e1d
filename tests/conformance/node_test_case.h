// One ONNX backend node test (a folder with model.onnx and test_data_set_0/{input,output}_N.pb):
// loading, specialising for its inputs, running on a backend and comparing outputs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "ir/graph.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::conformance {

enum class Outcome { kImportFailed, kNotClaimed, kPassed, kFailed };

struct CaseResult {
  std::string test;     // folder name, e.g. "test_conv_with_strides_padding"
  std::string op_key;   // op types of the imported graph, sorted and joined with '+'
  Outcome outcome = Outcome::kImportFailed;
  std::string detail;   // why it was not claimed / how it failed
};

struct NodeTest {
  std::string name;
  std::string op_key;           // op types of the imported graph (before folding), joined with '+'
  ir::Graph graph;              // imported, then specialised
  std::vector<Tensor> inputs;   // runtime inputs, graph.inputs order
  std::vector<Tensor> expected; // graph.outputs order
};

// Every test_* folder under `root`, sorted; empty when the folder does not exist.
std::vector<std::string> list_node_tests(const std::string& root);

// Imports the model and its first data set. Inputs that fill a slot our IR needs as a constant
// (Reshape's shape, Slice's starts, Resize's scales, ...) become initializers, as they are in
// real models; then the graph is specialised (ir::specialize, folding with the reference
// evaluator) for the remaining inputs' shapes.
Result<NodeTest> load_node_test(const std::string& dir);

// Claim (every node passes backend.supports), compile, run, compare.
CaseResult run_node_test(const Backend& backend, NodeTest& test);

// Ok when `got` matches `want`: same dtype and shape, floats within atol + rtol * |want|
// (1e-4 / 1e-3; float16 1e-2 / 1e-2), NaN matching NaN, integers and bools exact.
Status compare_tensors(const Tensor& got, const Tensor& want);

}  // namespace tandem::conformance

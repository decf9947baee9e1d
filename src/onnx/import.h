// ONNX -> IR. The only module that sees onnx/protobuf headers (they stay in the .cpp files).
//
// Import checks the file (protobuf parse, onnx::checker, ONNX shape inference), then converts:
// initializers and Constant nodes -> Graph::initializers; graph inputs that are not
// initializers -> Graph::inputs; every typed value -> Graph::values (a dim_param or missing
// dim -> -1); each node's attributes -> AttrMap, parsed by the op's OpDef into typed OpAttrs.
// Opset-9 Upsample becomes a Resize with inputs [X, scales]. Opsets 9..17 of the default domain.
// Every failure is one line naming the file and the problem, e.g.
//   "model.onnx: no such file", "model.onnx: unsupported op 'Foo' (node 'bar')".
// The graph keeps open dims; ir::specialize fixes them for actual input shapes.
// Thread safety: the functions are reentrant (no shared state besides ONNX's schema registry).
#pragma once

#include <string>

#include "ir/graph.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem {

inline constexpr int kMinOnnxOpset = 9;
inline constexpr int kMaxOnnxOpset = 17;

Result<ir::Graph> import_onnx_file(const std::string& path);
// `label` names the model in error messages (a file name or "<memory>").
Result<ir::Graph> import_onnx_bytes(const std::string& bytes, const std::string& label);

// Reads one serialized TensorProto (the ONNX node tests' input_0.pb / output_0.pb).
Result<Tensor> load_tensor_proto_file(const std::string& path);

}  // namespace tandem

// Internal to src/onnx: conversions from ONNX protobuf messages to Tandem values.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "ir/attr_map.h"
#include "ir/graph.h"
#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::onnx_convert {

// A TensorProto's data (raw_data or the typed field) as a Tensor. `what` names it in errors.
Result<Tensor> tensor_from_proto(const onnx::TensorProto& t, const std::string& what);
// A node's attributes, untyped. Graph-valued and sparse attributes are rejected.
Result<ir::AttrMap> attrs_from_proto(const onnx::NodeProto& n);
// The IR graph of a checked, shape-inferred model.
Result<ir::Graph> graph_from_model(const onnx::ModelProto& m);

}  // namespace tandem::onnx_convert

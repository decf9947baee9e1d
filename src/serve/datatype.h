// The tensor datatypes of the KServe v2 / Open Inference Protocol ("FP32", "INT64", ...) and
// Triton's model-configuration names ("TYPE_FP32"), mapped to our DType.
#pragma once

#include <string>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem::serve {

// "FP32" for kFloat32, ... ("BOOL", "UINT8", "INT8", "INT32", "INT64", "FP16", "FP64").
const char* v2_datatype(DType t);
// "FP32" -> kFloat32; NotFound for a name we do not take (e.g. "BYTES", "BF16").
Result<DType> parse_v2_datatype(const std::string& name);
// "TYPE_FP32" for kFloat32 (Triton's model configuration).
std::string config_datatype(DType t);

}  // namespace tandem::serve

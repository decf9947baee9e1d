#include "serve/datatype.h"

#include <array>
#include <utility>

namespace tandem::serve {
namespace {

constexpr std::array<std::pair<DType, const char*>, 8> kNames = {{
    {DType::kFloat32, "FP32"},
    {DType::kFloat16, "FP16"},
    {DType::kFloat64, "FP64"},
    {DType::kInt64, "INT64"},
    {DType::kInt32, "INT32"},
    {DType::kInt8, "INT8"},
    {DType::kUInt8, "UINT8"},
    {DType::kBool, "BOOL"},
}};

}  // namespace

const char* v2_datatype(DType t) {
  for (const auto& [d, name] : kNames)
    if (d == t) return name;
  return "UNKNOWN";
}

Result<DType> parse_v2_datatype(const std::string& name) {
  for (const auto& [d, n] : kNames)
    if (name == n) return d;
  return not_found("datatype '" + name + "' is not supported (FP32, FP16, FP64, INT64, INT32, INT8, UINT8, BOOL)");
}

std::string config_datatype(DType t) { return std::string("TYPE_") + v2_datatype(t); }

}  // namespace tandem::serve

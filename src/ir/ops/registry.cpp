#include <algorithm>
#include <array>

#include "ir/ops/op_def.h"

namespace tandem::ir {

// One line per op type; each is defined in its op's .cpp file.
extern const OpDef kConvOpDef;

namespace {

const OpDef* const kOpDefs[] = {
    &kConvOpDef,
};

}  // namespace

const OpDef* find_op_def(std::string_view op_type) {
  for (const OpDef* d : kOpDefs)
    if (d->op_type == op_type) return d;
  return nullptr;
}

std::vector<std::string_view> known_op_types() {
  std::vector<std::string_view> v;
  for (const OpDef* d : kOpDefs) v.push_back(d->op_type);
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace tandem::ir

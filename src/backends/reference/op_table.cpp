#include "backends/reference/ref_op.h"

namespace tandem::reference {

// One line per op; each is defined in ops/<op>.cpp.
// extern const RefOp kRefConv;

namespace {

const RefOp* const kRefOps[] = {
    nullptr,
};

}  // namespace

const RefOp* find_ref_op(std::string_view op_type) {
  for (const RefOp* op : kRefOps)
    if (op && op->op_type == op_type) return op;
  return nullptr;
}

}  // namespace tandem::reference

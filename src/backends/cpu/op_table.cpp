#include "backends/cpu/cpu_op.h"

namespace tandem::cpu {

// One line per op; each is defined in ops/<op>.cpp.
extern const CpuOp kCpuRelu;
extern const CpuOp kCpuLeakyRelu;
extern const CpuOp kCpuClip;
extern const CpuOp kCpuSigmoid;
extern const CpuOp kCpuHardSigmoid;
extern const CpuOp kCpuHardSwish;
extern const CpuOp kCpuTanh;
extern const CpuOp kCpuBatchNormalization;
extern const CpuOp kCpuAdd;
extern const CpuOp kCpuSub;
extern const CpuOp kCpuMul;
extern const CpuOp kCpuDiv;
extern const CpuOp kCpuConcat;
extern const CpuOp kCpuConv;
extern const CpuOp kCpuConvTranspose;
extern const CpuOp kCpuFlatten;
extern const CpuOp kCpuGemm;
extern const CpuOp kCpuGlobalAveragePool;
extern const CpuOp kCpuGlobalMaxPool;
extern const CpuOp kCpuIdentity;
extern const CpuOp kCpuDropout;
extern const CpuOp kCpuMatMul;
extern const CpuOp kCpuMaxPool;
extern const CpuOp kCpuAveragePool;
extern const CpuOp kCpuReshape;
extern const CpuOp kCpuResize;
extern const CpuOp kCpuUpsample;
extern const CpuOp kCpuSoftmax;
extern const CpuOp kCpuSqueeze;
extern const CpuOp kCpuTranspose;
extern const CpuOp kCpuUnsqueeze;
extern const CpuOp kCpuSplit;
extern const CpuOp kCpuSlice;
extern const CpuOp kCpuPad;
extern const CpuOp kCpuExpand;
extern const CpuOp kCpuTile;
extern const CpuOp kCpuGather;

namespace {

const CpuOp* const kCpuOps[] = {
    &kCpuRelu,
    &kCpuLeakyRelu,
    &kCpuClip,
    &kCpuSigmoid,
    &kCpuHardSigmoid,
    &kCpuHardSwish,
    &kCpuTanh,
    &kCpuBatchNormalization,
    &kCpuAdd,
    &kCpuSub,
    &kCpuMul,
    &kCpuDiv,
    &kCpuConcat,
    &kCpuConv,
    &kCpuConvTranspose,
    &kCpuFlatten,
    &kCpuGemm,
    &kCpuGlobalAveragePool,
    &kCpuGlobalMaxPool,
    &kCpuIdentity,
    &kCpuDropout,
    &kCpuMatMul,
    &kCpuMaxPool,
    &kCpuAveragePool,
    &kCpuReshape,
    &kCpuResize,
    &kCpuUpsample,
    &kCpuSoftmax,
    &kCpuSqueeze,
    &kCpuTranspose,
    &kCpuUnsqueeze,
    &kCpuSplit,
    &kCpuSlice,
    &kCpuPad,
    &kCpuExpand,
    &kCpuTile,
    &kCpuGather,
};

}  // namespace

const CpuOp* find_cpu_op(std::string_view op_type) {
  for (const CpuOp* op : kCpuOps)
    if (op->op_type == op_type) return op;
  return nullptr;
}

std::vector<std::string_view> cpu_op_types() {
  std::vector<std::string_view> v;
  for (const CpuOp* op : kCpuOps) v.push_back(op->op_type);
  return v;
}

}  // namespace tandem::cpu

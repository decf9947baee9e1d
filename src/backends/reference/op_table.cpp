#include "backends/reference/ref_op.h"
#include "backends/reference/reference_backend.h"

namespace tandem::reference {

// One line per op; each is defined in ops/<op>.cpp (op families share a file).
extern const RefOp kRefAdd, kRefSub, kRefMul, kRefDiv, kRefPow, kRefMod, kRefEqual,      // binary.cpp
    kRefLess, kRefGreater, kRefLessOrEqual, kRefGreaterOrEqual, kRefAnd, kRefOr, kRefXor;
extern const RefOp kRefSum, kRefMean, kRefMin, kRefMax;                                  // variadic.cpp
extern const RefOp kRefWhere;                                                            // where.cpp
extern const RefOp kRefErf, kRefSqrt, kRefExp, kRefLog, kRefNeg, kRefAbs, kRefReciprocal, // unary.cpp
    kRefSin, kRefCos, kRefCeil, kRefFloor, kRefRound, kRefSign, kRefNot;
extern const RefOp kRefRelu, kRefClip, kRefSigmoid, kRefHardSigmoid, kRefHardSwish,      // activation.cpp
    kRefLeakyRelu, kRefTanh, kRefGelu, kRefSoftplus, kRefElu, kRefSelu, kRefMish;
extern const RefOp kRefConv;                                                             // conv.cpp
extern const RefOp kRefConvTranspose;                                                    // conv_transpose.cpp
extern const RefOp kRefGemm;                                                             // gemm.cpp
extern const RefOp kRefMatMul;                                                           // matmul.cpp
extern const RefOp kRefMaxPool, kRefAveragePool;                                         // pool.cpp
extern const RefOp kRefGlobalAveragePool, kRefGlobalMaxPool;                             // global_pool.cpp
extern const RefOp kRefBatchNormalization;                                               // batch_norm.cpp
extern const RefOp kRefSoftmax;                                                          // softmax.cpp
extern const RefOp kRefConcat;                                                           // concat.cpp
extern const RefOp kRefReshape, kRefFlatten, kRefSqueeze, kRefUnsqueeze, kRefIdentity,   // copy.cpp
    kRefDropout;
extern const RefOp kRefTranspose;                                                        // transpose.cpp
extern const RefOp kRefResize, kRefUpsample;                                             // resize.cpp
extern const RefOp kRefShape;                                                            // shape_op.cpp
extern const RefOp kRefGather;                                                           // gather.cpp
extern const RefOp kRefCast;                                                             // cast.cpp
extern const RefOp kRefSlice;                                                            // slice.cpp
extern const RefOp kRefScatterND;                                                        // scatter_nd.cpp
extern const RefOp kRefFusedAttention;                                                   // attention.cpp
extern const RefOp kRefEinsum;                                                           // einsum.cpp
extern const RefOp kRefTopK;                                                             // topk.cpp
extern const RefOp kRefArgMax;                                                           // argmax.cpp
extern const RefOp kRefGatherND;                                                         // gather_nd.cpp
extern const RefOp kRefNonMaxSuppression;                                                // nms.cpp
extern const RefOp kRefSplit;                                                            // split.cpp
extern const RefOp kRefPad;                                                              // pad.cpp
extern const RefOp kRefExpand;                                                           // expand.cpp
extern const RefOp kRefTile;                                                             // tile.cpp
extern const RefOp kRefConstantOfShape;                                                  // constant_of_shape.cpp
extern const RefOp kRefRange;                                                            // range.cpp
extern const RefOp kRefReduceSum, kRefReduceMean, kRefReduceMax, kRefReduceMin,         // reduce.cpp
    kRefReduceProd, kRefReduceL1, kRefReduceL2, kRefReduceSumSquare, kRefReduceLogSum, kRefReduceLogSumExp;
extern const RefOp kRefLayerNormalization, kRefAddLayerNorm;                                             // layer_norm.cpp

namespace {

const RefOp* const kRefOps[] = {
    &kRefAdd, &kRefSub, &kRefMul, &kRefDiv, &kRefPow, &kRefMod,
    &kRefEqual, &kRefLess, &kRefGreater, &kRefLessOrEqual, &kRefGreaterOrEqual, &kRefAnd, &kRefOr, &kRefXor,
    &kRefSum, &kRefMean, &kRefMin, &kRefMax, &kRefWhere,
    &kRefErf, &kRefSqrt, &kRefExp, &kRefLog, &kRefNeg, &kRefAbs, &kRefReciprocal,
    &kRefSin, &kRefCos, &kRefCeil, &kRefFloor, &kRefRound, &kRefSign, &kRefNot,
    &kRefRelu, &kRefClip, &kRefSigmoid, &kRefHardSigmoid, &kRefHardSwish, &kRefLeakyRelu, &kRefTanh,
    &kRefGelu, &kRefSoftplus, &kRefElu, &kRefSelu, &kRefMish,
    &kRefConv, &kRefConvTranspose, &kRefGemm, &kRefMatMul,
    &kRefMaxPool, &kRefAveragePool, &kRefGlobalAveragePool, &kRefGlobalMaxPool,
    &kRefBatchNormalization, &kRefSoftmax,
    &kRefConcat, &kRefReshape, &kRefFlatten, &kRefSqueeze, &kRefUnsqueeze, &kRefIdentity, &kRefDropout,
    &kRefTranspose, &kRefResize, &kRefUpsample, &kRefShape, &kRefGather, &kRefCast, &kRefSlice, &kRefScatterND,
    &kRefFusedAttention, &kRefEinsum,
    &kRefTopK, &kRefArgMax, &kRefGatherND, &kRefNonMaxSuppression,
    &kRefSplit, &kRefPad, &kRefExpand, &kRefTile, &kRefConstantOfShape, &kRefRange,
    &kRefReduceSum, &kRefReduceMean, &kRefReduceMax, &kRefReduceMin, &kRefReduceProd, &kRefReduceL1, &kRefReduceL2,
    &kRefReduceSumSquare, &kRefReduceLogSum, &kRefReduceLogSumExp, &kRefLayerNormalization, &kRefAddLayerNorm,
};

}  // namespace

const RefOp* find_ref_op(std::string_view op_type) {
  for (const RefOp* op : kRefOps)
    if (op->op_type == op_type) return op;
  return nullptr;
}

}  // namespace tandem::reference

namespace tandem {

std::vector<std::string_view> reference_op_types() {
  std::vector<std::string_view> v;
  for (const reference::RefOp* op : reference::kRefOps) v.push_back(op->op_type);
  return v;
}

}  // namespace tandem

#include "backends/reference/ref_op.h"

namespace tandem::reference {

// One line per op; each is defined in ops/<op>.cpp (op families share a file).
extern const RefOp kRefAdd, kRefSub, kRefMul, kRefDiv;                                   // binary.cpp
extern const RefOp kRefRelu, kRefClip, kRefSigmoid, kRefHardSigmoid, kRefHardSwish,      // activation.cpp
    kRefLeakyRelu, kRefTanh;
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
extern const RefOp kRefSplit;                                                            // split.cpp
extern const RefOp kRefPad;                                                              // pad.cpp
extern const RefOp kRefExpand;                                                           // expand.cpp
extern const RefOp kRefTile;                                                             // tile.cpp
extern const RefOp kRefConstantOfShape;                                                  // constant_of_shape.cpp
extern const RefOp kRefRange;                                                            // range.cpp

namespace {

const RefOp* const kRefOps[] = {
    &kRefAdd, &kRefSub, &kRefMul, &kRefDiv,
    &kRefRelu, &kRefClip, &kRefSigmoid, &kRefHardSigmoid, &kRefHardSwish, &kRefLeakyRelu, &kRefTanh,
    &kRefConv, &kRefConvTranspose, &kRefGemm, &kRefMatMul,
    &kRefMaxPool, &kRefAveragePool, &kRefGlobalAveragePool, &kRefGlobalMaxPool,
    &kRefBatchNormalization, &kRefSoftmax,
    &kRefConcat, &kRefReshape, &kRefFlatten, &kRefSqueeze, &kRefUnsqueeze, &kRefIdentity, &kRefDropout,
    &kRefTranspose, &kRefResize, &kRefUpsample, &kRefShape, &kRefGather, &kRefCast, &kRefSlice,
    &kRefSplit, &kRefPad, &kRefExpand, &kRefTile, &kRefConstantOfShape, &kRefRange,
};

}  // namespace

const RefOp* find_ref_op(std::string_view op_type) {
  for (const RefOp* op : kRefOps)
    if (op->op_type == op_type) return op;
  return nullptr;
}

}  // namespace tandem::reference

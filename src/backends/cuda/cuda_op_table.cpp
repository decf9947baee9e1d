// The CUDA backend's one op table: supports() and compile() both come from these entries.
#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_context.h"

namespace tandem::cuda {

// One line per op type; each is defined in ops/<op>.cpp.
extern const CudaOp kCudaConv, kCudaConvTranspose, kCudaGemm, kCudaMatMul;
extern const CudaOp kCudaAdd, kCudaSub, kCudaMul, kCudaDiv, kCudaPow, kCudaMod;
extern const CudaOp kCudaSum, kCudaMean, kCudaMin, kCudaMax, kCudaWhere;
extern const CudaOp kCudaErf, kCudaSqrt, kCudaExp, kCudaLog, kCudaNeg, kCudaAbs, kCudaReciprocal, kCudaSin, kCudaCos,
    kCudaCeil, kCudaFloor, kCudaRound, kCudaSign;
extern const CudaOp kCudaRelu, kCudaClip, kCudaSigmoid, kCudaHardSigmoid, kCudaHardSwish, kCudaLeakyRelu, kCudaTanh;
extern const CudaOp kCudaGelu, kCudaSoftplus, kCudaElu, kCudaSelu, kCudaMish;
extern const CudaOp kCudaMaxPool, kCudaAveragePool, kCudaGlobalAveragePool, kCudaGlobalMaxPool;
extern const CudaOp kCudaBatchNorm, kCudaSoftmax, kCudaConcat, kCudaTranspose, kCudaResize, kCudaUpsample;
extern const CudaOp kCudaReshape, kCudaFlatten, kCudaSqueeze, kCudaUnsqueeze, kCudaIdentity, kCudaDropout;
extern const CudaOp kCudaSplit, kCudaSlice, kCudaPad, kCudaExpand, kCudaTile, kCudaGather;
extern const CudaOp kCudaReduceSum, kCudaReduceMean, kCudaReduceMax, kCudaReduceMin, kCudaReduceProd, kCudaReduceL1,
    kCudaReduceL2, kCudaReduceSumSquare, kCudaReduceLogSum, kCudaReduceLogSumExp;  // reduce.cpp
extern const CudaOp kCudaLayerNormalization, kCudaAddLayerNorm;                                    // layer_norm.cpp
extern const CudaOp kCudaCast;                                                    // cast.cpp
extern const CudaOp kCudaFusedAttention;                                          // attention.cpp
extern const CudaOp kCudaArgMax;                                                  // argmax.cpp

namespace {

const CudaOp* const kCudaOps[] = {
    &kCudaConv,        &kCudaGemm,         &kCudaMatMul,      &kCudaAdd,
    &kCudaSub,         &kCudaMul,          &kCudaDiv,         &kCudaRelu,
    &kCudaClip,        &kCudaSigmoid,      &kCudaHardSigmoid, &kCudaHardSwish,
    &kCudaLeakyRelu,   &kCudaTanh,         &kCudaMaxPool,     &kCudaAveragePool,
    &kCudaGlobalAveragePool, &kCudaGlobalMaxPool, &kCudaBatchNorm, &kCudaSoftmax,
    &kCudaConcat,      &kCudaTranspose,    &kCudaResize,      &kCudaUpsample,
    &kCudaReshape,     &kCudaFlatten,      &kCudaSqueeze,     &kCudaUnsqueeze,
    &kCudaIdentity,    &kCudaDropout,     &kCudaConvTranspose,
    &kCudaPow,         &kCudaMod,         &kCudaSum,         &kCudaMean,
    &kCudaMin,         &kCudaMax,         &kCudaWhere,
    &kCudaErf,         &kCudaSqrt,        &kCudaExp,         &kCudaLog,
    &kCudaNeg,         &kCudaAbs,         &kCudaReciprocal,  &kCudaSin,
    &kCudaCos,         &kCudaCeil,        &kCudaFloor,       &kCudaRound,
    &kCudaSign,
    &kCudaGelu,        &kCudaSoftplus,    &kCudaElu,         &kCudaSelu,
    &kCudaMish,
    &kCudaSplit,       &kCudaSlice,       &kCudaPad,         &kCudaExpand,
    &kCudaTile,        &kCudaGather,
    &kCudaReduceSum,   &kCudaReduceMean,  &kCudaReduceMax,   &kCudaReduceMin,
    &kCudaReduceProd,  &kCudaReduceL1,    &kCudaReduceL2,    &kCudaReduceSumSquare,
    &kCudaReduceLogSum, &kCudaReduceLogSumExp, &kCudaLayerNormalization, &kCudaAddLayerNorm,
    &kCudaCast,        &kCudaFusedAttention, &kCudaArgMax,
};

}  // namespace

const CudaOp* find_cuda_op(std::string_view op_type) {
  for (const CudaOp* op : kCudaOps)
    if (op->op_type == op_type) return op;
  return nullptr;
}

}  // namespace tandem::cuda

namespace tandem {

std::vector<std::string_view> cuda_op_types() {
  std::vector<std::string_view> v;
  for (const cuda::CudaOp* op : cuda::kCudaOps) v.push_back(op->op_type);
  return v;
}

Status cuda_supports(const ir::Graph& graph, const ir::Node& node) {
  const cuda::CudaOp* op = cuda::find_cuda_op(node.op_type);
  if (!op) return unsupported("cuda backend has no kernel for " + node.op_type);
  return op->supports ? op->supports(graph, node) : Status::ok();
}

}  // namespace tandem

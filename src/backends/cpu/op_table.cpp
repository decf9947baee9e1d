#include "backends/cpu/cpu_backend.h"
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
extern const CpuOp kCpuGelu;
extern const CpuOp kCpuSoftplus;
extern const CpuOp kCpuElu;
extern const CpuOp kCpuSelu;
extern const CpuOp kCpuMish;
extern const CpuOp kCpuSqrt;
extern const CpuOp kCpuExp;
extern const CpuOp kCpuLog;
extern const CpuOp kCpuAbs;
extern const CpuOp kCpuNeg;
extern const CpuOp kCpuReciprocal;
extern const CpuOp kCpuRound;
extern const CpuOp kCpuPow;
extern const CpuOp kCpuSum;
extern const CpuOp kCpuMean;
extern const CpuOp kCpuMin;
extern const CpuOp kCpuMax;
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
extern const CpuOp kCpuFusedAttention;
// Not in the table: what claim_cpu_op() falls back to (ops/reference_fallback.cpp).
extern const CpuOp kCpuReferenceFallback;
extern const CpuOp kCpuSplit;
extern const CpuOp kCpuSlice;
extern const CpuOp kCpuPad;
extern const CpuOp kCpuExpand;
extern const CpuOp kCpuTile;
extern const CpuOp kCpuGather;
extern const CpuOp kCpuReduceSum;
extern const CpuOp kCpuReduceMean;
extern const CpuOp kCpuReduceMax;
extern const CpuOp kCpuReduceMin;
extern const CpuOp kCpuReduceProd;
extern const CpuOp kCpuReduceL1;
extern const CpuOp kCpuReduceL2;
extern const CpuOp kCpuReduceSumSquare;
extern const CpuOp kCpuReduceLogSum;
extern const CpuOp kCpuLayerNormalization, kCpuAddLayerNorm;
extern const CpuOp kCpuArgMax;

namespace {

const CpuOp* const kCpuOps[] = {
    &kCpuRelu,
    &kCpuLeakyRelu,
    &kCpuClip,
    &kCpuSigmoid,
    &kCpuHardSigmoid,
    &kCpuHardSwish,
    &kCpuTanh,
    &kCpuGelu,
    &kCpuSoftplus,
    &kCpuElu,
    &kCpuSelu,
    &kCpuMish,
    &kCpuSqrt,
    &kCpuExp,
    &kCpuLog,
    &kCpuAbs,
    &kCpuNeg,
    &kCpuReciprocal,
    &kCpuRound,
    &kCpuPow,
    &kCpuSum,
    &kCpuMean,
    &kCpuMin,
    &kCpuMax,
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
    &kCpuFusedAttention,
    &kCpuSplit,
    &kCpuSlice,
    &kCpuPad,
    &kCpuExpand,
    &kCpuTile,
    &kCpuGather,
    &kCpuReduceSum,
    &kCpuReduceMean,
    &kCpuReduceMax,
    &kCpuReduceMin,
    &kCpuReduceProd,
    &kCpuReduceL1,
    &kCpuReduceL2,
    &kCpuReduceSumSquare,
    &kCpuReduceLogSum,
    &kCpuLayerNormalization,
    &kCpuAddLayerNorm,
    &kCpuArgMax,
};

// Data inputs must be float32; inputs past `CpuOp::data_inputs` are resolved into attrs; outputs
// are of `output_dtype`.
Status check_types(const ir::Graph& graph, const ir::Node& node, int data_inputs, DType output_dtype) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const std::string& name = node.inputs[i];
    if (name.empty() || (data_inputs >= 0 && static_cast<int>(i) >= data_inputs)) continue;
    const Tensor* c = graph.constant(name);
    const ir::ValueInfo* info = graph.info(name);
    DType dt = c ? c->dtype() : info ? info->dtype : DType::kFloat32;
    if (!c && (!info || !info->fully_known())) return unsupported("input '" + name + "' has no known shape");
    if (dt != DType::kFloat32) return unsupported("input '" + name + "' is " + dtype_name(dt) + ", the cpu backend runs float32 only");
  }
  for (const auto& name : node.outputs) {
    if (name.empty()) continue;  // an optional output the model leaves out
    const ir::ValueInfo* info = graph.info(name);
    if (!info || !info->fully_known()) return unsupported("output '" + name + "' has no known shape");
    if (info->dtype != output_dtype)
      return unsupported("output '" + name + "' is " + dtype_name(info->dtype) + ", the cpu backend's " + node.op_type +
                         " writes " + dtype_name(output_dtype));
  }
  return Status::ok();
}

// The cpu's own entry's verdict on `node`.
Status own_claim(const CpuOp* op, const ir::Graph& graph, const ir::Node& node) {
  if (!op) return unsupported("cpu backend has no kernel for " + node.op_type);
  TANDEM_RETURN_IF_ERROR(check_types(graph, node, op->data_inputs, op->output_dtype));
  return op->supports ? op->supports(graph, node) : Status::ok();
}

}  // namespace

CpuClaim claim_cpu_op(const ir::Graph& graph, const ir::Node& node) {
  const CpuOp* own = find_cpu_op(node.op_type);
  Status st = own_claim(own, graph, node);
  if (st.is_ok()) return CpuClaim{own, st, false, ""};
  Status fb = kCpuReferenceFallback.supports(graph, node);
  if (fb.is_ok()) return CpuClaim{&kCpuReferenceFallback, fb, true, st.message()};
  const std::string why = st.message() + "; the reference kernel cannot take it over either: " + fb.message();
  return CpuClaim{nullptr, unsupported(why), false, ""};
}

const CpuOp* find_cpu_op(std::string_view op_type) {
  for (const CpuOp* op : kCpuOps)
    if (op->op_type == op_type) return op;
  return nullptr;
}

}  // namespace tandem::cpu

namespace tandem {

std::vector<std::string_view> cpu_op_types() {
  std::vector<std::string_view> v;
  for (const cpu::CpuOp* op : cpu::kCpuOps) v.push_back(op->op_type);
  return v;
}

Status cpu_supports(const ir::Graph& graph, const ir::Node& node) { return cpu::claim_cpu_op(graph, node).status; }

}  // namespace tandem

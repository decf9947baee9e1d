#include <algorithm>
#include <array>

#include "ir/ops/op_def.h"

namespace tandem::ir {

// One line per op type; each is defined in its op's .cpp file.
extern const OpDef kConvOpDef;
extern const OpDef kConvTransposeOpDef;
extern const OpDef kGemmOpDef;
extern const OpDef kMatMulOpDef;
extern const OpDef kAddOpDef;
extern const OpDef kSubOpDef;
extern const OpDef kMulOpDef;
extern const OpDef kDivOpDef;
extern const OpDef kReluOpDef;
extern const OpDef kClipOpDef;
extern const OpDef kSigmoidOpDef;
extern const OpDef kHardSigmoidOpDef;
extern const OpDef kHardSwishOpDef;
extern const OpDef kLeakyReluOpDef;
extern const OpDef kTanhOpDef;
extern const OpDef kMaxPoolOpDef;
extern const OpDef kAveragePoolOpDef;
extern const OpDef kGlobalAveragePoolOpDef;
extern const OpDef kGlobalMaxPoolOpDef;
extern const OpDef kBatchNormalizationOpDef;
extern const OpDef kSoftmaxOpDef;
extern const OpDef kConcatOpDef;
extern const OpDef kFlattenOpDef;
extern const OpDef kReshapeOpDef;
extern const OpDef kTransposeOpDef;
extern const OpDef kResizeOpDef;
extern const OpDef kIdentityOpDef;
extern const OpDef kDropoutOpDef;
extern const OpDef kShapeOpDef;
extern const OpDef kGatherOpDef;
extern const OpDef kSqueezeOpDef;
extern const OpDef kUnsqueezeOpDef;
extern const OpDef kCastOpDef;
extern const OpDef kSliceOpDef;
extern const OpDef kScatterNDOpDef;
extern const OpDef kGeluOpDef;
extern const OpDef kSoftplusOpDef;
extern const OpDef kEluOpDef;
extern const OpDef kSeluOpDef;
extern const OpDef kMishOpDef;
extern const OpDef kPowOpDef;
extern const OpDef kModOpDef;
extern const OpDef kEqualOpDef;
extern const OpDef kLessOpDef;
extern const OpDef kGreaterOpDef;
extern const OpDef kLessOrEqualOpDef;
extern const OpDef kGreaterOrEqualOpDef;
extern const OpDef kAndOpDef;
extern const OpDef kOrOpDef;
extern const OpDef kXorOpDef;
extern const OpDef kSumOpDef;
extern const OpDef kMeanOpDef;
extern const OpDef kMinOpDef;
extern const OpDef kMaxOpDef;
extern const OpDef kWhereOpDef;
extern const OpDef kErfOpDef;
extern const OpDef kSqrtOpDef;
extern const OpDef kExpOpDef;
extern const OpDef kLogOpDef;
extern const OpDef kNegOpDef;
extern const OpDef kAbsOpDef;
extern const OpDef kReciprocalOpDef;
extern const OpDef kSinOpDef;
extern const OpDef kCosOpDef;
extern const OpDef kCeilOpDef;
extern const OpDef kFloorOpDef;
extern const OpDef kRoundOpDef;
extern const OpDef kSignOpDef;
extern const OpDef kNotOpDef;
extern const OpDef kEinsumOpDef;
extern const OpDef kFusedAttentionOpDef;
extern const OpDef kTopKOpDef;
extern const OpDef kArgMaxOpDef;
extern const OpDef kNmsOpDef;
extern const OpDef kGatherNDOpDef;
extern const OpDef kSplitOpDef;
extern const OpDef kPadOpDef;
extern const OpDef kExpandOpDef;
extern const OpDef kTileOpDef;
extern const OpDef kConstantOfShapeOpDef;
extern const OpDef kRangeOpDef;
extern const OpDef kReduceSumOpDef;
extern const OpDef kReduceMeanOpDef;
extern const OpDef kReduceMaxOpDef;
extern const OpDef kReduceMinOpDef;
extern const OpDef kReduceProdOpDef;
extern const OpDef kReduceL1OpDef;
extern const OpDef kReduceL2OpDef;
extern const OpDef kReduceSumSquareOpDef;
extern const OpDef kReduceLogSumOpDef;
extern const OpDef kReduceLogSumExpOpDef;
extern const OpDef kLayerNormalizationOpDef;
extern const OpDef kAddLayerNormOpDef;

namespace {

const OpDef* const kOpDefs[] = {
    &kConvOpDef,
    &kConvTransposeOpDef,
    &kGemmOpDef,
    &kMatMulOpDef,
    &kAddOpDef,
    &kSubOpDef,
    &kMulOpDef,
    &kDivOpDef,
    &kReluOpDef,
    &kClipOpDef,
    &kSigmoidOpDef,
    &kHardSigmoidOpDef,
    &kHardSwishOpDef,
    &kLeakyReluOpDef,
    &kTanhOpDef,
    &kMaxPoolOpDef,
    &kAveragePoolOpDef,
    &kGlobalAveragePoolOpDef,
    &kGlobalMaxPoolOpDef,
    &kBatchNormalizationOpDef,
    &kSoftmaxOpDef,
    &kConcatOpDef,
    &kFlattenOpDef,
    &kReshapeOpDef,
    &kTransposeOpDef,
    &kResizeOpDef,
    &kIdentityOpDef,
    &kDropoutOpDef,
    &kShapeOpDef,
    &kGatherOpDef,
    &kSqueezeOpDef,
    &kUnsqueezeOpDef,
    &kCastOpDef,
    &kSliceOpDef,
    &kScatterNDOpDef,
    &kGeluOpDef,
    &kSoftplusOpDef,
    &kEluOpDef,
    &kSeluOpDef,
    &kMishOpDef,
    &kPowOpDef,
    &kModOpDef,
    &kEqualOpDef,
    &kLessOpDef,
    &kGreaterOpDef,
    &kLessOrEqualOpDef,
    &kGreaterOrEqualOpDef,
    &kAndOpDef,
    &kOrOpDef,
    &kXorOpDef,
    &kSumOpDef,
    &kMeanOpDef,
    &kMinOpDef,
    &kMaxOpDef,
    &kWhereOpDef,
    &kErfOpDef,
    &kSqrtOpDef,
    &kExpOpDef,
    &kLogOpDef,
    &kNegOpDef,
    &kAbsOpDef,
    &kReciprocalOpDef,
    &kSinOpDef,
    &kCosOpDef,
    &kCeilOpDef,
    &kFloorOpDef,
    &kRoundOpDef,
    &kSignOpDef,
    &kNotOpDef,
    &kEinsumOpDef,
    &kFusedAttentionOpDef,
    &kTopKOpDef,
    &kArgMaxOpDef,
    &kNmsOpDef,
    &kGatherNDOpDef,
    &kSplitOpDef,
    &kPadOpDef,
    &kExpandOpDef,
    &kTileOpDef,
    &kConstantOfShapeOpDef,
    &kRangeOpDef,
    &kReduceSumOpDef,
    &kReduceMeanOpDef,
    &kReduceMaxOpDef,
    &kReduceMinOpDef,
    &kReduceProdOpDef,
    &kReduceL1OpDef,
    &kReduceL2OpDef,
    &kReduceSumSquareOpDef,
    &kReduceLogSumOpDef,
    &kReduceLogSumExpOpDef,
    &kLayerNormalizationOpDef,
    &kAddLayerNormOpDef,
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

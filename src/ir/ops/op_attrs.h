// OpAttrs: the typed attributes of any op. Adding an op: its header here, one alternative
// in the variant, its OpDef in registry.cpp, its kernels in each backend's table.
#pragma once

#include <variant>

#include "ir/ops/activation.h"
#include "ir/ops/argmax.h"
#include "ir/ops/attention.h"
#include "ir/ops/batch_norm.h"
#include "ir/ops/binary.h"
#include "ir/ops/cast.h"
#include "ir/ops/concat.h"
#include "ir/ops/constant_of_shape.h"
#include "ir/ops/conv.h"
#include "ir/ops/conv_transpose.h"
#include "ir/ops/einsum.h"
#include "ir/ops/expand.h"
#include "ir/ops/flatten.h"
#include "ir/ops/gather.h"
#include "ir/ops/gather_nd.h"
#include "ir/ops/gemm.h"
#include "ir/ops/global_pool.h"
#include "ir/ops/identity.h"
#include "ir/ops/layer_norm.h"
#include "ir/ops/matmul.h"
#include "ir/ops/nms.h"
#include "ir/ops/pad.h"
#include "ir/ops/pool.h"
#include "ir/ops/range.h"
#include "ir/ops/reduce.h"
#include "ir/ops/reshape.h"
#include "ir/ops/resize.h"
#include "ir/ops/scatter_nd.h"
#include "ir/ops/shape_op.h"
#include "ir/ops/slice.h"
#include "ir/ops/softmax.h"
#include "ir/ops/split.h"
#include "ir/ops/squeeze.h"
#include "ir/ops/tile.h"
#include "ir/ops/topk.h"
#include "ir/ops/transpose.h"
#include "ir/ops/unary.h"
#include "ir/ops/variadic.h"
#include "ir/ops/where.h"

namespace tandem::ir {

using OpAttrs = std::variant<std::monostate,
                             ActivationAttrs,
                             ArgMaxAttrs,
                             AttentionAttrs,
                             BatchNormAttrs,
                             BinaryAttrs,
                             CastAttrs,
                             ConcatAttrs,
                             ConstantOfShapeAttrs,
                             ConvAttrs,
                             ConvTransposeAttrs,
                             EinsumAttrs,
                             ExpandAttrs,
                             FlattenAttrs,
                             GatherAttrs,
                             GatherNDAttrs,
                             GemmAttrs,
                             GlobalPoolAttrs,
                             IdentityAttrs,
                             LayerNormAttrs,
                             MatMulAttrs,
                             NmsAttrs,
                             PadAttrs,
                             PoolAttrs,
                             RangeAttrs,
                             ReduceAttrs,
                             ReshapeAttrs,
                             ResizeAttrs,
                             ScatterNDAttrs,
                             ShapeAttrs,
                             SliceAttrs,
                             SoftmaxAttrs,
                             SplitAttrs,
                             SqueezeAttrs,
                             TileAttrs,
                             TopKAttrs,
                             TransposeAttrs,
                             UnaryAttrs,
                             VariadicAttrs,
                             WhereAttrs>;

}  // namespace tandem::ir

// Elementwise ops of the op-test matrix (unary math, the newer activations alone and in
// Conv/Gemm/MatMul epilogues, Pow, Mod, Sum/Mean/Min/Max, Where) in every column (cpu; cuda fp32,
// tf32, fp16 with 4-D tensors NHWC) against the reference backend (ops/op_matrix.h). Inputs are
// multiples of 1/16 that fp16 holds exactly, so Ceil/Floor/Round/Sign see the same values in
// every precision. A column whose backend is missing is skipped with one line.
#include <gtest/gtest.h>

#include "ops/op_matrix.h"

namespace tandem {
namespace {

using optest::GraphBuilder;

// Values k/16 + 1/32 for k in [-48, 48): away from integers and .5 ties, exact in fp16.
Tensor grid_input(const Shape& s, int shift) {
  Tensor t(s, DType::kFloat32);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data_as<float>()[i] = static_cast<float>((i * 37 + shift) % 96 - 48) / 16.0f + 1.0f / 32.0f;
  return t;
}

class ElementwiseOps : public optest::MatrixTest {};

// Checks `g` on grid inputs.
void check_grid(optest::CaseRunner& r, const ir::Graph& g) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < g.inputs.size(); ++i) inputs.push_back(grid_input(g.values.at(g.inputs[i]).shape, int(i)));
  r.check(g, inputs);
}

TANDEM_MATRIX_CASE(ElementwiseOps, UnaryOpsOn4DAnd3D) {
  using U = ir::UnaryOp;
  for (const Shape& s : {Shape{2, 16, 5, 6}, Shape{2, 7, 24}}) {
    for (U op : {U::kErf, U::kSqrt, U::kExp, U::kLog, U::kNeg, U::kAbs, U::kReciprocal, U::kSin, U::kCos, U::kCeil,
                 U::kFloor, U::kRound, U::kSign}) {
      SCOPED_TRACE(ir::unary_op_name(op));
      GraphBuilder b;
      b.input("x", s);
      std::string x = "x";
      if (op == U::kSqrt || op == U::kLog || op == U::kReciprocal) {  // a positive domain
        b.node("Abs", {"x"}, {"ax"}, ir::UnaryAttrs{U::kAbs}, {s});
        x = "ax";
      }
      check_grid(r, b.node(ir::unary_op_name(op), {x}, {"y"}, ir::UnaryAttrs{op}, {s}).output("y").build());
    }
  }
}

TANDEM_MATRIX_CASE(ElementwiseOps, NewActivationsAloneAndInEpilogues) {
  using K = ir::ActKind;
  const std::pair<const char*, ir::Epilogue> acts[] = {
      {"Gelu", {K::kGelu}}, {"Gelu", {K::kGeluTanh}}, {"Softplus", {K::kSoftplus}},
      {"Elu", {K::kElu, 0.9f}}, {"Selu", {K::kSelu, 1.6732632f, 1.0507010f}}, {"Mish", {K::kMish}}};
  for (const auto& [op, e] : acts) {
    SCOPED_TRACE(ir::epilogue_to_string(e));
    check_grid(r, GraphBuilder()
              .input("x", {2, 16, 5, 6})
              .node(op, {"x"}, {"y"}, ir::ActivationAttrs{e}, {{2, 16, 5, 6}})
              .output("y")
              .build());
    ir::ConvAttrs c;
    c.kernel_shape = {3, 3}, c.strides = {1, 1}, c.pads = {1, 1, 1, 1}, c.dilations = {1, 1}, c.epilogue = e;
    check_grid(r, GraphBuilder()
              .input("x", {2, 16, 6, 6}).weight("w", {16, 16, 3, 3}, -0.2f, 0.2f).weight("b", {16})
              .node("Conv", {"x", "w", "b"}, {"y"}, c, {{2, 16, 6, 6}})
              .output("y")
              .build());
    check_grid(r, GraphBuilder()
              .input("a", {8, 32}).weight("w", {32, 24}, -0.3f, 0.3f).weight("bias", {24})
              .node("Gemm", {"a", "w", "bias"}, {"y"}, ir::GemmAttrs{.epilogue = e}, {{8, 24}})
              .output("y")
              .build());
    // A 3-D token tensor: MatMul + Add, the activation fused into the Add's pass.
    check_grid(r, GraphBuilder()
              .input("a", {2, 5, 32}).weight("w", {32, 24}, -0.3f, 0.3f).weight("bias", {24})
              .node("MatMul", {"a", "w"}, {"m"}, ir::MatMulAttrs{}, {{2, 5, 24}})
              .node("Add", {"m", "bias"}, {"s"}, ir::BinaryAttrs{ir::BinaryOp::kAdd}, {{2, 5, 24}})
              .node(op, {"s"}, {"y"}, ir::ActivationAttrs{e}, {{2, 5, 24}})
              .output("y")
              .build());
  }
}

TANDEM_MATRIX_CASE(ElementwiseOps, PowModVariadicWhere) {
  const Shape s{2, 16, 5, 6};
  check_grid(r, GraphBuilder()
            .input("x", s).constant("e", Tensor::from_vector<int64_t>({}, DType::kInt64, {3}))
            .node("Pow", {"x", "e"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kPow}, {s})
            .output("y")
            .build());
  // Divisors m/4 that fp16 holds exactly: x = (2k+1)/32 is never a multiple of one (no jump).
  Tensor d({16, 1, 1}, DType::kFloat32);
  for (int64_t i = 0; i < 16; ++i) d.data_as<float>()[i] = 0.5f + 0.25f * static_cast<float>(i % 5);
  check_grid(r, GraphBuilder()
            .input("x", s).constant("d", d)
            .node("Mod", {"x", "d"}, {"y"}, ir::BinaryAttrs{ir::BinaryOp::kMod, true}, {s})
            .output("y")
            .build());
  for (auto op : {ir::VariadicOp::kSum, ir::VariadicOp::kMean, ir::VariadicOp::kMin, ir::VariadicOp::kMax}) {
    static const char* kNames[] = {"Sum", "Mean", "Min", "Max"};
    check_grid(r, GraphBuilder()
              .input("a", s).input("b", {16, 1, 1}).weight("c", {6})
              .node(kNames[int(op)], {"b", "a", "c"}, {"y"}, ir::VariadicAttrs{op}, {s})
              .output("y")
              .build());
  }
  Tensor mask({16, 1, 6}, DType::kBool);
  for (int64_t i = 0; i < mask.numel(); ++i) mask.data_as<uint8_t>()[i] = (i * 5) % 3 == 0;
  check_grid(r, GraphBuilder()
            .input("a", s).input("b", {5, 1}).constant("m", mask)
            .node("Where", {"m", "a", "b"}, {"y"}, ir::WhereAttrs{}, {s})
            .output("y")
            .build());
}

INSTANTIATE_TEST_SUITE_P(Backends, ElementwiseOps, ::testing::ValuesIn(optest::matrix_columns()), optest::column_test_name);

}  // namespace
}  // namespace tandem

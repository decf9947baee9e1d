#include <gtest/gtest.h>
#include <cstdlib>

#include "tandem/tensor.h"

namespace tandem {
namespace {

TEST(Tensor, HalfRoundTripIsExactForRepresentableValues) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 0.333251953125f})
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
}

TEST(Tensor, ReshapeKeepsStorageAndChecksCount) {
  Tensor t = Tensor::from_vector<float>({2, 3}, DType::kFloat32, {1, 2, 3, 4, 5, 6});
  auto r = t.reshaped({3, 2});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->data(), t.data());
  EXPECT_FALSE(t.reshaped({4, 2}).is_ok());
}

TEST(Tensor, CloneIsDeep) {
  Tensor t = Tensor::from_vector<int64_t>({2}, DType::kInt64, {7, 8});
  Tensor c = t.clone();
  c.data_as<int64_t>()[0] = 1;
  EXPECT_EQ(t.int_at(0), 7);
  EXPECT_EQ(shape_to_string({1, -1, 3}), "[1, ?, 3]");
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

TEST(Tensor, AdoptReleasesOnceWhenTheLastCopyGoes) {
  int released = 0;
  void* mem = std::aligned_alloc(64, 64 * sizeof(float));
  {
    Tensor a = Tensor::adopt(mem, {4, 16}, DType::kFloat32, [&](void* p) {
      ++released;
      std::free(p);
    });
    EXPECT_EQ(a.data(), mem);
    EXPECT_EQ(a.nbytes(), 64 * sizeof(float));
    Tensor b = a;  // shares the storage
    a = Tensor();
    EXPECT_EQ(released, 0) << "released while a copy still holds it";
    b.data_as<float>()[63] = 1.0f;
  }
  EXPECT_EQ(released, 1);
}

}  // namespace
}  // namespace tandem

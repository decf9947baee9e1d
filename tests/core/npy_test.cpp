// .npy reading and writing: round trips for every dtype, files numpy wrote, and one clear error
// line for each kind of bad file (each written here, byte by byte).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/npy.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tandem_npy_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes a .npy with the given header dict and `data_bytes` bytes of payload.
  std::string write_raw(const std::string& name, const std::string& dict, size_t data_bytes, int major = 1,
                        const char* magic = "\x93NUMPY") {
    std::string header = dict;
    const size_t len_bytes = major == 1 ? 2 : 4;
    const size_t pre = 8 + len_bytes;
    header.append((64 - (pre + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::ofstream f(path(name), std::ios::binary);
    f.write(magic, 6);
    f.put(static_cast<char>(major));
    f.put(0);
    for (size_t i = 0; i < len_bytes; ++i) f.put(static_cast<char>((header.size() >> (8 * i)) & 0xff));
    f << header;
    for (size_t i = 0; i < data_bytes; ++i) f.put(static_cast<char>(i * 7));
    return path(name);
  }

  // The error for reading `p`: it must fail, be one line and name the file.
  std::string read_error(const std::string& p) {
    auto r = read_npy(p);
    EXPECT_FALSE(r.is_ok()) << p;
    if (r.is_ok()) return "";
    const std::string& m = r.status().message();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find(p), std::string::npos) << m;
    return m;
  }

  fs::path dir_;
};

Tensor random_tensor(Shape shape, DType dtype, uint32_t seed) {
  Tensor t(std::move(shape), dtype);
  std::mt19937 rng(seed);
  auto* bytes = static_cast<unsigned char*>(t.data());
  for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(rng());
  if (dtype == DType::kBool)
    for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] &= 1;
  return t;
}

TEST_F(NpyTest, RoundTripsEveryDtype) {
  const DType dtypes[] = {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt64,
                          DType::kInt32,   DType::kInt8,    DType::kUInt8,   DType::kBool};
  uint32_t seed = 1;
  for (DType dt : dtypes) {
    for (const Shape& shape : {Shape{2, 3, 5, 7}, Shape{13}, Shape{}, Shape{4, 0, 2}}) {
      Tensor t = random_tensor(shape, dt, seed++);
      std::string p = path(std::string("rt_") + dtype_name(dt) + ".npy");
      ASSERT_TRUE(write_npy(p, t).is_ok());
      auto r = read_npy(p);
      ASSERT_TRUE(r.is_ok()) << r.status().message();
      EXPECT_EQ(r->dtype(), dt);
      EXPECT_EQ(r->shape(), shape) << shape_to_string(shape);
      ASSERT_EQ(r->nbytes(), t.nbytes());
      EXPECT_EQ(std::memcmp(r->data(), t.data(), t.nbytes()), 0) << dtype_name(dt);
    }
  }
}

TEST_F(NpyTest, HeaderIsPaddedTo64Bytes) {
  Tensor t = random_tensor({1, 3, 4, 4}, DType::kFloat32, 9);
  std::string p = path("pad.npy");
  ASSERT_TRUE(write_npy(p, t).is_ok());
  EXPECT_EQ((fs::file_size(p) - t.nbytes()) % 64, 0u);
}

TEST_F(NpyTest, ReadsVersions2And3) {
  for (int major : {2, 3}) {
    std::string p = write_raw("v" + std::to_string(major) + ".npy",
                              "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", 24, major);
    auto r = read_npy(p);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    EXPECT_EQ(r->shape(), (Shape{2, 3}));
    EXPECT_EQ(r->dtype(), DType::kInt32);
  }
}

TEST_F(NpyTest, ReadsAFileNumpyWrote) {
  std::string p = path("from_numpy.npy");
  std::string cmd = "python3 -c \"import numpy as np; "
                    "np.save('" + p + "', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5) / 4)\" 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "python3 with numpy is not available";
  auto r = read_npy(p);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->shape(), (Shape{2, 3, 4}));
  for (int i = 0; i < 24; ++i) EXPECT_EQ(r->data_as<float>()[i], (static_cast<float>(i) - 5) / 4);
}

TEST_F(NpyTest, NumpyReadsWhatWeWrite) {
  Tensor t = Tensor::from_vector<int64_t>({2, 2}, DType::kInt64, {1, -2, 3, 1LL << 40});
  std::string p = path("to_numpy.npy");
  ASSERT_TRUE(write_npy(p, t).is_ok());
  std::string cmd = "python3 -c \"import numpy as np, sys; a = np.load('" + p +
                    "'); sys.exit(0 if a.dtype == np.int64 and a.shape == (2, 2) and a[1, 1] == 1 << 40 "
                    "and a[0, 1] == -2 else 3)\" 2>/dev/null";
  int rc = std::system(cmd.c_str());
  if (rc != 0 && WEXITSTATUS(rc) != 3) GTEST_SKIP() << "python3 with numpy is not available";
  EXPECT_EQ(rc, 0) << "numpy did not read back the same array";
}

TEST_F(NpyTest, MissingFileIsNotFound) {
  std::string p = path("nope.npy");
  auto r = read_npy(p);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(p), std::string::npos);
}

TEST_F(NpyTest, RefusesBadMagic) {
  std::string p = write_raw("magic.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 1,
                            "\x93NUMPX");
  EXPECT_NE(read_error(p).find("bad magic"), std::string::npos);
  std::ofstream(path("text.npy")) << "hello, not numpy";
  EXPECT_NE(read_error(path("text.npy")).find("bad magic"), std::string::npos);
  std::ofstream(path("empty.npy")).close();
  EXPECT_NE(read_error(path("empty.npy")).find("bad magic"), std::string::npos);
}

TEST_F(NpyTest, RefusesFortranOrder) {
  std::string p = write_raw("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24);
  EXPECT_NE(read_error(p).find("Fortran"), std::string::npos);
}

TEST_F(NpyTest, RefusesBigEndian) {
  std::string p = write_raw("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
  EXPECT_NE(read_error(p).find("big-endian"), std::string::npos);
}

TEST_F(NpyTest, RefusesObjectAndOtherDtypes) {
  std::string p = write_raw("o.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16);
  EXPECT_NE(read_error(p).find("object"), std::string::npos);
  p = write_raw("c.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16);
  EXPECT_NE(read_error(p).find("'<c8' is not supported"), std::string::npos);
  p = write_raw("s.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8);
  EXPECT_NE(read_error(p).find("structured"), std::string::npos);
}

TEST_F(NpyTest, RefusesTruncatedData) {
  std::string p = write_raw("t.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }", 1000);
  std::string m = read_error(p);
  EXPECT_NE(m.find("truncated data"), std::string::npos) << m;
  EXPECT_NE(m.find("602112"), std::string::npos) << m;  // the bytes it needs
}

TEST_F(NpyTest, RefusesAHugeShapeWithoutAllocating) {
  std::string p = write_raw("huge.npy",
                            "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000, 9), }", 64);
  EXPECT_NE(read_error(p).find("truncated data"), std::string::npos);
}

TEST_F(NpyTest, RefusesTruncatedHeaderAndBadHeaders) {
  std::string p = write_raw("h.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  fs::resize_file(p, 30);
  EXPECT_NE(read_error(p).find("truncated header"), std::string::npos);
  p = write_raw("nokey.npy", "{'descr': '<f4', 'shape': (2,), }", 8);
  EXPECT_NE(read_error(p).find("header lacks"), std::string::npos);
  p = write_raw("badshape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 8);
  EXPECT_NE(read_error(p).find("'shape'"), std::string::npos);
  p = write_raw("v9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 9);
  EXPECT_NE(read_error(p).find("version 9"), std::string::npos);
}

TEST_F(NpyTest, WriteToAMissingDirectoryFails) {
  Tensor t = random_tensor({2}, DType::kFloat32, 3);
  Status st = write_npy(path("no/such/dir/x.npy"), t);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("x.npy"), std::string::npos);
}

}  // namespace
}  // namespace tandem

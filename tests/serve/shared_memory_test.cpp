// Triton's system shared memory extension, below HTTP: the registry (mapping, bounds, ref-counted
// unregister), its endpoints as functions, and inference requests whose inputs and outputs name
// regions (decoding, the decoder's memo, the batcher writing outputs into a region).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/infer_request.h"
#include "serve/infer_response.h"
#include "serve/request_decoder.h"
#include "serve/shared_memory.h"
#include "serve/shared_memory_api.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

// A key of this test process: tests run side by side.
std::string key(const std::string& name) { return "/tandem_shm_test_" + std::to_string(::getpid()) + "_" + name; }

std::unique_ptr<SharedMemoryObject> object(const std::string& name, size_t bytes) {
  auto o = SharedMemoryObject::create(key(name), bytes);
  EXPECT_TRUE(o.is_ok()) << o.status().message();
  return o.is_ok() ? std::move(*o) : nullptr;
}

void expect_error(const Status& st, const std::string& needle) {
  ASSERT_FALSE(st.is_ok()) << "expected an error containing '" << needle << "'";
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
}

TEST(SharedMemoryRegistryTest, RegionsMapTheirPartOfTheObject) {
  auto obj = object("a", 10000);
  ASSERT_TRUE(obj);
  for (size_t i = 0; i < obj->size(); ++i) obj->data()[i] = static_cast<char>(i % 251);
  SharedMemoryRegistry shm;
  // An offset that is no multiple of the page size: the registry maps from the page below it.
  ASSERT_TRUE(shm.register_region("r", obj->key(), 5000, 3000).is_ok());
  auto span = shm.resolve("r", 100, 200);
  ASSERT_TRUE(span.is_ok()) << span.status().message();
  EXPECT_EQ(span->size, 200u);
  EXPECT_EQ(std::memcmp(span->data, obj->data() + 5100, 200), 0);
  span->data[0] = 42;  // read-write, and the same memory as the client's
  EXPECT_EQ(obj->data()[5100], 42);
  auto st = shm.status();
  ASSERT_TRUE(st.is_ok());
  ASSERT_EQ(st->size(), 1u);
  EXPECT_EQ((*st)[0].name, "r");
  EXPECT_EQ((*st)[0].key, obj->key());
  EXPECT_EQ((*st)[0].offset, 5000u);
  EXPECT_EQ((*st)[0].byte_size, 3000u);
}

TEST(SharedMemoryRegistryTest, BadRegistrationsAndLookupsAreOneLineErrors) {
  auto obj = object("b", 4096);
  ASSERT_TRUE(obj);
  SharedMemoryRegistry shm(2);
  ASSERT_TRUE(shm.register_region("r", obj->key(), 0, 4096).is_ok());
  expect_error(shm.register_region("r", obj->key(), 0, 16), "registered already");
  expect_error(shm.register_region("s", key("missing"), 0, 16), "no shared memory object has the key");
  expect_error(shm.register_region("s", obj->key(), 4000, 100), "past the end of");
  expect_error(shm.register_region("s", obj->key(), SIZE_MAX, 2), "past the end of");  // no overflow
  expect_error(shm.register_region("s", obj->key(), 0, 0), "byte_size must be more than 0");
  expect_error(shm.register_region("", obj->key(), 0, 16), "needs a name");
  ASSERT_TRUE(shm.register_region("s", obj->key(), 0, 16).is_ok());
  expect_error(shm.register_region("t", obj->key(), 0, 16), "2 regions are registered already");
  expect_error(shm.resolve("nope", 0, 1).status(), "no shared memory region named 'nope'");
  expect_error(shm.resolve("s", 8, 9).status(), "past its end");
  expect_error(shm.resolve("s", SIZE_MAX, 2).status(), "past its end");
  expect_error(shm.status("nope").status(), "no shared memory region named 'nope'");
  EXPECT_TRUE(shm.resolve("s", 0, 16).is_ok());
  EXPECT_EQ(shm.size(), 2u);
}

// A request that still reads or writes a region keeps its mapping after the region is unregistered.
TEST(SharedMemoryRegistryTest, UnregisterWhileASpanIsHeldKeepsItsMapping) {
  auto obj = object("c", 8192);
  ASSERT_TRUE(obj);
  SharedMemoryRegistry shm;
  ASSERT_TRUE(shm.register_region("r", obj->key(), 0, 8192).is_ok());
  auto span = shm.resolve("r", 4096, 4096);
  ASSERT_TRUE(span.is_ok());
  shm.unregister("r");
  shm.unregister("r");  // a name no longer registered is no error
  EXPECT_FALSE(shm.resolve("r", 0, 1).is_ok());
  EXPECT_EQ(shm.size(), 0u);
  std::memset(span->data, 7, span->size);  // still mapped
  EXPECT_EQ(obj->data()[8191], 7);
  ASSERT_TRUE(shm.register_region("r", obj->key(), 0, 8192).is_ok());  // the name is free again
  ASSERT_TRUE(shm.register_region("q", obj->key(), 0, 8192).is_ok());
  shm.unregister_all();
  EXPECT_EQ(shm.size(), 0u);
}

TEST(SharedMemoryApiTest, EndpointsAnswerJsonAndOneLineErrors) {
  auto obj = object("d", 4096);
  ASSERT_TRUE(obj);
  SharedMemoryRegistry shm;
  const std::string body = json{{"key", obj->key()}, {"offset", 64}, {"byte_size", 1024}}.dump();
  ApiReply a = shared_memory_register(&shm, "r", body);
  EXPECT_EQ(a.status, 200) << a.body;
  a = shared_memory_status(&shm, "");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body),
            json::parse(R"([{"name": "r", "key": ")" + obj->key() + R"(", "offset": 64, "byte_size": 1024}])"));
  EXPECT_EQ(json::parse(shared_memory_status(&shm, "r").body).size(), 1u);
  auto bad = [](const ApiReply& r, const std::string& needle) {
    EXPECT_EQ(r.status, 400) << r.body;
    const json j = json::parse(r.body);
    EXPECT_NE(j.value("error", "").find(needle), std::string::npos) << r.body;
  };
  bad(shared_memory_register(&shm, "r", body), "registered already");
  bad(shared_memory_register(&shm, "s", "{\"key\": "), "not a JSON object");
  bad(shared_memory_register(&shm, "s", R"({"byte_size": 4})"), "'key'");
  bad(shared_memory_register(&shm, "s", json{{"key", obj->key()}, {"byte_size", -4}}.dump()), "'byte_size'");
  bad(shared_memory_register(&shm, "s", json{{"key", obj->key()}, {"byte_size", 4}, {"offset", "0"}}.dump()), "'offset'");
  bad(shared_memory_status(&shm, "s"), "no shared memory region named 's'");
  EXPECT_EQ(shared_memory_unregister(&shm, "").status, 200);
  EXPECT_EQ(json::parse(shared_memory_status(&shm, "").body), json::array());
  for (const ApiReply& r : {shared_memory_register(nullptr, "r", body), shared_memory_status(nullptr, ""),
                            shared_memory_unregister(nullptr, "")})
    bad(r, "system shared memory is off");
}

// --- inference requests in shared memory ------------------------------------------------------

const std::vector<TensorInfo> kInputs = {{"x", DType::kFloat32, {-1, 2, 3}}};
const std::vector<TensorInfo> kOutputs = {{"y", DType::kFloat32, {-1, 4}}, {"z", DType::kInt64, {-1}}};

class ShmRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    obj_ = object("req", 4096);
    ASSERT_TRUE(obj_);
    for (int i = 0; i < 24; ++i) reinterpret_cast<float*>(obj_->data() + 256)[i] = 0.25f * static_cast<float>(i);
    ASSERT_TRUE(shm_.register_region("in", obj_->key(), 0, 1024).is_ok());
    ASSERT_TRUE(shm_.register_region("out", obj_->key(), 1024, 1024).is_ok());
  }

  // A request of `rows` rows of x at offset 256 of region "in" (byte size `bytes`, default right),
  // y into region "out" at offset 64 (`out_bytes`), z binary.
  static std::string request(int rows, json in_params = nullptr, size_t out_bytes = 512) {
    if (in_params.is_null())
      in_params = {{"shared_memory_region", "in"}, {"shared_memory_offset", 256}, {"shared_memory_byte_size", 24 * rows}};
    return json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {rows, 2, 3}}, {"parameters", in_params}}}},
                {"outputs",
                 {{{"name", "y"},
                   {"parameters",
                    {{"shared_memory_region", "out"}, {"shared_memory_offset", 64}, {"shared_memory_byte_size", out_bytes}}}},
                  {{"name", "z"}, {"parameters", {{"binary_data", true}}}}}}}
        .dump();
  }

  Result<InferRequest> decode(const std::string& body) {
    return decode_infer_request(body, std::nullopt, kInputs, kOutputs, nullptr, nullptr, &shm_);
  }

  std::unique_ptr<SharedMemoryObject> obj_;
  SharedMemoryRegistry shm_;
};

TEST_F(ShmRequestTest, InputIsBorrowedFromTheRegionAndOutputBound) {
  auto r = decode(request(4));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(r->inputs[0].data_as<float>()[5], 1.25f);
  reinterpret_cast<float*>(obj_->data() + 256)[5] = -3.0f;  // the client writes: the input sees it (no copy)
  EXPECT_EQ(r->inputs[0].data_as<float>()[5], -3.0f);
  EXPECT_EQ(r->holds.size(), 1u);
  ASSERT_EQ(r->output_shm.size(), 2u);
  ASSERT_NE(r->output_shm[0].data, nullptr);
  EXPECT_EQ(r->output_shm[0].size, 512u);
  r->output_shm[0].data[0] = 'Q';  // the server writes at offset 64 of region "out" (1024 of the object)
  EXPECT_EQ(obj_->data()[1024 + 64], 'Q');
  EXPECT_EQ(r->output_shm[1].data, nullptr);
  ASSERT_EQ(r->outputs.size(), 2u);
  ASSERT_TRUE(r->outputs[0].shm.has_value());
  EXPECT_FALSE(r->outputs[0].binary);
  EXPECT_TRUE(r->outputs[1].binary);
  // The response: y's place and size, no data; z's bytes.
  Tensor y = Tensor::wrap(TensorView{r->output_shm[0].data, {4, 4}, DType::kFloat32});
  Tensor z({4}, DType::kInt64);
  EncodedResponse e = encode_infer_response("m", "1", *r, kOutputs, {y, z});
  ASSERT_TRUE(e.header_length.has_value());
  const json head = json::parse(e.body.substr(0, *e.header_length));
  EXPECT_EQ(head["outputs"][0]["parameters"],
            json::parse(R"({"shared_memory_region": "out", "shared_memory_offset": 64, "shared_memory_byte_size": 64})"));
  EXPECT_FALSE(head["outputs"][0].contains("data"));
  EXPECT_EQ(e.body.size(), *e.header_length + 32);  // z only
}

TEST_F(ShmRequestTest, BadParametersAreOneLineErrors) {
  auto bad = [&](const std::string& body, const std::string& needle) { expect_error(decode(body).status(), needle); };
  bad(request(4, {{"shared_memory_region", "in"}, {"shared_memory_byte_size", 95}}), "shared_memory_byte_size is 95 but shape [4, 2, 3] of FP32 needs 96 bytes");
  bad(request(1, {{"shared_memory_region", "nope"}, {"shared_memory_byte_size", 24}}), "no shared memory region named 'nope'");
  bad(request(1, {{"shared_memory_region", "in"}, {"shared_memory_offset", 1010}, {"shared_memory_byte_size", 24}}), "past its end");
  bad(request(1, {{"shared_memory_region", "in"}}), "go together");
  bad(request(1, {{"shared_memory_byte_size", 24}}), "go together");
  bad(request(1, {{"shared_memory_region", 3}, {"shared_memory_byte_size", 24}}), "must be the name of a registered region");
  bad(request(1, {{"shared_memory_region", "in"}, {"shared_memory_byte_size", 24}, {"binary_data_size", 24}}), "both binary_data_size");
  bad(request(1, {{"shared_memory_region", "in"}, {"shared_memory_byte_size", 24}, {"shared_memory_offset", -1}}), "shared_memory_offset must be a byte count");
  // A shape whose bytes overflow size_t is refused, not wrapped around: 24 (2^61 + 1) is 24 mod 2^64.
  bad(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {(int64_t{1} << 61) + 1, 2, 3}},
                        {"parameters", {{"shared_memory_region", "in"}, {"shared_memory_byte_size", 24}}}}}}}.dump(),
      "needs more");
  // y of 4 rows is 64 bytes: 63 do not hold it.
  bad(request(4, nullptr, 63), "output 'y': shared_memory_byte_size is 63, too small for [4, 4] of FP32 (64 bytes)");
  json data_too = json::parse(request(1));
  data_too["inputs"][0]["data"] = std::vector<float>(6, 0.f);
  bad(data_too.dump(), "both 'data' and shared memory");
  json twice = json::parse(request(1));
  twice["outputs"].push_back(twice["outputs"][0]);
  bad(twice.dump(), "output 'y' is asked for twice");
  // A server with shared memory off.
  expect_error(decode_infer_request(request(1), std::nullopt, kInputs, kOutputs).status(), "which this server has off");
}

// The decoder's memo serves shared memory headers (without Inference-Header-Content-Length, as
// tritonclient sends them), looks the regions up again, and decodes in full once one is gone.
TEST_F(ShmRequestTest, MemoisedHeadersLookTheRegionsUpAgain) {
  RequestDecoder d(kInputs, kOutputs, &shm_);
  const std::string body = request(2);
  for (int i = 0; i < 3; ++i) {
    auto r = d.decode(body, std::nullopt, nullptr);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    reinterpret_cast<float*>(obj_->data() + 256)[0] = static_cast<float>(i);
    EXPECT_EQ(r->inputs[0].data_as<float>()[0], static_cast<float>(i));  // bound to the region each time
    r->output_shm[0].data[0] = static_cast<char>('a' + i);
    EXPECT_EQ(obj_->data()[1024 + 64], 'a' + i);
    EXPECT_EQ(r->holds.size(), 1u);
  }
  EXPECT_EQ(d.hits(), 2);
  shm_.unregister("out");
  expect_error(d.decode(body, std::nullopt, nullptr).status(), "output 'y': no shared memory region named 'out'");
  shm_.unregister("in");
  expect_error(d.decode(body, std::nullopt, nullptr).status(), "input 'x': no shared memory region named 'in'");
  EXPECT_EQ(d.hits(), 2);
}

}  // namespace
}  // namespace tandem::serve

// Decoding and encoding of KServe v2 requests (JSON and binary tensors), and every bad request the
// server must answer with a clear 400 instead of crashing.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/infer_request.h"
#include "serve/infer_response.h"
#include "serve/request_body.h"
#include "serve/request_decoder.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

const std::vector<TensorInfo> kInputs = {{"x", DType::kFloat32, {-1, 2, 3}}, {"ids", DType::kInt64, {-1, 2}}};
const std::vector<TensorInfo> kOutputs = {{"y", DType::kFloat32, {-1, 4}}, {"z", DType::kInt64, {-1}}};

json x_json(int rows) {
  std::vector<float> v(static_cast<size_t>(rows) * 6);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5f * static_cast<float>(i);
  return {{"name", "x"}, {"datatype", "FP32"}, {"shape", {rows, 2, 3}}, {"data", v}};
}
json ids_json(int rows) {
  std::vector<int64_t> v(static_cast<size_t>(rows) * 2);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i) * 1000000000000LL;
  return {{"name", "ids"}, {"datatype", "INT64"}, {"shape", {rows, 2}}, {"data", v}};
}

Result<InferRequest> decode(const json& j) { return decode_infer_request(j.dump(), std::nullopt, kInputs, kOutputs); }

// Expects an InvalidArgument whose message contains `needle`.
void expect_bad(const Result<InferRequest>& r, const std::string& needle) {
  ASSERT_FALSE(r.is_ok()) << "expected an error containing '" << needle << "'";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST(DecodeTest, JsonTensorsInModelOrderWithAllOutputs) {
  auto r = decode({{"id", "a1"}, {"inputs", {ids_json(2), x_json(2)}}});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->id, "a1");
  EXPECT_EQ(r->rows, 2);
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].shape(), (Shape{2, 2, 3}));
  EXPECT_FLOAT_EQ(r->inputs[0].data_as<float>()[11], 5.5f);
  EXPECT_EQ(r->inputs[1].data_as<int64_t>()[3], 3000000000000LL);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_FALSE(r->outputs[0].binary);
}

TEST(DecodeTest, NestedJsonData) {
  json x = x_json(1);
  x["data"] = {{{1, 2, 3}, {4, 5, 6}}};
  auto r = decode({{"inputs", {x, ids_json(1)}}});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FLOAT_EQ(r->inputs[0].data_as<float>()[5], 6.0f);
}

TEST(DecodeTest, BinaryInputsAndRequestedOutputs) {
  std::vector<float> xs(6);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i) - 2.5f;
  std::vector<int64_t> ids = {7, -8};
  json head = {{"inputs",
                {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1, 2, 3}}, {"parameters", {{"binary_data_size", 24}}}},
                 {{"name", "ids"}, {"datatype", "INT64"}, {"shape", {1, 2}}, {"parameters", {{"binary_data_size", 16}}}}}},
               {"outputs", {{{"name", "z"}, {"parameters", {{"binary_data", true}}}}, {{"name", "y"}}}}};
  std::string body = head.dump();
  const size_t header_length = body.size();
  body.append(reinterpret_cast<const char*>(xs.data()), 24);
  body.append(reinterpret_cast<const char*>(ids.data()), 16);
  auto r = decode_infer_request(body, header_length, kInputs, kOutputs);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FLOAT_EQ(r->inputs[0].data_as<float>()[5], 2.5f);
  EXPECT_EQ(r->inputs[1].data_as<int64_t>()[1], -8);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_EQ(r->outputs[0].index, 1u);
  EXPECT_TRUE(r->outputs[0].binary);
  EXPECT_FALSE(r->outputs[1].binary);

  // The response: z as raw bytes after the JSON, y as a JSON array.
  std::vector<Tensor> outs = {Tensor::from_vector<float>({1, 4}, DType::kFloat32, {1, 2, 3, 4}),
                              Tensor::from_vector<int64_t>({1}, DType::kInt64, {42})};
  EncodedResponse e = encode_infer_response("m", "1", *r, kOutputs, outs);
  ASSERT_TRUE(e.header_length.has_value());
  json res = json::parse(e.body.substr(0, *e.header_length));
  EXPECT_EQ(res["outputs"][0]["name"], "z");
  EXPECT_EQ(res["outputs"][0]["parameters"]["binary_data_size"], 8);
  EXPECT_EQ(res["outputs"][1]["data"], json({1.0, 2.0, 3.0, 4.0}));
  ASSERT_EQ(e.body.size(), *e.header_length + 8);
  int64_t z = 0;
  std::memcpy(&z, e.body.data() + *e.header_length, 8);
  EXPECT_EQ(z, 42);
}

TEST(DecodeTest, BinaryDataOutputDefault) {
  auto r = decode({{"inputs", {x_json(1), ids_json(1)}}, {"parameters", {{"binary_data_output", true}}}});
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->outputs[0].binary && r->outputs[1].binary);
}

TEST(DecodeTest, MalformedJson) { expect_bad(decode_infer_request("{\"inputs\": [", std::nullopt, kInputs, kOutputs), "not valid JSON"); }

TEST(DecodeTest, NoInputs) { expect_bad(decode({{"id", "x"}}), "'inputs'"); }

TEST(DecodeTest, UnknownInput) {
  json x = x_json(1);
  x["name"] = "image";
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "unknown input 'image'");
}

TEST(DecodeTest, MissingInput) { expect_bad(decode({{"inputs", {x_json(1)}}}), "missing input 'ids'"); }

TEST(DecodeTest, DuplicateInput) { expect_bad(decode({{"inputs", {x_json(1), x_json(1), ids_json(1)}}}), "twice"); }

TEST(DecodeTest, WrongDatatype) {
  json x = x_json(1);
  x["datatype"] = "FP64";
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "datatype FP64, the model takes FP32");
  x["datatype"] = "BYTES";
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "not supported");
}

TEST(DecodeTest, WrongShape) {
  json x = x_json(1);
  x["shape"] = {1, 3, 2};
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "has shape [1, 3, 2], the model takes [?, 2, 3]");
  x["shape"] = {6};
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "has shape [6]");
  x["shape"] = {0, 2, 3};
  x["data"] = json::array();
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "has shape [0, 2, 3]");
}

TEST(DecodeTest, ShapeLargerThanTheBodyAllocatesNothing) {
  json x = x_json(1);
  x["shape"] = {4000000000000LL, 2, 3};
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "holds more data than the request body");
  x["shape"] = {1LL << 40, 2, 3};
  x["data"] = json::array();
  x["parameters"] = {{"binary_data_size", 48}};
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "holds more data than the request body");
}

TEST(DecodeTest, DataLengthAgainstShape) {
  json x = x_json(1);
  x["data"] = {1, 2, 3};
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "data has 3 elements, shape [1, 2, 3] needs 6");
  x["data"] = std::vector<float>(7, 1.0f);
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "more elements");
}

TEST(DecodeTest, WrongElementKind) {
  json ids = ids_json(1);
  ids["data"] = {1.5, 2};
  expect_bad(decode({{"inputs", {x_json(1), ids}}}), "is not a INT64 value");
  json x = x_json(1);
  x["data"] = {"a", 1, 2, 3, 4, 5};
  expect_bad(decode({{"inputs", {x, ids_json(1)}}}), "is not a FP32 value");
}

TEST(DecodeTest, IntegerOutOfRange) {
  json ids = ids_json(1);
  ids["data"] = {1, 18446744073709551615ULL};  // past INT64
  expect_bad(decode({{"inputs", {x_json(1), ids}}}), "is not a INT64 value");
  ids["data"] = {-9223372036854775807LL - 1, 9223372036854775807LL};
  EXPECT_TRUE(decode({{"inputs", {x_json(1), ids}}}).is_ok());
}

TEST(DecodeTest, SmallIntegersOutOfRange) {
  const std::vector<TensorInfo> in = {{"b", DType::kUInt8, {-1, 2}}, {"c", DType::kInt8, {-1, 1}}};
  auto req = [](json b, json c) {
    return json{{"inputs",
                 {{{"name", "b"}, {"datatype", "UINT8"}, {"shape", {1, 2}}, {"data", b}},
                  {{"name", "c"}, {"datatype", "INT8"}, {"shape", {1, 1}}, {"data", c}}}}};
  };
  auto ok = decode_infer_request(req({0, 255}, {-128}).dump(), std::nullopt, in, kOutputs);
  ASSERT_TRUE(ok.is_ok()) << ok.status().message();
  EXPECT_EQ(ok->inputs[0].data_as<uint8_t>()[1], 255);
  EXPECT_EQ(ok->inputs[1].data_as<int8_t>()[0], -128);
  expect_bad(decode_infer_request(req({0, 256}, {0}).dump(), std::nullopt, in, kOutputs), "is not a UINT8 value");
  expect_bad(decode_infer_request(req({-1, 0}, {0}).dump(), std::nullopt, in, kOutputs), "is not a UINT8 value");
  expect_bad(decode_infer_request(req({0, 0}, {128}).dump(), std::nullopt, in, kOutputs), "is not a INT8 value");
}

TEST(DecodeTest, RowsDifferBetweenInputs) { expect_bad(decode({{"inputs", {x_json(2), ids_json(1)}}}), "rows"); }

TEST(DecodeTest, UnknownOutput) {
  expect_bad(decode({{"inputs", {x_json(1), ids_json(1)}}, {"outputs", {{{"name", "nope"}}}}}), "unknown output 'nope'");
}

// Binary bodies whose lengths do not add up: each is refused, none reads past the body.
class BinaryLengthTest : public ::testing::Test {
 protected:
  std::string body(int x_size, int ids_size, size_t payload) {
    json head = {{"inputs",
                  {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1, 2, 3}}, {"parameters", {{"binary_data_size", x_size}}}},
                   {{"name", "ids"}, {"datatype", "INT64"}, {"shape", {1, 2}}, {"parameters", {{"binary_data_size", ids_size}}}}}}};
    std::string b = head.dump();
    header_ = b.size();
    b.append(payload, '\0');
    return b;
  }
  size_t header_ = 0;
};

TEST_F(BinaryLengthTest, HeaderLengthLargerThanBody) {
  std::string b = body(24, 16, 40);
  expect_bad(decode_infer_request(b, b.size() + 10, kInputs, kOutputs), "Inference-Header-Content-Length is");
}

TEST_F(BinaryLengthTest, HeaderLengthCutsTheJson) {
  std::string b = body(24, 16, 40);
  expect_bad(decode_infer_request(b, header_ - 5, kInputs, kOutputs), "not valid JSON");
}

TEST_F(BinaryLengthTest, HeaderLengthPastTheJson) {
  std::string b = body(24, 16, 40);
  // The JSON parser stops at the NUL bytes; the binary part is then 3 bytes short.
  expect_bad(decode_infer_request(b, header_ + 3, kInputs, kOutputs), "binary data ends after 37 bytes");
}

TEST_F(BinaryLengthTest, TruncatedBinary) {
  std::string b = body(24, 16, 30);
  expect_bad(decode_infer_request(b, header_, kInputs, kOutputs), "binary data ends after 30 bytes");
}

TEST_F(BinaryLengthTest, ExtraBinary) {
  std::string b = body(24, 16, 48);
  expect_bad(decode_infer_request(b, header_, kInputs, kOutputs), "48 bytes of binary data, the inputs declare 40");
}

TEST_F(BinaryLengthTest, SizeNotMatchingShape) {
  std::string b = body(20, 16, 36);
  expect_bad(decode_infer_request(b, header_, kInputs, kOutputs), "binary_data_size is 20");
}

TEST(HeaderLengthTest, NotANumber) {
  EXPECT_FALSE(parse_header_length("12x").is_ok());
  EXPECT_FALSE(parse_header_length("").is_ok());
  EXPECT_FALSE(parse_header_length("-3").is_ok());
  ASSERT_TRUE(parse_header_length("123").is_ok());
  EXPECT_EQ(*parse_header_length("123"), 123u);
}

}  // namespace
}  // namespace tandem::serve

namespace tandem::serve {
namespace {

// A body read by RequestBody: the binary part starts 64-byte aligned, so the first input is used in
// place (its tensor shares the body's memory, and keeps it alive after the RequestBody is gone);
// the second (at offset 24 of the binary part) is copied. Both hold the bytes sent.
TEST(RequestBodyTest, AlignedInputsAreUsedInPlace) {
  std::vector<float> x(6);
  std::vector<int64_t> ids = {7, -8};
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1.5f * static_cast<float>(i) - 2;
  json head = {{"inputs",
                {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1, 2, 3}}, {"parameters", {{"binary_data_size", 24}}}},
                 {{"name", "ids"}, {"datatype", "INT64"}, {"shape", {1, 2}}, {"parameters", {{"binary_data_size", 16}}}}}}};
  const std::string h = head.dump();
  std::string bytes = h;
  bytes.append(reinterpret_cast<const char*>(x.data()), 24);
  bytes.append(reinterpret_cast<const char*>(ids.data()), 16);
  Result<InferRequest> r = invalid_argument("not decoded");
  const char* binary_start = nullptr;
  {
    RequestBody body(bytes.size(), h.size());
    for (size_t i = 0; i < bytes.size(); i += 7) body.append(bytes.data() + i, std::min<size_t>(7, bytes.size() - i));
    ASSERT_EQ(body.view(), bytes);
    ASSERT_NE(body.owner(), nullptr);
    binary_start = body.view().data() + h.size();
    r = decode_infer_request(body.view(), h.size(), kInputs, kOutputs, body.owner());
  }
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(static_cast<const void*>(r->inputs[0].data()), static_cast<const void*>(binary_start));  // in place
  EXPECT_NE(static_cast<const void*>(r->inputs[1].data()), static_cast<const void*>(binary_start + 24));  // copied
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(r->inputs[0].data_as<float>()[i], x[i]);
  EXPECT_EQ(r->inputs[1].data_as<int64_t>()[0], 7);
  EXPECT_EQ(r->inputs[1].data_as<int64_t>()[1], -8);
}

// Without a declared length, or with more bytes than declared, the body still comes out whole.
TEST(RequestBodyTest, UndeclaredOrLongerBodiesGrow) {
  RequestBody unknown(0, 0), short_declared(4, 0);
  for (RequestBody* b : {&unknown, &short_declared}) {
    b->append("abc", 3);
    b->append("defgh", 5);
    EXPECT_EQ(b->view(), "abcdefgh");
    EXPECT_EQ(b->owner(), nullptr);
  }
}

}  // namespace
}  // namespace tandem::serve

namespace tandem::serve {
namespace {

// A binary body of `rows` rows of x (values from `base`) and ids, with `id` in the header.
std::pair<std::string, size_t> binary_body(int rows, float base, const std::string& id = "") {
  json head = {{"inputs",
                {{{"name", "ids"}, {"datatype", "INT64"}, {"shape", {rows, 2}}, {"parameters", {{"binary_data_size", 16 * rows}}}},
                 {{"name", "x"}, {"datatype", "FP32"}, {"shape", {rows, 2, 3}}, {"parameters", {{"binary_data_size", 24 * rows}}}}}},
               {"outputs", {{{"name", "z"}, {"parameters", {{"binary_data", true}}}}}}};
  if (!id.empty()) head["id"] = id;
  std::string body = head.dump();
  const size_t n = body.size();
  for (int i = 0; i < 2 * rows; ++i) {
    const int64_t v = 100 * i + static_cast<int64_t>(base);
    body.append(reinterpret_cast<const char*>(&v), 8);
  }
  for (int i = 0; i < 6 * rows; ++i) {
    const float v = base + static_cast<float>(i);
    body.append(reinterpret_cast<const char*>(&v), 4);
  }
  return {body, n};
}

// A header seen before is taken from the memo, and the answer is what a full decode gives: the
// new body's data, the same outputs and id; errors are a full decode's too.
TEST(RequestDecoderTest, SeenHeadersComeFromTheMemoWithTheNewData) {
  RequestDecoder d(kInputs, kOutputs);
  for (int round = 0; round < 3; ++round) {
    const auto [body, n] = binary_body(2, 10.0f * static_cast<float>(round), "req-7");
    auto got = d.decode(body, n, nullptr);
    auto want = decode_infer_request(body, n, kInputs, kOutputs);
    ASSERT_TRUE(got.is_ok() && want.is_ok()) << got.status().message();
    EXPECT_EQ(got->id, "req-7");
    EXPECT_EQ(got->rows, 2);
    ASSERT_EQ(got->inputs.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(got->inputs[i].shape(), want->inputs[i].shape());
      EXPECT_EQ(got->inputs[i].dtype(), want->inputs[i].dtype());
      EXPECT_EQ(std::memcmp(got->inputs[i].data(), want->inputs[i].data(), want->inputs[i].nbytes()), 0) << "input " << i;
    }
    ASSERT_EQ(got->outputs.size(), 1u);
    EXPECT_EQ(got->outputs[0].index, 1u);
    EXPECT_TRUE(got->outputs[0].binary);
  }
  EXPECT_EQ(d.hits(), 2);
  // The same header with its binary part cut short: the full decode's error, not the memo's.
  auto [body, n] = binary_body(2, 1.0f, "req-7");
  body.resize(body.size() - 4);
  expect_bad(d.decode(body, n, nullptr), "the binary data ends");
  EXPECT_EQ(d.hits(), 2);
  // Another id is another header; JSON data is never memoised.
  EXPECT_TRUE(d.decode(binary_body(2, 1.0f, "other").first, binary_body(2, 1.0f, "other").second, nullptr).is_ok());
  const std::string j = json{{"inputs", {x_json(1), ids_json(1)}}}.dump();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(d.decode(j, std::nullopt, nullptr).is_ok());
  EXPECT_EQ(d.hits(), 2);
}

}  // namespace
}  // namespace tandem::serve

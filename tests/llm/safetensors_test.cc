// safetensors reader: values of each dtype, sharded checkpoints, and a clear error for every
// malformed header field.
#include "llm/safetensors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "kernels/error.h"
#include "kernels/fp16.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;

// 8-byte length + header + data.
std::vector<uint8_t> file_bytes(const std::string& header, const std::vector<uint8_t>& data) {
  const uint64_t n = header.size();
  std::vector<uint8_t> out(8 + header.size() + data.size());
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  std::copy(header.begin(), header.end(), out.begin() + 8);
  std::copy(data.begin(), data.end(), out.begin() + 8 + static_cast<std::ptrdiff_t>(header.size()));
  return out;
}

template <typename T>
void append(std::vector<uint8_t>& out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof v);
  std::memcpy(out.data() + at, &v, sizeof v);
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    SafetensorsFile::from_memory("t.safetensors", bytes.data(), bytes.size());
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Safetensors, ReadsF32F16Bf16) {
  std::vector<uint8_t> data;
  for (float v : {1.0f, -2.5f, 3.25f, 0.0f, 5.0f, 6.0f}) append(data, v);
  for (float v : {0.5f, -1.0f}) append(data, kernels::fp32_to_fp16(v));
  for (float v : {2.0f, -0.25f}) append(data, kernels::fp32_to_bf16(v));
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("b":{"dtype":"F16","shape":[2],"data_offsets":[24,28]},)"
      R"("c":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},"__metadata__":{"format":"pt"}})";
  const auto bytes = file_bytes(header, data);
  const SafetensorsFile f = SafetensorsFile::from_memory("m", bytes.data(), bytes.size());
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const SafetensorsTensor* a = f.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(safetensors_to_f32(*a), (std::vector<float>{1.0f, -2.5f, 3.25f, 0.0f, 5.0f, 6.0f}));
  EXPECT_EQ(safetensors_to_f32(*f.find("b")), (std::vector<float>{0.5f, -1.0f}));
  EXPECT_EQ(safetensors_to_f32(*f.find("c")), (std::vector<float>{2.0f, -0.25f}));
  EXPECT_EQ(f.find("missing"), nullptr);
}

TEST(Safetensors, MalformedHeadersNameTheFileAndField) {
  std::vector<uint8_t> data(16, 0);
  auto with = [&](const std::string& entry) {
    return error_of(file_bytes("{\"w\":" + entry + "}", data));
  };
  auto has = [](const std::string& msg, std::initializer_list<const char*> parts) {
    for (const char* p : parts)
      if (msg.find(p) == std::string::npos) return ::testing::AssertionFailure() << msg;
    return ::testing::AssertionSuccess();
  };
  // Truncated: shorter than the length field, and a length past the end of the file.
  EXPECT_TRUE(has(error_of({1, 2, 3}), {"t.safetensors", "too short"}));
  auto truncated = file_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data);
  truncated.resize(20);
  EXPECT_TRUE(has(error_of(truncated), {"t.safetensors", "header length"}));
  EXPECT_TRUE(has(error_of(file_bytes("{not json", data)), {"t.safetensors", "JSON"}));
  EXPECT_TRUE(has(error_of(file_bytes("[1,2]", data)), {"not a JSON object"}));
  // Offsets.
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[4],"data_offsets":[0,32]})"),
                  {"'w'", "data_offsets", "past the data"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[4],"data_offsets":[8,4]})"),
                  {"data_offsets", "begin > end"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[3],"data_offsets":[0,16]})"),
                  {"data_offsets", "need 12"}));
  EXPECT_TRUE(
      has(with(R"({"dtype":"F32","shape":[4],"data_offsets":[0]})"), {"data_offsets", "pair"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[4],"data_offsets":[-4,12]})"), {"data_offsets"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[4]})"), {"data_offsets", "missing"}));
  // Dtypes.
  EXPECT_TRUE(has(with(R"({"dtype":"Q7","shape":[4],"data_offsets":[0,16]})"),
                  {"'w'", "dtype", "'Q7' is unknown"}));
  EXPECT_TRUE(has(with(R"({"dtype":"I64","shape":[2],"data_offsets":[0,16]})"),
                  {"dtype", "'I64' is not supported"}));
  EXPECT_TRUE(
      has(with(R"({"dtype":7,"shape":[4],"data_offsets":[0,16]})"), {"dtype", "not a string"}));
  EXPECT_TRUE(has(with(R"({"shape":[4],"data_offsets":[0,16]})"), {"dtype", "missing"}));
  // Shapes.
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[-4],"data_offsets":[0,16]})"),
                  {"shape", "non-negative"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":"4","data_offsets":[0,16]})"), {"shape"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","data_offsets":[0,16]})"), {"shape", "missing"}));
  EXPECT_TRUE(has(with(R"({"dtype":"F32","shape":[1,1,1,1,4],"data_offsets":[0,16]})"),
                  {"shape", "at most 4"}));
  EXPECT_TRUE(has(with("7"), {"'w'", "not an object"}));
}

TEST(Safetensors, FileErrorsNameThePath) {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_bad.safetensors";
  const auto bytes = file_bytes(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,99]}})",
                                std::vector<uint8_t>(16));
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  try {
    SafetensorsFile f(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(SafetensorsFile(::testing::TempDir() + std::to_string(::getpid()) + "_parley_missing.safetensors"), Error);
}

TEST(Safetensors, ShardedCheckpointFollowsTheIndex) {
  const std::string dir = std::string(PARLEY_SOURCE_DIR) + "/tests/llm/fixtures/hf_qwen2";
  const SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(dir);
  const SafetensorsTensor& embd = ckpt.get("model.embed_tokens.weight");
  EXPECT_EQ(embd.dtype, kernels::DType::BF16);
  EXPECT_NE(embd.file.find("model-00001-of-00002"), std::string::npos);
  EXPECT_NE(ckpt.get("model.layers.1.mlp.down_proj.weight").file.find("model-00002-of-00002"),
            std::string::npos);
  EXPECT_EQ(ckpt.find("lm_head.weight"), nullptr);
  EXPECT_THROW(ckpt.get("nope"), Error);

  // An index naming a tensor its shard does not hold.
  const fs::path bad = fs::path(::testing::TempDir()) / "parley_bad_index";
  fs::remove_all(bad);
  fs::copy(dir, bad, fs::copy_options::recursive);
  std::ofstream((bad / "model.safetensors.index.json").string())
      << R"({"weight_map":{"model.norm.weight":"model-00002-of-00002.safetensors"}})";
  try {
    SafetensorsCheckpoint::open(bad.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in its shard"), std::string::npos) << e.what();
  }
  std::ofstream((bad / "model.safetensors.index.json").string()) << R"({"metadata":{}})";
  EXPECT_THROW(SafetensorsCheckpoint::open(bad.string()), Error);

  // Single-file checkpoint.
  const SafetensorsCheckpoint llama =
      SafetensorsCheckpoint::open(std::string(PARLEY_SOURCE_DIR) + "/tests/llm/fixtures/hf_llama");
  EXPECT_EQ(llama.get("lm_head.weight").dtype, kernels::DType::F32);
}

}  // namespace
}  // namespace parley::llm

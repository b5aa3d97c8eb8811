// GGUF reader: real files from llama.cpp, the two real truncated files, and synthetic hostile
// files built here (every truncation of a valid file, huge lengths and counts, bad alignment,
// bad dtype, tensor offsets past the end, dimension overflow, duplicates).
#include "llm/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/error.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;
using kernels::DType;

const fs::path kLlmData = fs::path(PARLEY_SHARED_TESTDATA) / "llm";

// Little-endian GGUF writer for synthetic files.
class Writer {
 public:
  std::vector<uint8_t> bytes;

  void u8(uint8_t v) { raw(&v, 1); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void i32(int32_t v) { raw(&v, 4); }
  void f32(float v) { raw(&v, 4); }
  void f64(double v) { raw(&v, 8); }
  void str(std::string_view s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    raw("GGUF", 4);
    u32(version);
    u64(n_tensors);
    u64(n_kv);
  }
  void key(std::string_view k, GgufType type) {
    str(k);
    u32(static_cast<uint32_t>(type));
  }
  void tensor_info(std::string_view name, std::vector<uint64_t> ne, uint32_t ggml_type,
                   uint64_t offset) {
    str(name);
    u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t n : ne) u64(n);
    u32(ggml_type);
    u64(offset);
  }
  void pad_to(size_t alignment) {
    while (bytes.size() % alignment != 0) bytes.push_back(0);
  }
  void raw(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
};

constexpr uint32_t kGgmlF32 = 0;
constexpr uint32_t kGgmlQ8_0 = 8;

// A small valid v3 file: one key of every type, nested arrays, two tensors (f32 [2, 4] and
// q8_0 [1, 32]) whose data ends exactly at the end of the file.
std::vector<uint8_t> make_valid_file(uint32_t alignment = 32) {
  Writer w;
  w.header(3, 2, 17);
  w.key("general.architecture", GgufType::STRING);
  w.str("llama");
  w.key("general.alignment", GgufType::U32);
  w.u32(alignment);
  w.key("t.u8", GgufType::U8);
  w.u8(200);
  w.key("t.i8", GgufType::I8);
  w.u8(0xFF);  // -1
  w.key("t.u16", GgufType::U16);
  {
    uint16_t v = 60000;
    w.raw(&v, 2);
  }
  w.key("t.i16", GgufType::I16);
  {
    int16_t v = -3000;
    w.raw(&v, 2);
  }
  w.key("t.u32", GgufType::U32);
  w.u32(4000000000u);
  w.key("t.i32", GgufType::I32);
  w.i32(-7);
  w.key("t.f32", GgufType::F32);
  w.f32(0.25f);
  w.key("t.bool", GgufType::BOOL);
  w.u8(1);
  w.key("t.u64", GgufType::U64);
  w.u64(1ull << 40);
  w.key("t.i64", GgufType::I64);
  {
    int64_t v = -(1ll << 40);
    w.raw(&v, 8);
  }
  w.key("t.f64", GgufType::F64);
  w.f64(-1.5);
  w.key("t.strings", GgufType::ARRAY);
  w.u32(static_cast<uint32_t>(GgufType::STRING));
  w.u64(3);
  w.str("a");
  w.str("");
  w.str("▁b");
  w.key("t.floats", GgufType::ARRAY);
  w.u32(static_cast<uint32_t>(GgufType::F32));
  w.u64(2);
  w.f32(1.5f);
  w.f32(-2.0f);
  w.key("t.ints", GgufType::ARRAY);
  w.u32(static_cast<uint32_t>(GgufType::I32));
  w.u64(3);
  w.i32(1);
  w.i32(-2);
  w.i32(3);
  w.key("t.nested", GgufType::ARRAY);  // [[1u8, 2u8], []]
  w.u32(static_cast<uint32_t>(GgufType::ARRAY));
  w.u64(2);
  w.u32(static_cast<uint32_t>(GgufType::U8));
  w.u64(2);
  w.u8(1);
  w.u8(2);
  w.u32(static_cast<uint32_t>(GgufType::U8));
  w.u64(0);
  w.tensor_info("a", {4, 2}, kGgmlF32, 0);
  w.tensor_info("b", {32, 1}, kGgmlQ8_0, alignment);  // 32 f32 bytes padded to the alignment
  w.pad_to(alignment);
  for (int i = 0; i < 8; ++i) w.f32(static_cast<float>(i));
  w.pad_to(alignment);
  for (int i = 0; i < 34; ++i) w.u8(static_cast<uint8_t>(i));  // one q8_0 block
  return w.bytes;
}

GgufFile parse(const std::vector<uint8_t>& bytes) {
  return GgufFile::from_memory("synthetic.gguf", bytes.data(), bytes.size());
}

// Expects parsing to throw parley::Error whose message contains `fragment`.
void expect_rejected(const std::vector<uint8_t>& bytes, const std::string& fragment) {
  try {
    parse(bytes);
    ADD_FAILURE() << "accepted a bad file; expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("synthetic.gguf"), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

TEST(Gguf, ParsesEveryValueTypeOfSyntheticFile) {
  const std::vector<uint8_t> bytes = make_valid_file();
  const GgufFile f = parse(bytes);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment_bytes(), 32u);
  EXPECT_EQ(f.metadata().size(), 17u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_u32("t.u8"), 200u);
  EXPECT_EQ(f.get_i64("t.i8"), -1);
  EXPECT_EQ(f.get_u32("t.u16"), 60000u);
  EXPECT_EQ(f.get_i64("t.i16"), -3000);
  EXPECT_EQ(f.get_u32("t.u32"), 4000000000u);
  EXPECT_EQ(f.get_i64("t.i32"), -7);
  EXPECT_FLOAT_EQ(f.get_f32("t.f32"), 0.25f);
  EXPECT_TRUE(f.get_bool("t.bool"));
  EXPECT_EQ(f.get_i64("t.u64"), 1ll << 40);
  EXPECT_EQ(f.get_i64("t.i64"), -(1ll << 40));
  EXPECT_FLOAT_EQ(f.get_f32("t.f64"), -1.5f);
  const std::vector<std::string_view>& strings = f.get_array_strings("t.strings");
  ASSERT_EQ(strings.size(), 3u);
  EXPECT_EQ(strings[0], "a");
  EXPECT_EQ(strings[1], "");
  EXPECT_EQ(strings[2], "▁b");
  EXPECT_EQ(f.get_array_f32("t.floats"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(f.get_array_i32("t.ints"), (std::vector<int32_t>{1, -2, 3}));
  const GgufValue* nested = f.find("t.nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->items.size(), 2u);
  EXPECT_EQ(nested->items[0].count, 2u);
  EXPECT_EQ(nested->items[0].number_at(1), 2.0);
  EXPECT_EQ(nested->items[1].count, 0u);
  EXPECT_EQ(nested->to_display_string(), "[array x 2]");

  // Absent keys, wrong types and values that do not fit are reported with the key name.
  EXPECT_FALSE(f.find_u32("no.such.key").has_value());
  EXPECT_THROW(f.get_u32("no.such.key"), Error);
  EXPECT_THROW(f.get_u32("t.i8"), Error);      // negative
  EXPECT_THROW(f.get_string("t.u32"), Error);  // wrong type
  EXPECT_THROW(f.get_array_f32("t.strings"), Error);
  try {
    f.get_f32("t.bool");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.bool"), std::string::npos) << e.what();
  }

  ASSERT_EQ(f.tensors().size(), 2u);
  const kernels::Tensor a = f.tensor("a");
  EXPECT_EQ(a.dtype(), DType::F32);
  ASSERT_EQ(a.ndim(), 2);
  EXPECT_EQ(a.dim(0), 2);  // outermost first: GGUF ne {4, 2} -> [2, 4]
  EXPECT_EQ(a.dim(1), 4);
  EXPECT_EQ(a.data_as<const float>()[5], 5.0f);
  // Zero copy: the view points into the caller's bytes.
  EXPECT_EQ(static_cast<const uint8_t*>(a.data()), bytes.data() + f.data_offset_bytes());
  const kernels::Tensor b = f.tensor("b");
  EXPECT_EQ(b.dtype(), DType::Q8_0);
  EXPECT_EQ(b.dim(0), 1);
  EXPECT_EQ(b.dim(1), 32);
  EXPECT_EQ(f.find_tensor("b")->size_bytes, 34u);
  EXPECT_EQ(static_cast<const uint8_t*>(b.data())[3], 3);
  EXPECT_EQ(f.find_tensor("missing"), nullptr);
  EXPECT_THROW(f.tensor("missing"), Error);
}

TEST(Gguf, HonoursLargerAlignment) {
  const std::vector<uint8_t> bytes = make_valid_file(64);
  const GgufFile f = parse(bytes);
  EXPECT_EQ(f.alignment_bytes(), 64u);
  EXPECT_EQ(f.data_offset_bytes() % 64, 0u);
  EXPECT_EQ(f.tensor("b").data_as<const uint8_t>()[33], 33);
}

TEST(Gguf, EveryTruncationIsRejected) {
  const std::vector<uint8_t> full = make_valid_file();
  for (size_t size = 0; size < full.size(); ++size) {
    // An exact-size heap copy so that a read past the end is caught by ASan.
    const std::vector<uint8_t> prefix(full.begin(), full.begin() + size);
    EXPECT_THROW(parse(prefix), Error) << "prefix of " << size << " bytes was accepted";
  }
  EXPECT_NO_THROW(parse(full));
}

TEST(Gguf, RejectsBadHeaders) {
  std::vector<uint8_t> bytes = make_valid_file();
  bytes[0] = 'X';
  expect_rejected(bytes, "not a GGUF file");

  for (uint32_t version : {1u, 4u, 0x03000000u}) {
    bytes = make_valid_file();
    std::memcpy(&bytes[4], &version, 4);
    expect_rejected(bytes, "version");
  }

  Writer w;
  w.header(3, 0, 1ull << 60);  // metadata count far beyond the file
  expect_rejected(w.bytes, "metadata count");
  Writer t;
  t.header(3, ~0ull, 0);
  expect_rejected(t.bytes, "tensor count");
}

TEST(Gguf, RejectsHugeStringLength) {
  Writer w;
  w.header(3, 0, 1);
  w.u64(~0ull - 3);  // key length
  w.bytes.resize(w.bytes.size() + 64);
  expect_rejected(w.bytes, "key length");

  Writer v;
  v.header(3, 0, 1);
  v.key("k", GgufType::STRING);
  v.u64(1ull << 62);
  v.bytes.resize(v.bytes.size() + 64);
  expect_rejected(v.bytes, "exceeds");
}

TEST(Gguf, RejectsHugeArrayCounts) {
  for (GgufType element : {GgufType::U8, GgufType::U64, GgufType::STRING, GgufType::ARRAY}) {
    Writer w;
    w.header(3, 0, 1);
    w.key("k", GgufType::ARRAY);
    w.u32(static_cast<uint32_t>(element));
    w.u64(1ull << 61);
    for (int i = 0; i < 64; ++i) w.u8(0);
    expect_rejected(w.bytes, "array of");
  }
  Writer deep;  // arrays nested deeper than the limit
  deep.header(3, 0, 1);
  deep.key("k", GgufType::ARRAY);
  for (int i = 0; i < 20; ++i) {
    deep.u32(static_cast<uint32_t>(GgufType::ARRAY));
    deep.u64(1);
  }
  deep.u32(static_cast<uint32_t>(GgufType::U8));
  deep.u64(0);
  expect_rejected(deep.bytes, "nests arrays");
}

TEST(Gguf, RejectsBadTypesAndValues) {
  Writer w;
  w.header(3, 0, 1);
  w.key("k", static_cast<GgufType>(13));
  w.u64(0);
  expect_rejected(w.bytes, "unknown value type 13");

  Writer b;
  b.header(3, 0, 1);
  b.key("k", GgufType::BOOL);
  b.u8(7);
  expect_rejected(b.bytes, "invalid value");

  Writer d;
  d.header(3, 0, 2);
  d.key("k", GgufType::U8);
  d.u8(1);
  d.key("k", GgufType::U8);
  d.u8(2);
  expect_rejected(d.bytes, "duplicate metadata key");
}

// A file with one tensor "t" described by the arguments, data padded to 32 and `data_bytes`
// bytes of data after it.
std::vector<uint8_t> one_tensor_file(std::vector<uint64_t> ne, uint32_t ggml_type, uint64_t offset,
                                     size_t data_bytes, uint32_t alignment = 32) {
  Writer w;
  w.header(3, 1, 1);
  w.key("general.alignment", GgufType::U32);
  w.u32(alignment);
  w.tensor_info("t", ne, ggml_type, offset);
  if (alignment != 0 && (alignment & (alignment - 1)) == 0) w.pad_to(alignment);
  w.bytes.resize(w.bytes.size() + data_bytes);
  return w.bytes;
}

TEST(Gguf, RejectsBadTensorInfos) {
  EXPECT_NO_THROW(parse(one_tensor_file({8}, kGgmlF32, 0, 32)));
  expect_rejected(one_tensor_file({8}, kGgmlF32, 0, 32, 0), "general.alignment");
  expect_rejected(one_tensor_file({8}, kGgmlF32, 0, 32, 48), "general.alignment");
  expect_rejected(one_tensor_file({8}, kGgmlF32, 16, 64), "not a multiple of the alignment");
  expect_rejected(one_tensor_file({8}, 1000, 0, 32), "unsupported ggml type 1000");
  expect_rejected(one_tensor_file({8}, kGgmlF32, 0, 31), "extends past end of file");
  expect_rejected(one_tensor_file({8}, kGgmlF32, 1ull << 40, 32), "extends past end of file");
  expect_rejected(one_tensor_file({8}, kGgmlF32, ~0ull << 5, 32), "extends past end of file");
  expect_rejected(one_tensor_file({0}, kGgmlF32, 0, 32), "must be positive");
  expect_rejected(one_tensor_file({1ull << 63}, kGgmlF32, 0, 32), "must be positive");
  expect_rejected(one_tensor_file({1ull << 32, 1ull << 32}, kGgmlF32, 0, 32), "overflow");
  expect_rejected(one_tensor_file({1ull << 31, 1ull << 31, 4}, kGgmlF32, 0, 32), "overflow");
  // One huge row: the element count fits in int64, its byte size (4 bytes each) does not
  // (found by fuzz_gguf; tests/fuzz/regressions/gguf).
  expect_rejected(one_tensor_file({(1ull << 61) + 64}, kGgmlF32, 0, 32), "byte size overflows");
  expect_rejected(one_tensor_file({8, 1, 1, 1, 1}, kGgmlF32, 0, 32), "dimensions");
  expect_rejected(one_tensor_file({33}, kGgmlQ8_0, 0, 64), "block size");
  expect_rejected(one_tensor_file({1ull << 61}, kGgmlQ8_0, 0, 64), "extends past end of file");

  Writer dup;  // two tensors with one name
  dup.header(3, 2, 0);
  dup.tensor_info("t", {8}, kGgmlF32, 0);
  dup.tensor_info("t", {8}, kGgmlF32, 32);
  dup.pad_to(32);
  dup.bytes.resize(dup.bytes.size() + 64);
  expect_rejected(dup.bytes, "duplicate tensor name");

  Writer overlap;  // two tensors sharing bytes
  overlap.header(3, 2, 0);
  overlap.tensor_info("x", {16}, kGgmlF32, 0);
  overlap.tensor_info("y", {8}, kGgmlF32, 32);
  overlap.pad_to(32);
  overlap.bytes.resize(overlap.bytes.size() + 64);
  expect_rejected(overlap.bytes, "overlaps");
}

TEST(Gguf, ReadsStories260K) {
  struct Case {
    const char* file;
    DType token_embd;
    DType ffn_down;
  };
  const Case cases[] = {{"stories260K-f32.gguf", DType::F32, DType::F32},
                        {"stories260K-F16.gguf", DType::F16, DType::F16},
                        {"stories260K-Q4_K_M.gguf", DType::Q5_0, DType::F16}};
  for (const Case& c : cases) {
    const fs::path path = kLlmData / c.file;
    if (!fs::exists(path)) GTEST_SKIP() << "test data not found: " << path;
    SCOPED_TRACE(c.file);
    const GgufFile f(path.string());
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.get_string("general.architecture"), "llama");
    EXPECT_EQ(f.get_u32("llama.block_count"), 5u);
    EXPECT_EQ(f.get_u32("llama.embedding_length"), 64u);
    EXPECT_EQ(f.get_u32("llama.attention.head_count"), 8u);
    EXPECT_EQ(f.get_u32("llama.attention.head_count_kv"), 4u);
    EXPECT_EQ(f.get_u32("llama.context_length"), 128u);
    EXPECT_NEAR(f.get_f32("llama.attention.layer_norm_rms_epsilon"), 1e-5f, 1e-9f);
    EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "llama");
    EXPECT_EQ(f.get_array_strings("tokenizer.ggml.tokens").size(), 512u);
    EXPECT_EQ(f.get_array_strings("tokenizer.ggml.tokens")[1], "<s>");
    EXPECT_EQ(f.get_array_f32("tokenizer.ggml.scores").size(), 512u);
    EXPECT_EQ(f.get_array_i32("tokenizer.ggml.token_type")[3], 6);  // <0x00> is a byte token
    EXPECT_EQ(f.get_u32("tokenizer.ggml.bos_token_id"), 1u);
    EXPECT_EQ(f.tensors().size(), 48u);  // 3 + 5 layers x 9

    const kernels::Tensor embd = f.tensor("token_embd.weight");
    EXPECT_EQ(embd.dtype(), c.token_embd);
    ASSERT_EQ(embd.ndim(), 2);
    EXPECT_EQ(embd.dim(0), 512);
    EXPECT_EQ(embd.dim(1), 64);
    const kernels::Tensor down = f.tensor("blk.3.ffn_down.weight");
    EXPECT_EQ(down.dtype(), c.ffn_down);
    EXPECT_EQ(down.dim(0), 64);
    EXPECT_EQ(down.dim(1), 172);
    const kernels::Tensor k = f.tensor("blk.0.attn_k.weight");
    EXPECT_EQ(k.dim(0), 32);
    EXPECT_EQ(k.dim(1), 64);
    const kernels::Tensor norm = f.tensor("output_norm.weight");
    EXPECT_EQ(norm.dtype(), DType::F32);
    ASSERT_EQ(norm.ndim(), 1);
    EXPECT_EQ(norm.dim(0), 64);
    for (const GgufTensorInfo& t : f.tensors()) {
      const uint8_t* p = static_cast<const uint8_t*>(t.view.data());
      EXPECT_GE(p, f.data() + f.data_offset_bytes());
      EXPECT_LE(p + t.size_bytes, f.data() + f.file_size_bytes());
      EXPECT_EQ((p - f.data()) % f.alignment_bytes(), 0);
    }
  }
  // Spot-check values against the f32 file: RMS-norm weights are finite and not all zero.
  const fs::path f32_path = kLlmData / "stories260K-f32.gguf";
  const GgufFile f(f32_path.string());
  const float* w = f.tensor("output_norm.weight").data_as<const float>();
  float sum = 0;
  for (int i = 0; i < 64; ++i) sum += std::abs(w[i]);
  EXPECT_GT(sum, 1.0f);
  EXPECT_TRUE(std::isfinite(sum));
}

TEST(Gguf, RejectsRealTruncatedFiles) {
  for (const char* name : {"truncated-Q4_0.gguf", "truncated-Q8_0.gguf"}) {
    const fs::path path = kLlmData / "malformed" / name;
    if (!fs::exists(path)) GTEST_SKIP() << "test data not found: " << path;
    try {
      GgufFile f(path.string());
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(name), std::string::npos) << message;
      EXPECT_NE(message.find("not a GGUF file"), std::string::npos) << message;
    }
  }
}

TEST(Gguf, MissingFileIsAClearError) {
  try {
    GgufFile f("/nonexistent/model.gguf");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos);
  }
}

}  // namespace
}  // namespace parley::llm

// parley quantize: llama.cpp's per-tensor type policy, metadata copying, and greedy decoding of a
// Q8_0 file equal to the F16 file's on the (briefly trained) llama fixture.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "kernels/error.h"
#include "kernels/thread_pool.h"
#include "llm/convert.h"
#include "llm/gguf.h"
#include "llm/model.h"
#include "llm/quantize_model.h"
#include "llm/session.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;
using kernels::DType;

DType pick(QuantMix mix, const std::string& name, int64_t row, int32_t n_layer = 32,
           bool tied = false, int ndim = 2) {
  return choose_quant_type(mix, {.name = name,
                                 .ndim = ndim,
                                 .row_length = row,
                                 .n_layer = n_layer,
                                 .tied_embeddings = tied,
                                 .current = DType::F16});
}

TEST(QuantizePolicy, KMediumMixesGiveMoreBitsWhereLlamaCppDoes) {
  // 32 layers: more bits for layers 0..3, 28..31 and 4 + 3k + 2 (6, 9, ...).
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.0.attn_v.weight", 4096), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.4.attn_v.weight", 4096), DType::Q4_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.6.attn_v.weight", 4096), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.7.ffn_down.weight", 11008), DType::Q4_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.9.ffn_down.weight", 11008), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.31.ffn_down.weight", 11008), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.9.attn_q.weight", 4096), DType::Q4_K);
  EXPECT_EQ(pick(QuantMix::kQ5_K_M, "blk.0.attn_v.weight", 4096), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ5_K_M, "blk.5.ffn_up.weight", 4096), DType::Q5_K);
  int more = 0;
  for (int l = 0; l < 32; ++l)
    more +=
        pick(QuantMix::kQ4_K_M, "blk." + std::to_string(l) + ".attn_v.weight", 4096) == DType::Q6_K;
  EXPECT_EQ(more, 16);
}

TEST(QuantizePolicy, OutputAndTiedEmbeddingGetQ6K) {
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "output.weight", 4096), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ4_0, "output.weight", 4096), DType::Q6_K);
  EXPECT_EQ(pick(QuantMix::kQ8_0, "output.weight", 4096), DType::Q8_0);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "token_embd.weight", 4096), DType::Q4_K);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "token_embd.weight", 4096, 32, /*tied=*/true), DType::Q6_K);
  // A row that does not divide into the base type's blocks: Q8_0 (as llama.cpp).
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "output.weight", 896), DType::Q8_0);
}

TEST(QuantizePolicy, NormsAndVectorsStayAndOddRowsFallBack) {
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.0.attn_norm.weight", 4096, 32, false, 1), DType::F16);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.0.ffn_norm.weight", 4096), DType::F16);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.0.attn_q.bias", 4096, 32, false, 1), DType::F16);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.1.attn_q.weight", 896), DType::Q5_0);  // 896 % 256
  EXPECT_EQ(pick(QuantMix::kQ5_K_M, "blk.1.attn_q.weight", 896), DType::Q5_1);
  EXPECT_EQ(pick(QuantMix::kQ6_K, "blk.1.attn_q.weight", 896), DType::Q8_0);
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.0.attn_v.weight", 896), DType::Q8_0);  // Q6_K -> Q8_0
  EXPECT_EQ(pick(QuantMix::kQ4_0, "blk.1.attn_q.weight", 48), DType::F16);      // 48 % 32
  EXPECT_EQ(pick(QuantMix::kQ4_K_M, "blk.1.attn_q.weight", 48), DType::F16);
}

TEST(QuantizePolicy, MixNames) {
  EXPECT_EQ(quant_mix_from_name("q4_k_m"), QuantMix::kQ4_K_M);
  EXPECT_EQ(quant_mix_from_name("Q8_0"), QuantMix::kQ8_0);
  EXPECT_FALSE(quant_mix_from_name("q3_k_xl").has_value());
  EXPECT_EQ(quant_mix_info(QuantMix::kQ4_K_M).file_type, 15u);
  EXPECT_EQ(quant_mix_names().size(), 5u);
}

std::string fixture_gguf(DType type) {
  const std::string out = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_quantize_llama_" +
                          std::string(kernels::dtype_name(type)) + ".gguf";
  static std::set<std::string> done;  // convert once per run (never reuse an older run's file)
  if (done.insert(out).second) {
    ConvertOptions options;
    options.type = type;
    convert_hf_to_gguf(std::string(PARLEY_SOURCE_DIR) + "/tests/llm/fixtures/hf_llama", out,
                       options);
  }
  return out;
}

std::string quantized(QuantMix mix) {
  const std::string out = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_quantize_llama_" +
                          std::string(quant_mix_info(mix).name) + ".gguf";
  quantize_gguf(fixture_gguf(DType::F16), out, mix);
  return out;
}

std::vector<int32_t> greedy(const std::string& path, int n_tokens) {
  auto model = Model::load(path);
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 128});
  std::vector<int32_t> prompt =
      model->tokenizer().encode("Once upon a time there", {.add_special = true});
  std::span<const float> logits = session.decode(prompt);
  std::vector<int32_t> out;
  for (int i = 0; i < n_tokens; ++i) {
    const int32_t next =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(next);
    logits = session.decode({&next, 1});
  }
  return out;
}

TEST(Quantize, Q8_0GreedyTokensEqualF16) {
  const std::vector<int32_t> f16 = greedy(fixture_gguf(DType::F16), 32);
  const std::vector<int32_t> q8 = greedy(quantized(QuantMix::kQ8_0), 32);
  EXPECT_EQ(q8, f16);
  // Meaningful only if the model does not just repeat one token.
  EXPECT_GT(std::set<int32_t>(f16.begin(), f16.end()).size(), 5u);
}

TEST(Quantize, CopiesMetadataAndSetsFileType) {
  GgufFile in(fixture_gguf(DType::F16));
  GgufFile out(quantized(QuantMix::kQ8_0));
  EXPECT_EQ(out.get_u32("general.file_type"), 7u);
  for (const GgufKeyValue& kv : in.metadata()) {
    if (kv.key == "general.file_type") continue;
    const GgufValue* copy = out.find(kv.key);
    ASSERT_NE(copy, nullptr) << kv.key;
    EXPECT_EQ(copy->to_display_string(), kv.value.to_display_string()) << kv.key;
  }
  EXPECT_EQ(out.get_array_strings("tokenizer.ggml.tokens"),
            in.get_array_strings("tokenizer.ggml.tokens"));
  EXPECT_EQ(out.get_array_f32("tokenizer.ggml.scores"), in.get_array_f32("tokenizer.ggml.scores"));
  EXPECT_EQ(out.find_tensor("blk.0.attn_q.weight")->dtype, DType::Q8_0);
  EXPECT_EQ(out.find_tensor("blk.0.attn_norm.weight")->dtype, DType::F32);
  // Row length 64: output.weight cannot be Q6_K (256-blocks), so Q8_0 as llama.cpp does.
  EXPECT_EQ(out.find_tensor("output.weight")->dtype, DType::Q8_0);
}

TEST(Quantize, EveryMixLoadsAndRuns) {
  for (QuantMix mix : {QuantMix::kQ4_0, QuantMix::kQ6_K, QuantMix::kQ4_K_M, QuantMix::kQ5_K_M}) {
    const std::string path = quantized(mix);
    GgufFile gguf(path);
    EXPECT_EQ(gguf.get_u32("general.file_type"), quant_mix_info(mix).file_type);
    EXPECT_EQ(greedy(path, 4).size(), 4u);
  }
  // Row lengths 64 and 128 do not divide into 256-blocks: llama.cpp's fallbacks.
  GgufFile q4km(quantized(QuantMix::kQ4_K_M));
  EXPECT_EQ(q4km.find_tensor("blk.1.attn_q.weight")->dtype, DType::Q5_0);
  EXPECT_EQ(q4km.find_tensor("blk.0.attn_v.weight")->dtype, DType::Q5_0);  // Q4_K -> Q5_0
  EXPECT_EQ(q4km.find_tensor("blk.1.attn_v.weight")->dtype,
            DType::Q8_0);  // last eighth: Q6_K -> Q8_0
}

TEST(Quantize, BadInputsAreRejected) {
  const std::string out = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_quantize_never.gguf";
  fs::remove(out);
  const std::string not_gguf =
      std::string(PARLEY_SOURCE_DIR) + "/tests/llm/fixtures/hf_llama/config.json";
  EXPECT_THROW(quantize_gguf(not_gguf, out, QuantMix::kQ8_0), Error);
  try {
    quantize_gguf(quantized(QuantMix::kQ8_0), out, QuantMix::kQ4_0);
    FAIL() << "re-quantizing without permission";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("allow-requantize"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  QuantizeOptions options;
  options.allow_requantize = true;
  quantize_gguf(quantized(QuantMix::kQ8_0), out, QuantMix::kQ4_0, options);
  EXPECT_EQ(GgufFile(out).get_u32("general.file_type"), 2u);
}

}  // namespace
}  // namespace parley::llm

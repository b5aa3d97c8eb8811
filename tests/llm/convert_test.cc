// parley convert: the tiny Hugging Face fixtures (tests/llm/make_hf_fixtures.py) → GGUF, run by
// our runtime, must reproduce the PyTorch reference logits and the reference tokenizers' ids.
#include "llm/convert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include <unistd.h>
#include <sstream>

#include "kernels/error.h"
#include "kernels/thread_pool.h"
#include "llm/gguf.h"
#include "llm/model.h"
#include "llm/session.h"
#include "llm/tokenizer.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string fixture(const std::string& name) {
  return std::string(PARLEY_SOURCE_DIR) + "/tests/llm/fixtures/" + name;
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return Json::parse(s.str());
}

std::vector<float> read_f32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(0, std::ios::end);
  const auto bytes = static_cast<size_t>(in.tellg());
  in.seekg(0);
  std::vector<float> v(bytes / 4);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes));
  return v;
}

// Converts once per (fixture, type) and test run.
std::string converted(const std::string& name, kernels::DType type) {
  const std::string out = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_convert_" + name + "_" +
                          std::string(kernels::dtype_name(type)) + ".gguf";
  static std::set<std::string> done;  // convert once per run (never reuse an older run's file)
  if (done.insert(out).second) {
    ConvertOptions options;
    options.type = type;
    convert_hf_to_gguf(fixture(name), out, options);
  }
  return out;
}

float max_logit_error(const std::string& name, kernels::DType type) {
  const Json ref = read_json(fixture(name) + "/parley_reference.json");
  const std::vector<float> expected = read_f32(fixture(name) + "/parley_reference_logits.f32");
  const std::vector<int32_t> prompt = ref["prompt_ids"].get<std::vector<int32_t>>();
  auto model = Model::load(converted(name, type));
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 128, .kv_type = kernels::DType::F32});
  std::vector<float> logits;
  session.decode_all_logits(prompt, logits);
  EXPECT_EQ(logits.size(), expected.size());
  float worst = 0.0f;
  for (size_t i = 0; i < std::min(logits.size(), expected.size()); ++i)
    worst = std::max(worst, std::fabs(logits[i] - expected[i]));
  return worst;
}

TEST(Convert, LlamaF32LogitsEqualPyTorch) {
  const float err = max_logit_error("hf_llama", kernels::DType::F32);
  EXPECT_LT(err, 1e-3f);
  std::printf("hf_llama f32: max |logit - pytorch| = %.3g\n", err);
}

TEST(Convert, Qwen2F32LogitsEqualPyTorch) {
  const float err = max_logit_error("hf_qwen2", kernels::DType::F32);
  EXPECT_LT(err, 1e-3f);
  std::printf("hf_qwen2 f32: max |logit - pytorch| = %.3g\n", err);
}

TEST(Convert, F16AndBf16StayCloseToPyTorch) {
  EXPECT_LT(max_logit_error("hf_llama", kernels::DType::F16), 0.05f);
  // The qwen2 checkpoint is bf16, so a bf16 GGUF holds exactly the same weights.
  EXPECT_LT(max_logit_error("hf_qwen2", kernels::DType::BF16), 1e-3f);
}

void expect_tokenization(const std::string& name) {
  const Json ref = read_json(fixture(name) + "/parley_reference.json");
  GgufFile gguf(converted(name, kernels::DType::F16));
  Tokenizer tok(gguf);
  ASSERT_GE(ref["tokenization"].size(), 6u);
  for (const Json& c : ref["tokenization"]) {
    const std::string text = c["text"].get<std::string>();
    // Where llama.cpp's special-token spacing differs from the reference tokenizer's, the
    // runtime follows llama.cpp (see make_hf_fixtures.py).
    const auto ids = c.value("llama_cpp_ids", c["ids"]).get<std::vector<TokenId>>();
    const bool special = c.value("parse_special", false);
    EXPECT_EQ(tok.encode(text, {.add_special = false, .parse_special = special}), ids)
        << name << ": " << text;
    EXPECT_EQ(tok.decode(ids, {.render_special = special}), text) << name;
  }
  // The prompt the logits were computed on, with BOS where the vocabulary asks for it.
  EXPECT_EQ(tok.encode(ref["prompt"].get<std::string>(), {.add_special = true}),
            ref["prompt_ids"].get<std::vector<TokenId>>());
}

TEST(Convert, SentencePieceTokenizerMatchesSentencePiece) {
  expect_tokenization("hf_llama");
}
TEST(Convert, ByteLevelBpeTokenizerMatchesReferenceBpe) {
  expect_tokenization("hf_qwen2");
}

TEST(Convert, WritesLlamaCppMetadata) {
  GgufFile llama(converted("hf_llama", kernels::DType::F16));
  EXPECT_EQ(llama.get_string("general.architecture"), "llama");
  EXPECT_EQ(llama.get_u32("general.file_type"), 1u);
  EXPECT_EQ(llama.get_u32("llama.block_count"), 2u);
  EXPECT_EQ(llama.get_u32("llama.attention.head_count_kv"), 2u);
  EXPECT_EQ(llama.get_u32("llama.rope.dimension_count"), 16u);
  EXPECT_EQ(llama.get_u32("llama.context_length"), 256u);
  EXPECT_EQ(llama.get_string("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(llama.get_u32("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(llama.get_u32("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_TRUE(llama.get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_NE(llama.get_string("tokenizer.chat_template").find("<|im_start|>"),
            std::string_view::npos);
  EXPECT_NE(llama.find_tensor("output.weight"), nullptr);
  EXPECT_EQ(llama.find_tensor("output_norm.weight")->dtype, kernels::DType::F32);
  EXPECT_EQ(llama.find_tensor("blk.0.attn_q.weight")->dtype, kernels::DType::F16);

  GgufFile qwen(converted("hf_qwen2", kernels::DType::F16));
  EXPECT_EQ(qwen.get_string("general.architecture"), "qwen2");
  EXPECT_EQ(qwen.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(qwen.get_string("tokenizer.ggml.pre"), "qwen2");
  EXPECT_EQ(qwen.find_tensor("output.weight"), nullptr);  // tied embeddings
  EXPECT_EQ(qwen.find_tensor("blk.1.attn_k.bias")->dtype, kernels::DType::F32);
  const Json config = read_json(fixture("hf_qwen2") + "/config.json");
  const auto& tokens = qwen.get_array_strings("tokenizer.ggml.tokens");
  EXPECT_EQ(static_cast<int64_t>(tokens.size()), config["vocab_size"].get<int64_t>());  // padded
  EXPECT_EQ(tokens.back().substr(0, 4), "[PAD");
  EXPECT_EQ(qwen.get_u32("tokenizer.ggml.eos_token_id"), config["eos_token_id"].get<uint32_t>());
  EXPECT_EQ(qwen.get_u32("tokenizer.ggml.padding_token_id"),
            config["bos_token_id"].get<uint32_t>());
  EXPECT_GT(qwen.get_array_strings("tokenizer.ggml.merges").size(), 100u);
}

TEST(Convert, ChatTemplateFromListOrJinjaFile) {
  const fs::path dir = fs::path(::testing::TempDir()) / "parley_hf_templates";
  fs::remove_all(dir);
  fs::copy(fixture("hf_llama"), dir, fs::copy_options::recursive);
  const std::string tc_path = (dir / "tokenizer_config.json").string();
  Json tc = read_json(tc_path);
  tc["chat_template"] = Json::array({{{"name", "tool_use"}, {"template", "TOOLS"}},
                                     {{"name", "default"}, {"template", "DEFAULT"}}});
  std::ofstream(tc_path) << tc.dump();
  const std::string out = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_templates.gguf";
  convert_hf_to_gguf(dir.string(), out);
  EXPECT_EQ(GgufFile(out).get_string("tokenizer.chat_template"), "DEFAULT");
  tc.erase("chat_template");
  std::ofstream(tc_path) << tc.dump();
  std::ofstream((dir / "chat_template.jinja").string()) << "JINJA";
  convert_hf_to_gguf(dir.string(), out);
  EXPECT_EQ(GgufFile(out).get_string("tokenizer.chat_template"), "JINJA");
}

TEST(Convert, RopePermutationInterleavesEachHead) {
  // 2 heads x head_dim 4, one column: rows (h, half j, i) -> (h, 2i + j).
  const float src[8] = {0, 1, 2, 3, 10, 11, 12, 13};
  float dst[8];
  permute_rope_rows(src, dst, 2, 8, 1);
  const float expected[8] = {0, 2, 1, 3, 10, 12, 11, 13};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(dst[i], expected[i]) << i;
}

// A copy of a fixture folder whose config.json the test edits.
std::string edited_copy(const std::string& name, const std::string& tag,
                        const std::function<void(Json&)>& edit) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("parley_hf_" + tag);
  fs::remove_all(dir);
  fs::copy(fixture(name), dir, fs::copy_options::recursive);
  Json config = read_json((dir / "config.json").string());
  edit(config);
  std::ofstream((dir / "config.json").string()) << config.dump();
  return dir.string();
}

void expect_error(const std::string& dir, const std::vector<std::string>& parts) {
  const std::string out = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_never.gguf";
  try {
    convert_hf_to_gguf(dir, out);
    FAIL() << "no error for " << dir;
  } catch (const Error& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST(Convert, BadInputsGiveErrorsNamingFileAndField) {
  expect_error(edited_copy("hf_llama", "nofield", [](Json& c) { c.erase("num_attention_heads"); }),
               {"config.json", "num_attention_heads", "missing"});
  expect_error(
      edited_copy("hf_llama", "badarch", [](Json& c) { c["architectures"] = {"GPT2LMHeadModel"}; }),
      {"config.json", "GPT2LMHeadModel", "not supported"});
  expect_error(edited_copy("hf_llama", "badtype", [](Json& c) { c["hidden_size"] = "wide"; }),
               {"config.json", "hidden_size"});
  expect_error(edited_copy("hf_llama", "badshape", [](Json& c) { c["intermediate_size"] = 96; }),
               {"mlp.", "has shape", "expected"});
  expect_error(edited_copy("hf_llama", "badrope",
                           [](Json& c) {
                             c["rope_scaling"] = {{"type", "yarn"}, {"factor", 4}};
                           }),
               {"rope_scaling", "yarn"});
  expect_error(::testing::TempDir() + std::to_string(::getpid()) + "_parley_no_such_dir", {"config.json"});
  // Tokenizers: a Unigram tokenizer.json, an unknown pre-tokenizer, a truncated tokenizer.model.
  auto edit_tokenizer = [&](const std::string& tag, const std::function<void(Json&)>& edit) {
    const std::string dir = edited_copy("hf_qwen2", tag, [](Json&) {});
    const std::string path = dir + "/tokenizer.json";
    Json t = read_json(path);
    edit(t);
    std::ofstream(path) << t.dump();
    return dir;
  };
  expect_error(edit_tokenizer("unigram", [](Json& t) { t["model"]["type"] = "Unigram"; }),
               {"tokenizer.json", "model.type", "Unigram"});
  expect_error(edit_tokenizer("pretok",
                              [](Json& t) {
                                t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+";
                              }),
               {"tokenizer.json", "pre_tokenizer"});
  expect_error(edit_tokenizer("badid", [](Json& t) { t["added_tokens"][0]["id"] = 99999; }),
               {"tokenizer.json", "added_tokens", "99999"});
  // Fields of the wrong JSON type are named, not thrown as nlohmann's type_error (fuzz finding).
  expect_error(edit_tokenizer("pretokstr", [](Json& t) { t["pre_tokenizer"] = "ByteLevel"; }),
               {"tokenizer.json", "'pre_tokenizer' is not an object"});
  expect_error(edit_tokenizer("pretoknum", [](Json& t) { t["pre_tokenizer"]["pretokenizers"][0] = 7; }),
               {"tokenizer.json", "pre_tokenizer.pretokenizers"});
  expect_error(edit_tokenizer("typenum", [](Json& t) { t["model"]["type"] = 5; }),
               {"tokenizer.json", "'model.type' is not a string"});
  expect_error(edit_tokenizer("specialstr", [](Json& t) { t["added_tokens"][0]["special"] = "yes"; }),
               {"tokenizer.json", "'added_tokens.special' is not true or false"});
  {
    const std::string dir = edited_copy("hf_llama", "badspm", [](Json&) {});
    fs::resize_file(fs::path(dir) / "tokenizer.model", 1000);
    expect_error(dir, {"tokenizer.model", "SentencePiece"});
  }
  // A missing weight.
  const std::string dir = edited_copy("hf_qwen2", "noshard", [](Json&) {});
  fs::remove(fs::path(dir) / "model-00002-of-00002.safetensors");
  expect_error(dir, {"model.safetensors.index.json", "model-00002-of-00002.safetensors"});
}

}  // namespace
}  // namespace parley::llm

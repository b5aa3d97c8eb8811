// Parley's default chat model (models/llm, made by models/recipes/llm) against the PyTorch model
// it was exported from (models/llm/reference.txt + reference_logits.f32, written by export.py):
// * the shipped GGUF tokenizes the chat prompt to PyTorch's ids and answers the reference
//   request with the same tool call;
// * the Hugging Face folder converted to f32 GGUF reproduces PyTorch's logits within 1e-3 and
//   its greedy reply token for token;
// * the f16 conversion quantized to Q8_0 keeps the first 32 greedy tokens of the f16 file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "kernels/thread_pool.h"
#include "llm/convert.h"
#include "llm/model.h"
#include "llm/quantize_model.h"
#include "llm/session.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;

const fs::path kModels = fs::path(PARLEY_SOURCE_DIR) / "models" / "llm";
const fs::path kShipped = kModels / "parley-chat.gguf";
const fs::path kHfDir = kModels / "hf";

struct Reference {
  std::string prompt_text;
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> greedy_tokens;
  std::string greedy_text;
  size_t first_position = 0;
  size_t positions = 0;
  size_t n_vocab = 0;
  std::vector<float> logits;  // [positions][n_vocab]
};

std::vector<int32_t> ids_after_colon(const std::string& line) {
  std::vector<int32_t> ids;
  std::istringstream in(line.substr(line.find(':') + 1));
  int32_t id;
  while (in >> id) ids.push_back(id);
  return ids;
}

// The JSON string after "key: " (only the escapes json.dumps writes for this ASCII text).
std::string json_string_after_colon(const std::string& line) {
  const size_t open = line.find('"');
  std::string out;
  for (size_t i = open + 1; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      const char c = line[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += line[i];
    }
  }
  return out;
}

Reference read_reference() {
  Reference r;
  std::ifstream in(kModels / "reference.txt");
  std::string line;
  while (std::getline(in, line)) {
    const std::string key = line.substr(0, line.find(':'));
    if (key == "prompt_text") r.prompt_text = json_string_after_colon(line);
    if (key == "prompt_tokens") r.prompt_tokens = ids_after_colon(line);
    if (key == "greedy_tokens") r.greedy_tokens = ids_after_colon(line);
    if (key == "greedy_text") r.greedy_text = json_string_after_colon(line);
    if (key == "logits_first_position") r.first_position = static_cast<size_t>(ids_after_colon(line).at(0));
    if (key == "logits_positions") r.positions = static_cast<size_t>(ids_after_colon(line).at(0));
    if (key == "n_vocab") r.n_vocab = static_cast<size_t>(ids_after_colon(line).at(0));
  }
  r.logits.resize(r.positions * r.n_vocab);
  std::ifstream logits(kModels / "reference_logits.f32", std::ios::binary);
  logits.read(reinterpret_cast<char*>(r.logits.data()), static_cast<std::streamsize>(r.logits.size() * 4));
  if (!logits) r.logits.clear();
  return r;
}

// Greedy tokens after the prompt; stops at an end-of-generation token unless `count_all`.
std::vector<int32_t> greedy(const Model& model, const std::vector<int32_t>& prompt, size_t max_tokens,
                            bool count_all) {
  kernels::ThreadPool pool(1);
  Session session(model, pool, {.context_length = 512, .kv_type = kernels::DType::F32});
  std::span<const float> logits = session.decode(prompt);
  std::vector<int32_t> out;
  while (out.size() < max_tokens) {
    const int32_t next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (!count_all && model.tokenizer().is_end_of_generation(next)) break;
    out.push_back(next);
    logits = session.decode({&next, 1});
  }
  return out;
}

ConvertOptions options_for(kernels::DType type) {
  ConvertOptions options;
  options.type = type;
  return options;
}

class DefaultModel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kModels / "reference.txt") || !fs::exists(kHfDir / "config.json")) {
      GTEST_SKIP() << "default model absent (" << kModels << "/reference.txt, hf/): run models/recipes/llm/recipe.sh";
    }
    ref_ = read_reference();
    ASSERT_FALSE(ref_.prompt_tokens.empty());
    ASSERT_FALSE(ref_.logits.empty()) << "reference_logits.f32 is shorter than reference.txt says";
    tmp_ = fs::temp_directory_path() / ("parley_default_model_" + std::to_string(::getpid()));
    fs::create_directories(tmp_);
  }
  void TearDown() override {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }
  Reference ref_;
  fs::path tmp_;
};

TEST_F(DefaultModel, ShippedFileTokenizesLikePyTorchAndCallsTheTool) {
  if (!fs::exists(kShipped)) GTEST_SKIP() << "default model absent: " << kShipped;
  auto model = Model::load(kShipped.string());
  EXPECT_EQ(model->gguf().get_string("general.architecture"), "llama");
  const std::optional<std::string_view> chat_template = model->gguf().find_string("tokenizer.chat_template");
  ASSERT_TRUE(chat_template.has_value());
  EXPECT_NE(chat_template->find("<|im_start|>"), std::string_view::npos);
  const std::vector<int32_t> ids = model->tokenizer().encode(ref_.prompt_text, {.add_special = true, .parse_special = true});
  EXPECT_EQ(ids, ref_.prompt_tokens);
  const std::vector<int32_t> reply = greedy(*model, ref_.prompt_tokens, 64, false);
  const std::string text = model->tokenizer().decode(reply, {.render_special = true});
  EXPECT_NE(text.find("<tool_call>"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("name": "set_timer")"), std::string::npos) << text;
  EXPECT_NE(ref_.greedy_text.find(R"("name": "set_timer")"), std::string::npos) << ref_.greedy_text;
  EXPECT_EQ(reply, ref_.greedy_tokens) << "shipped reply: " << text << "\nPyTorch reply: " << ref_.greedy_text;
}

TEST_F(DefaultModel, F32ConversionReproducesPyTorchLogits) {
  const fs::path f32 = tmp_ / "parley-chat-f32.gguf";
  convert_hf_to_gguf(kHfDir.string(), f32.string(), options_for(kernels::DType::F32));
  auto model = Model::load(f32.string());
  ASSERT_EQ(static_cast<size_t>(model->hparams().n_vocab), ref_.n_vocab);
  // The converted tokenizer splits the ChatML prompt into the ids the model was trained on.
  EXPECT_EQ(model->tokenizer().encode(ref_.prompt_text, {.add_special = true, .parse_special = true}), ref_.prompt_tokens);
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 512, .kv_type = kernels::DType::F32});
  std::vector<float> all;
  session.decode_all_logits(ref_.prompt_tokens, all);
  ASSERT_EQ(all.size(), ref_.prompt_tokens.size() * ref_.n_vocab);
  float max_diff = 0;
  for (size_t p = 0; p < ref_.positions; ++p) {
    for (size_t v = 0; v < ref_.n_vocab; ++v) {
      const float ours = all[(ref_.first_position + p) * ref_.n_vocab + v];
      max_diff = std::max(max_diff, std::abs(ours - ref_.logits[p * ref_.n_vocab + v]));
    }
  }
  std::printf("[ f32 ] max |logit - PyTorch| over the last %zu prompt positions: %.3g\n", ref_.positions, max_diff);
  EXPECT_LE(max_diff, 1e-3f);
  EXPECT_EQ(greedy(*model, ref_.prompt_tokens, 64, false), ref_.greedy_tokens);
}

TEST_F(DefaultModel, Q8_0KeepsTheF16GreedyTokens) {
  const fs::path f16 = tmp_ / "parley-chat-f16.gguf";
  const fs::path q8 = tmp_ / "parley-chat-q8_0.gguf";
  convert_hf_to_gguf(kHfDir.string(), f16.string(), options_for(kernels::DType::F16));
  quantize_gguf(f16.string(), q8.string(), *quant_mix_from_name("Q8_0"));
  const std::vector<int32_t> a = greedy(*Model::load(f16.string()), ref_.prompt_tokens, 32, true);
  const std::vector<int32_t> b = greedy(*Model::load(q8.string()), ref_.prompt_tokens, 32, true);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace parley::llm

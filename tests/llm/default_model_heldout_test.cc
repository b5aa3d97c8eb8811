// Held-out evaluation of Parley's default chat model through the runtime (llm::Conversation, as
// `parley pipe` drives it): models/llm/heldout.jsonl holds requests phrased with templates and
// values never seen in training (models/recipes/llm/gen_corpus.py). A tool request is correct
// when the reply's first <tool_call> has exactly the expected name and arguments; greetings,
// capability and refusal questions must be answered on topic without a tool call (the same
// rules as models/recipes/llm/scoring.py).
// * The shipped models/llm/parley-chat.gguf scores what models/llm/eval.json records (and the
//   issue's targets, >= 95 % of tool calls, when eval.json says it meets them).
// * Converted from models/llm/hf: Q8_0 and Q4_K_M keep >= 95 % of the f16 tool-call score.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/convert.h"
#include "llm/model.h"
#include "llm/quantize_model.h"
#include "llm/session.h"
#include "llm/tool_call_grammar.h"

namespace parley::llm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource(PARLEY_SOURCE_DIR);
const fs::path kModels = kSource / "models" / "llm";

struct Item {
  std::string user;
  std::string kind;  // tool | greeting | capability | refusal
  json expected;     // {"name", "arguments"} for tool items
};

std::vector<Item> read_items(const fs::path& path) {
  std::vector<Item> items;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const json j = json::parse(line);
    items.push_back({j.at("user").get<std::string>(), j.at("kind").get<std::string>(), j.at("expected")});
  }
  return items;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_word(const std::string& text, const std::string& word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !std::isalpha(static_cast<unsigned char>(text[at - 1]));
    const size_t end = at + word.size();
    const bool right = end >= text.size() || !std::isalpha(static_cast<unsigned char>(text[end]));
    if (left && right) return true;
  }
  return false;
}

bool correct(const Item& item, const std::string& reply) {
  if (item.kind == "tool") {
    const size_t open = reply.find("<tool_call>");
    if (open == std::string::npos) return false;
    const size_t body = open + std::string("<tool_call>").size();
    const size_t close = reply.find("</tool_call>", body);
    const json call = json::parse(reply.substr(body, close == std::string::npos ? std::string::npos : close - body),
                                  nullptr, /*allow_exceptions=*/false);
    if (!call.is_object() || !call.contains("name")) return false;
    const json arguments = call.contains("arguments") ? call["arguments"] : json::object();
    return call["name"] == item.expected.at("name") && arguments == item.expected.at("arguments");
  }
  const std::string low = lower(reply);
  if (low.find("<tool_call>") != std::string::npos || low.find_first_not_of(" \n") == std::string::npos) return false;
  if (item.kind == "greeting") {
    for (const char* w : {"hello", "hi", "hey", "help", "good morning", "good evening", "good afternoon"}) {
      if (has_word(low, w)) return true;
    }
    return false;
  }
  if (item.kind == "capability") {
    int skills = 0;
    for (const char* s : {"time", "date", "timer", "alarm", "volume"}) skills += low.find(s) != std::string::npos;
    return skills >= 2 || low.find("parley") != std::string::npos;
  }
  for (const char* s : {"sorry", "offline", "can't", "cannot", "not connected"}) {
    if (low.find(s) != std::string::npos) return true;
  }
  return false;
}

struct Scores {
  std::map<std::string, std::pair<int, int>> by_kind;  // kind -> (correct, total)
  double accuracy(const std::string& kind) const {
    const auto it = by_kind.find(kind);
    return it == by_kind.end() || it->second.second == 0 ? 0.0 : double(it->second.first) / it->second.second;
  }
};

// The recipe's tools (models/recipes/llm/tools.json, the same schemas as the assistant's
// registry) as grammar specs, for decoding as the assistant does (tools.constrain_calls).
std::vector<ToolCallSpec> recipe_tool_specs() {
  std::ifstream file(kSource / "models" / "recipes" / "llm" / "tools.json");
  return tool_call_specs_from_json(json::parse(file).at("tools"), "models/recipes/llm/tools.json");
}

Scores evaluate(const fs::path& gguf, const std::vector<Item>& items, const std::string& system_prompt,
                bool grammar = false) {
  auto model = Model::load(gguf.string());
  kernels::ThreadPool pool(1);
  Session session(*model, pool, {.context_length = 512, .kv_type = kernels::DType::F32});
  ConversationConfig config;
  config.system_prompt = system_prompt;
  config.max_tokens = 80;
  std::optional<ToolCallConstraint> constraint;
  if (grammar) constraint.emplace(model->tokenizer(), recipe_tool_specs());
  config.constraint = constraint ? &*constraint : nullptr;
  Conversation chat(session, config);
  chat.prime();
  Scores scores;
  int shown = 0;
  for (const Item& item : items) {
    chat.clear_history();
    if (constraint) constraint->set_request(item.user);  // labels quote the request, as in `parley pipe`
    const std::string reply = chat.reply(item.user);
    const bool ok = correct(item, reply);
    auto& [hit, total] = scores.by_kind[item.kind];
    hit += ok;
    ++total;
    if (!ok && shown++ < 3) {
      std::printf("  miss (%s): \"%s\" -> \"%s\"\n", gguf.filename().c_str(), item.user.c_str(), reply.c_str());
    }
  }
  std::printf("{\"model\": \"%s\"%s", gguf.filename().c_str(), grammar ? ", \"grammar\": true" : "");
  for (const auto& [kind, counts] : scores.by_kind) {
    std::printf(", \"%s\": %.4f (%d/%d)", kind.c_str(), scores.accuracy(kind), counts.first, counts.second);
  }
  std::printf("}\n");
  return scores;
}

class DefaultModelHeldOut : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kModels / "heldout.jsonl")) GTEST_SKIP() << "absent: " << kModels / "heldout.jsonl";
    items_ = read_items(kModels / "heldout.jsonl");
    ASSERT_GE(std::count_if(items_.begin(), items_.end(), [](const Item& i) { return i.kind == "tool"; }), 200);
    std::ifstream tools(kSource / "models" / "recipes" / "llm" / "tools.json");
    system_prompt_ = json::parse(tools).at("system_prompt").get<std::string>();
    tmp_ = fs::temp_directory_path() / ("parley_heldout_" + std::to_string(::getpid()));
    fs::create_directories(tmp_);
  }
  void TearDown() override {
    if (tmp_.empty()) return;
    // PARLEY_KEEP_GGUF_DIR=DIR keeps the converted files (for models/recipes/llm/eval_gguf.py).
    if (const char* keep = std::getenv("PARLEY_KEEP_GGUF_DIR"); keep != nullptr && *keep != '\0') {
      fs::create_directories(keep);
      for (const auto& entry : fs::directory_iterator(tmp_)) {
        fs::copy_file(entry.path(), fs::path(keep) / entry.path().filename(), fs::copy_options::overwrite_existing);
      }
    }
    fs::remove_all(tmp_);
  }
  std::vector<Item> items_;
  std::string system_prompt_;
  fs::path tmp_;
};

// The shipped file scores, through the runtime, what the recipe recorded for it in eval.json
// (measured through `parley pipe`), within one item per kind — a kernel or runner change that
// alters the model's answers fails here. Issue 9's targets are checked when eval.json claims them.
TEST_F(DefaultModelHeldOut, ShippedModelScoresWhatTheRecipeRecorded) {
  const fs::path shipped = kModels / "parley-chat.gguf";
  if (!fs::exists(shipped)) GTEST_SKIP() << "default model not shipped yet: " << shipped;
  std::ifstream recorded_file(kModels / "eval.json");
  ASSERT_TRUE(recorded_file.good()) << "the shipped model needs its recorded scores: " << kModels / "eval.json";
  const json recorded = json::parse(recorded_file);
  const Scores s = evaluate(shipped, items_, system_prompt_);
  for (const auto& [kind, counts] : s.by_kind) {
    const std::string key = kind + "_accuracy";
    ASSERT_TRUE(recorded.contains(key)) << "eval.json lacks " << key;
    EXPECT_NEAR(s.accuracy(kind), recorded[key].get<double>(), 1.0 / counts.second + 1e-9) << kind;
  }
  if (recorded.value("meets_target", false)) {
    EXPECT_GE(s.accuracy("tool"), 0.95);
    EXPECT_GE(s.accuracy("greeting"), 0.8);
    EXPECT_GE(s.accuracy("capability"), 0.8);
  } else {
    std::printf("note: the shipped model is below issue 9's target (tool calls %.1f %% of >= 95 %%)\n",
                100 * s.accuracy("tool"));
  }
}

// Decoded as the assistant decodes (tool calls under their grammar): what the recipe recorded
// for the shipped file as grammar_tool_accuracy, through `parley pipe`.
TEST_F(DefaultModelHeldOut, ShippedModelUnderTheToolCallGrammarScoresWhatTheRecipeRecorded) {
  const fs::path shipped = kModels / "parley-chat.gguf";
  if (!fs::exists(shipped)) GTEST_SKIP() << "default model not shipped yet: " << shipped;
  std::ifstream recorded_file(kModels / "eval.json");
  ASSERT_TRUE(recorded_file.good()) << "absent: " << kModels / "eval.json";
  const json recorded = json::parse(recorded_file);
  ASSERT_TRUE(recorded.contains("grammar_tool_accuracy")) << "eval.json lacks grammar_tool_accuracy";
  const Scores s = evaluate(shipped, items_, system_prompt_, /*grammar=*/true);
  const int n = s.by_kind.at("tool").second;
  EXPECT_NEAR(s.accuracy("tool"), recorded["grammar_tool_accuracy"].get<double>(), 1.0 / n + 1e-9);
}

TEST_F(DefaultModelHeldOut, QuantizedFilesKeepTheF16Score) {
  if (!fs::exists(kModels / "hf" / "config.json")) GTEST_SKIP() << "absent: " << kModels / "hf";
  ConvertOptions options;
  options.type = kernels::DType::F16;
  const fs::path f16 = tmp_ / "parley-chat-f16.gguf";
  convert_hf_to_gguf((kModels / "hf").string(), f16.string(), options);
  const double base = evaluate(f16, items_, system_prompt_).accuracy("tool");
  for (const char* type : {"Q8_0", "Q4_K_M"}) {
    const fs::path out = tmp_ / (std::string("parley-chat-") + type + ".gguf");
    quantize_gguf(f16.string(), out.string(), *quant_mix_from_name(type));
    EXPECT_GE(evaluate(out, items_, system_prompt_).accuracy("tool"), 0.95 * base) << type;
  }
}

}  // namespace
}  // namespace parley::llm

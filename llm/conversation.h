// Conversation: a multi-turn chat on one Session — chat template, history, streaming replies,
// stop strings, end-of-generation tokens, and reuse of the cached prompt prefix.
//
//   llm::Conversation chat(session, {.system_prompt = "You are terse.", .max_tokens = 128});
//   std::string answer = chat.reply("What is 2+2?", [](std::string_view piece) {
//     std::cout << piece << std::flush;                 // streamed as tokens arrive
//   });
//
// Each turn renders the whole conversation with the model's template, keeps the longest prefix
// of tokens the session already holds (the system prompt is computed once per session and never
// again, earlier turns likewise) and prefills only the rest. Cancellation: call
// session.request_cancel() from another thread; reply() returns what was produced so far and
// the history keeps exactly that.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"
#include "llm/sampler.h"
#include "llm/session.h"

namespace parley::llm {

// The chat format named by the model's tokenizer.chat_template (ChatFormat::... by detection).
ChatFormat model_chat_format(const Model& model);
// `messages` rendered in `format` and tokenized as the model expects: formats that write BOS
// themselves (Llama 2/3, Gemma) get its text, for the others the tokenizer adds it; special
// tokens in the rendered text are parsed. Used by Conversation, the pipeline's chat engine and
// the server's chat runner.
std::vector<TokenId> tokenize_chat(const Model& model, ChatFormat format,
                                   const std::vector<ChatMessage>& messages,
                                   bool add_generation_prompt = true);

struct ConversationConfig {
  std::string system_prompt;
  int32_t max_tokens = 256;         // per reply
  std::vector<std::string> stop;    // reply ends before any of these strings
  SamplerConfig sampler;
  bool use_template = true;         // false: raw completion, no template, no history
  // Not owned; reset at the start of every reply (e.g. a ToolCallConstraint). nullptr: none.
  TokenConstraint* constraint = nullptr;
};

struct ReplyStats {
  int32_t prompt_tokens = 0;   // tokens of the rendered prompt
  int32_t reused_tokens = 0;   // of those, already in the cache
  int32_t generated_tokens = 0;
  bool cancelled = false;
  bool stopped_by_limit = false;
};

class Conversation {
 public:
  using TextSink = std::function<void(std::string_view)>;

  Conversation(Session& session, ConversationConfig config);

  // Prefills the system prompt now, so the first reply only pays for the user's words.
  void prime();
  std::string reply(const std::string& user_text, const TextSink& on_text = {});
  // Appends `messages` (e.g. the "tool" results of the last reply's calls) to the history and
  // generates the assistant's next reply. Needs the template (throws in raw mode).
  std::string respond(const std::vector<ChatMessage>& messages, const TextSink& on_text = {});
  const std::vector<ChatMessage>& history() const { return history_; }
  const ReplyStats& last_stats() const { return stats_; }
  ChatFormat format() const { return format_; }
  void clear_history();

 private:
  std::string generate(const std::vector<TokenId>& prompt, const TextSink& on_text);
  std::vector<TokenId> tokenize_prompt(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  Session& session_;
  ConversationConfig config_;
  ChatFormat format_;
  Sampler sampler_;
  std::vector<ChatMessage> history_;
  std::vector<float> logits_;
  ReplyStats stats_;
};

}  // namespace parley::llm

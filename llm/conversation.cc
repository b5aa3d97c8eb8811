#include "llm/conversation.h"

#include <algorithm>

#include "kernels/error.h"

namespace parley::llm {

namespace {

// Length of the longest prefix of `tokens` (at most `limit` tokens) the session already holds.
size_t cached_prefix_length(const Session& session, const std::vector<TokenId>& tokens, size_t limit) {
  const std::vector<TokenId>& cached = session.tokens();
  size_t n = 0;
  while (n < cached.size() && n < limit && cached[n] == tokens[n]) ++n;
  return n;
}

}  // namespace

Conversation::Conversation(Session& session, ConversationConfig config)
    : session_(session),
      config_(std::move(config)),
      format_(model_chat_format(session.model())),
      sampler_(config_.sampler, session.model().hparams().n_vocab) {
  if (config_.max_tokens < 1) throw Error("conversation: max_tokens must be >= 1");
  sampler_.set_constraint(config_.constraint);
  clear_history();
}

void Conversation::clear_history() {
  history_.clear();
  if (!config_.system_prompt.empty()) history_.push_back({"system", config_.system_prompt});
}

std::vector<TokenId> Conversation::tokenize_prompt(const std::vector<ChatMessage>& messages,
                                                   bool add_generation_prompt) const {
  return tokenize_chat(session_.model(), format_, messages, add_generation_prompt);
}

ChatFormat model_chat_format(const Model& model) {
  return detect_chat_format(model.gguf().find_string("tokenizer.chat_template"));
}

std::vector<TokenId> tokenize_chat(const Model& model, ChatFormat format,
                                   const std::vector<ChatMessage>& messages,
                                   bool add_generation_prompt) {
  const Tokenizer& tok = model.tokenizer();
  const bool template_writes_bos =
      format == ChatFormat::Llama3 || format == ChatFormat::Gemma || format == ChatFormat::Llama2;
  const std::string bos_text =
      template_writes_bos && tok.bos() != kNoToken ? std::string(tok.token_text(tok.bos())) : "";
  const std::string text = render_chat(format, messages, add_generation_prompt, bos_text);
  return tok.encode(text, {.add_special = !template_writes_bos, .parse_special = true});
}

void Conversation::prime() {
  if (!config_.use_template || config_.system_prompt.empty()) return;
  const std::vector<TokenId> prefix = tokenize_prompt({history_.front()}, false);
  const size_t common = cached_prefix_length(session_, prefix, prefix.size());
  session_.rewind(static_cast<int32_t>(common));
  if (common < prefix.size())
    session_.decode({prefix.data() + common, prefix.size() - common});
}

std::string Conversation::reply(const std::string& user_text, const TextSink& on_text) {
  if (config_.use_template) return respond({{"user", user_text}}, on_text);
  const std::vector<TokenId> prompt =
      session_.model().tokenizer().encode(user_text, {.add_special = true, .parse_special = false});
  if (prompt.empty()) throw Error("conversation: the prompt is empty");
  return generate(prompt, on_text);
}

std::string Conversation::respond(const std::vector<ChatMessage>& messages, const TextSink& on_text) {
  if (!config_.use_template) throw Error("conversation: respond() needs the chat template (raw mode has no history)");
  std::vector<ChatMessage> all = history_;
  all.insert(all.end(), messages.begin(), messages.end());
  std::string text = generate(tokenize_prompt(all, true), on_text);
  history_ = std::move(all);
  history_.push_back({"assistant", text});
  return text;
}

std::string Conversation::generate(const std::vector<TokenId>& prompt, const TextSink& on_text) {
  const Tokenizer& tok = session_.model().tokenizer();
  stats_ = {};
  stats_.prompt_tokens = static_cast<int32_t>(prompt.size());
  // Reuse the longest cached prefix; always recompute at least the last prompt token (its
  // logits start the reply).
  const size_t common = cached_prefix_length(session_, prompt, prompt.size() - 1);
  session_.rewind(static_cast<int32_t>(common));
  stats_.reused_tokens = static_cast<int32_t>(common);
  if (session_.position() + static_cast<int64_t>(prompt.size() - common) + config_.max_tokens >
      session_.context_length()) {
    throw Error("conversation: prompt (" + std::to_string(prompt.size()) + " tokens) plus max_tokens (" +
                std::to_string(config_.max_tokens) + ") does not fit the context of " +
                std::to_string(session_.context_length()) + " tokens");
  }
  std::span<const float> logits = session_.decode({prompt.data() + common, prompt.size() - common});
  if (!config_.use_template) sampler_.reset();
  if (config_.constraint != nullptr) config_.constraint->reset();

  size_t longest_stop = 0;
  for (const std::string& s : config_.stop) longest_stop = std::max(longest_stop, s.size());
  TokenStreamDecoder stream(tok);
  std::string text;
  size_t emitted = 0;
  auto emit_until = [&](size_t end) {
    if (end > emitted && on_text) on_text(std::string_view(text).substr(emitted, end - emitted));
    emitted = std::max(emitted, end);
  };
  bool stopped = false;
  for (int32_t i = 0; i < config_.max_tokens && !stopped; ++i) {
    if (logits.empty()) {
      stats_.cancelled = true;
      break;
    }
    logits_.assign(logits.begin(), logits.end());
    const TokenId token = sampler_.sample(logits_.data());
    if (tok.is_end_of_generation(token)) break;
    sampler_.accept(token);
    ++stats_.generated_tokens;
    const size_t search_from = text.size() > longest_stop ? text.size() - longest_stop : 0;
    text += stream.push(token);
    for (const std::string& s : config_.stop) {
      const size_t at = s.empty() ? std::string::npos : text.find(s, search_from);
      if (at != std::string::npos) {
        text.resize(at);
        stopped = true;
      }
    }
    // Hold back a tail that could still become a stop string.
    const size_t hold = longest_stop > 0 ? longest_stop - 1 : 0;
    if (!stopped) emit_until(text.size() > hold ? text.size() - hold : 0);
    if (i + 1 == config_.max_tokens) stats_.stopped_by_limit = true;
    if (!stopped && i + 1 < config_.max_tokens) logits = session_.decode({&token, 1});
  }
  if (!stopped) text += stream.finish();
  emit_until(text.size());
  return text;
}

}  // namespace parley::llm

#include "assistant/server/chat_runner.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "assistant/server/api_error.h"
#include "kernels/thread_pool.h"
#include "llm/conversation.h"
#include "llm/model.h"
#include "llm/session.h"
#include "llm/tokenizer.h"

namespace parley::assistant::server {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

std::vector<int32_t> chat_prompt_tokens(const llm::Model& model,
                                        const std::vector<llm::ChatMessage>& messages) {
  return llm::tokenize_chat(model, llm::model_chat_format(model), messages);
}

int64_t check_prompt_fits(const llm::Model& model, const ChatJob& job, size_t prompt_tokens) {
  const int32_t trained =
      model.hparams().context_length_trained > 0 ? model.hparams().context_length_trained : 4096;
  const int32_t context_max = std::min(trained, std::max(1, job.context_length_limit));
  const int64_t room = static_cast<int64_t>(context_max) - static_cast<int64_t>(prompt_tokens);
  if (room < 1)
    throw ApiError(400,
                   "the prompt is " + std::to_string(prompt_tokens) +
                       " tokens; the model's context holds " + std::to_string(context_max),
                   "messages", "context_length_exceeded");
  return room;
}

ChatOutcome run_chat(const llm::Model& model, kernels::ThreadPool& pool, const ChatJob& job,
                     const PieceSink& on_piece, const std::atomic<bool>* cancel) {
  const auto start = std::chrono::steady_clock::now();
  ChatOutcome outcome;
  const llm::Tokenizer& tok = model.tokenizer();
  const std::vector<int32_t> prompt = chat_prompt_tokens(model, job.messages);
  if (prompt.empty())
    throw ApiError(400, "the rendered prompt is empty", "messages", "invalid_value");
  outcome.prompt_tokens = static_cast<int32_t>(prompt.size());

  const int64_t room = check_prompt_fits(model, job, prompt.size());
  const int32_t max_tokens =
      static_cast<int32_t>(std::min<int64_t>(std::max(1, job.max_tokens), room));

  llm::SessionConfig session_config;
  session_config.context_length = static_cast<int32_t>(prompt.size()) + max_tokens;
  llm::Session session(model, pool, session_config);
  llm::Sampler sampler(job.sampler, model.hparams().n_vocab);
  std::optional<llm::ToolCallConstraint> grammar;
  if (!job.tool_calls.empty()) {
    grammar.emplace(tok, job.tool_calls);
    grammar->set_required(job.tool_call_required);
    grammar->set_request(llm::last_user_message(job.messages));
    sampler.set_constraint(&*grammar);
  }

  auto cancelled = [&] { return cancel != nullptr && cancel->load(std::memory_order_relaxed); };
  std::span<const float> logits = session.decode(prompt);
  outcome.prefill_seconds = seconds_since(start);

  size_t longest_stop = 0;
  for (const std::string& s : job.stop) longest_stop = std::max(longest_stop, s.size());
  llm::TokenStreamDecoder stream(tok);
  std::string& text = outcome.text;
  size_t emitted = 0;
  bool client_gone = false;
  auto emit_until = [&](size_t end) {
    if (end <= emitted || client_gone) return;
    if (outcome.first_piece_seconds < 0) outcome.first_piece_seconds = seconds_since(start);
    if (on_piece && !on_piece(std::string_view(text).substr(emitted, end - emitted)))
      client_gone = true;
    emitted = end;
  };
  std::vector<float> scratch;
  bool stopped = false;  // end token or stop string
  for (int32_t i = 0; i < max_tokens && !stopped && !client_gone; ++i) {
    if (logits.empty() || cancelled()) {
      client_gone = true;
      break;
    }
    scratch.assign(logits.begin(), logits.end());
    const int32_t token = sampler.sample(scratch.data());
    if (tok.is_end_of_generation(token)) {
      stopped = true;
      break;
    }
    sampler.accept(token);
    ++outcome.completion_tokens;
    const size_t search_from = text.size() > longest_stop ? text.size() - longest_stop : 0;
    text += stream.push(token);
    for (const std::string& s : job.stop) {
      const size_t at = text.find(s, search_from);
      if (at != std::string::npos) {
        text.resize(std::min(text.size(), at));
        stopped = true;
      }
    }
    const size_t hold = longest_stop > 0 ? longest_stop - 1 : 0;
    if (!stopped) emit_until(text.size() > hold ? text.size() - hold : 0);
    if (!stopped && !client_gone && i + 1 < max_tokens) logits = session.decode({&token, 1});
  }
  if (!stopped && !client_gone) text += stream.finish();
  if (!client_gone) emit_until(text.size());
  if (client_gone || cancelled())
    outcome.finish_reason = "cancelled";
  else if (stopped)
    outcome.finish_reason = "stop";
  else
    outcome.finish_reason = "length";
  outcome.total_seconds = seconds_since(start);
  return outcome;
}

}  // namespace parley::assistant::server

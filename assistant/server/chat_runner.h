// run_chat — one chat completion on a shared llm::Model with a Session of its own: render the
// messages with the model's chat template, prefill, sample, stream the text out.
//
//   ChatJob job{.messages = messages, .max_tokens = 64};
//   job.sampler.temperature = 0;   // greedy
//   ChatOutcome outcome = run_chat(model, lease.pool(), job, [&](std::string_view piece) {
//     return sink.write(piece);    // false: the client went away → generation stops
//   });
//
// Contracts
//   * The Session is sized to prompt + max_tokens (at most the model's context and
//     `context_length_limit`); a prompt that leaves no room for one token throws
//     ApiError(400, code "context_length_exceeded"); max_tokens is clamped to the room left.
//   * Stop strings end the reply before the string (never sent); text that could still become a
//     stop string is held back until it cannot. End-of-generation tokens end the reply.
//   * finish_reason: "stop" (end token or stop string), "length" (max_tokens reached),
//     "cancelled" (on_piece returned false or `cancel` turned true; the text so far is kept).
//   * The same job with the same seed gives the same text (the sampler is seeded per job).
//   * `pool` is used by this call only for its duration (a WorkQueue lease's pool).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat_template.h"
#include "llm/sampler.h"
#include "llm/tool_call_grammar.h"

namespace parley::llm {
class Model;
}
namespace parley::kernels {
class ThreadPool;
}

namespace parley::assistant::server {

struct ChatJob {
  std::vector<llm::ChatMessage> messages;
  llm::SamplerConfig sampler;
  int32_t max_tokens = 256;
  std::vector<std::string> stop;
  int32_t context_length_limit = 4096;  // largest Session to make, tokens
  // The request's tools: non-empty, their calls are decoded under their grammar
  // (llm/tool_call_grammar.h; tools.constrain_calls).
  std::vector<llm::ToolCallSpec> tool_calls;
  bool tool_call_required = false;  // with tool_calls: the reply starts with a call
};

struct ChatOutcome {
  std::string text;
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  std::string finish_reason;        // stop | length | cancelled
  double prefill_seconds = 0;       // prompt processing
  double first_piece_seconds = -1;  // from the call to the first text handed to on_piece; -1: none
  double total_seconds = 0;
};

using PieceSink = std::function<bool(std::string_view piece)>;

ChatOutcome run_chat(const llm::Model& model, kernels::ThreadPool& pool, const ChatJob& job,
                     const PieceSink& on_piece, const std::atomic<bool>* cancel = nullptr);

// Throws run_chat's ApiError (400 context_length_exceeded) when `prompt_tokens` leaves no room for
// one reply token in the context a job may use; returns the room (tokens).
int64_t check_prompt_fits(const llm::Model& model, const ChatJob& job, size_t prompt_tokens);

// The prompt tokens run_chat would feed for `messages` (tests, usage accounting).
std::vector<int32_t> chat_prompt_tokens(const llm::Model& model,
                                        const std::vector<llm::ChatMessage>& messages);

}  // namespace parley::assistant::server

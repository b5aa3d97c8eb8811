// Session: the mutable state of one conversation with a Model — KV cache, position, scratch.
//
//   llm::Session session(*model, pool, {.context_length = 2048});
//   std::span<const float> logits = session.decode(prompt_tokens);   // batched prefill
//   while (...) { int32_t t = sampler.sample(copy_of_logits); logits = session.decode({&t, 1}); }
//
// decode() appends tokens at position() and returns the logits of the last one (n_vocab floats,
// valid until the next call). A prompt longer than max_batch is processed in chunks.
// rewind(n) forgets everything after the first n tokens, so a cached prefix (the system prompt)
// is reused without being computed again.
//
// Threading: one thread drives a session; request_cancel() may be called from any thread and
// makes the running decode() return early (within one layer) with an empty span, leaving the
// position where it was before the call. A new decode() clears the request.
// Context: when the tokens do not fit, decode() throws parley::Error ("context is full") and
// changes nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/storage.h"
#include "kernels/thread_pool.h"
#include "llm/model.h"

namespace parley::llm {

struct SessionConfig {
  int32_t context_length = 0;                  // tokens; 0 = the model's, at most 4096
  kernels::DType kv_type = kernels::DType::F16;  // F16 (default) or F32
  int32_t max_batch = 128;                     // prefill chunk, tokens

  void validate() const;  // throws parley::Error naming the field
};

class Session {
 public:
  Session(const Model& model, kernels::ThreadPool& pool, SessionConfig config = {});

  std::span<const float> decode(std::span<const int32_t> tokens);
  // As decode(), and also copies the logits of every position of `tokens` into all_logits
  // ([tokens.size()][n_vocab], row-major). Used by tests and perplexity.
  std::span<const float> decode_all_logits(std::span<const int32_t> tokens,
                                           std::vector<float>& all_logits);

  int32_t position() const { return position_; }
  int32_t context_length() const { return config_.context_length; }
  const std::vector<int32_t>& tokens() const { return tokens_; }  // what the cache holds
  void rewind(int32_t position);
  void request_cancel() { cancel_requested_.store(true, std::memory_order_relaxed); }
  const Model& model() const { return model_; }

 private:
  std::span<const float> run(std::span<const int32_t> tokens, std::vector<float>* all_logits);
  bool forward_chunk(const int32_t* tokens, int32_t count, std::vector<float>* all_logits,
                     size_t all_logits_offset);
  void attention(int layer, int32_t count);
  kernels::Tensor cache_view(const kernels::AlignedBuffer& cache, int layer) const;

  const Model& model_;
  kernels::ThreadPool& pool_;
  SessionConfig config_;
  kernels::RopeConfig rope_;
  int32_t position_ = 0;
  std::vector<int32_t> tokens_;
  std::atomic<bool> cancel_requested_{false};

  std::vector<kernels::AlignedBuffer> k_cache_, v_cache_;  // per layer [n_kv, n_ctx, head_dim]
  // Scratch sized for max_batch tokens.
  kernels::AlignedBuffer x_, xn_, q_, k_, v_, attn_, gate_, up_, logits_;
  std::vector<std::vector<float>> scores_;  // per pool worker, context_length floats
  std::vector<int64_t> positions_;
  kernels::Arena arena_;
};

}  // namespace parley::llm

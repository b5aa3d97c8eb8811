// Sampler: turns a row of logits into the next token.
//
// The chain, applied in this order: repetition / presence / frequency penalties over the last
// `penalty_last_n` tokens → top-k → temperature → softmax → min-p → top-p → draw with a seeded
// RNG. temperature <= 0 means greedy (argmax of the penalised logits; ties go to the lowest id).
//
//   SamplerConfig config;           // defaults: greedy
//   config.temperature = 0.8f; config.top_p = 0.95f; config.seed = 42;
//   config.validate();              // throws parley::Error naming the bad field
//   Sampler sampler(config, n_vocab);
//   int32_t token = sampler.sample(logits);   // logits: n_vocab floats (modified in place)
//   sampler.accept(token);                    // remember it for penalties
//
// A Sampler belongs to one session (not thread-safe). sample() does not allocate after the
// first call.
//
// With a TokenConstraint (set_constraint; e.g. ToolCallConstraint, llm/tool_call_grammar.h) the
// chosen token is always one the constraint allows: greedy takes the most likely allowed token;
// sampling draws as usual and, when the draw is not allowed, draws again from the allowed tokens
// only (the chain applied to their logits). When the constraint allows nothing, the
// unconstrained choice stands (the constraint then gives up on the current span). accept()
// passes the token on to the constraint.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace parley::llm {

struct SamplerConfig {
  float temperature = 0.0f;        // <= 0: greedy
  int32_t top_k = 40;              // <= 0: off
  float top_p = 0.95f;             // >= 1: off
  float min_p = 0.05f;             // <= 0: off
  float repetition_penalty = 1.0f; // 1: off; > 1 discourages repeats (llama.cpp semantics)
  float presence_penalty = 0.0f;   // subtracted once from each recent token's logit
  float frequency_penalty = 0.0f;  // subtracted per occurrence
  int32_t penalty_last_n = 64;     // how many recent tokens the penalties look at
  uint64_t seed = 0;

  void validate() const;
  std::string to_string() const;
};

// Which tokens may come next (a grammar). Not owned by the Sampler; one reply at a time.
class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  virtual bool allows(int32_t token) const = 0;
  virtual void accept(int32_t token) = 0;
  virtual void reset() = 0;  // a new reply starts
};

class Sampler {
 public:
  Sampler(const SamplerConfig& config, int32_t n_vocab);

  int32_t sample(float* logits);
  void accept(int32_t token);
  void reset();  // forget history (the RNG keeps its state)
  // nullptr: none. The constraint must outlive its use here.
  void set_constraint(TokenConstraint* constraint);
  TokenConstraint* constraint() const { return constraint_; }
  const SamplerConfig& config() const { return config_; }

 private:
  void apply_penalties(float* logits);
  int32_t draw(const float* logits);            // the chain after penalties (temperature > 0)
  int32_t best_allowed(const float* logits);    // greedy under the constraint

  SamplerConfig config_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
  std::vector<int32_t> recent_;                       // ring of the last penalty_last_n tokens
  size_t recent_next_ = 0;
  std::vector<std::pair<float, int32_t>> candidates_;  // scratch
  std::vector<int32_t> counts_;                        // scratch, per-token occurrence counts
  std::vector<float> masked_;                          // scratch: logits of allowed tokens only
  TokenConstraint* constraint_ = nullptr;
};

}  // namespace parley::llm

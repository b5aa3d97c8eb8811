#include "llm/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

#include "kernels/error.h"

namespace parley::llm {
namespace {

// Candidate order: higher logit (or probability) first, ties to the lower id.
bool by_logit(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

void SamplerConfig::validate() const {
  auto fail = [](const std::string& field, const std::string& why) {
    throw Error("sampler: " + field + " " + why);
  };
  if (!std::isfinite(temperature)) fail("temperature", "must be a finite number");
  if (!(top_p > 0.0f)) fail("top_p", "must be > 0 (use 1 to switch it off)");
  if (!(min_p >= 0.0f && min_p <= 1.0f)) fail("min_p", "must be in [0, 1]");
  if (!(repetition_penalty > 0.0f)) fail("repetition_penalty", "must be > 0 (1 switches it off)");
  if (!std::isfinite(presence_penalty)) fail("presence_penalty", "must be a finite number");
  if (!std::isfinite(frequency_penalty)) fail("frequency_penalty", "must be a finite number");
  if (penalty_last_n < 0) fail("penalty_last_n", "must be >= 0");
}

std::string SamplerConfig::to_string() const {
  std::ostringstream s;
  s << "temperature=" << temperature << " top_k=" << top_k << " top_p=" << top_p
    << " min_p=" << min_p << " repetition_penalty=" << repetition_penalty
    << " presence_penalty=" << presence_penalty << " frequency_penalty=" << frequency_penalty
    << " penalty_last_n=" << penalty_last_n << " seed=" << seed;
  return s.str();
}

Sampler::Sampler(const SamplerConfig& config, int32_t n_vocab)
    : config_(config), n_vocab_(n_vocab), rng_(config.seed) {
  config_.validate();
  if (n_vocab <= 0) throw Error("sampler: vocabulary is empty");
  recent_.reserve(static_cast<size_t>(config.penalty_last_n));
  candidates_.reserve(static_cast<size_t>(n_vocab));
}

void Sampler::reset() {
  recent_.clear();
  recent_next_ = 0;
}

void Sampler::set_constraint(TokenConstraint* constraint) {
  constraint_ = constraint;
  if (constraint_ != nullptr) masked_.reserve(static_cast<size_t>(n_vocab_));  // sample() keeps not allocating
}

void Sampler::accept(int32_t token) {
  if (constraint_ != nullptr) constraint_->accept(token);
  if (config_.penalty_last_n == 0) return;
  if (recent_.size() < static_cast<size_t>(config_.penalty_last_n)) {
    recent_.push_back(token);
  } else {
    recent_[recent_next_] = token;
    recent_next_ = (recent_next_ + 1) % recent_.size();
  }
}

void Sampler::apply_penalties(float* logits) {
  const bool any = config_.repetition_penalty != 1.0f || config_.presence_penalty != 0.0f ||
                   config_.frequency_penalty != 0.0f;
  if (!any || recent_.empty()) return;
  if (counts_.empty()) counts_.assign(static_cast<size_t>(n_vocab_), 0);
  for (int32_t t : recent_) {
    if (t >= 0 && t < n_vocab_) ++counts_[static_cast<size_t>(t)];
  }
  for (int32_t t : recent_) {
    if (t < 0 || t >= n_vocab_) continue;
    int32_t& count = counts_[static_cast<size_t>(t)];
    if (count == 0) continue;  // already penalised (token appears more than once)
    float& logit = logits[t];
    // As llama.cpp: divide positive logits, multiply negative ones.
    logit = logit > 0 ? logit / config_.repetition_penalty : logit * config_.repetition_penalty;
    logit -= static_cast<float>(count) * config_.frequency_penalty + config_.presence_penalty;
    count = 0;
  }
}

int32_t Sampler::sample(float* logits) {
  apply_penalties(logits);
  if (config_.temperature <= 0.0f) {
    const auto best = static_cast<int32_t>(std::max_element(logits, logits + n_vocab_) - logits);
    if (constraint_ == nullptr || constraint_->allows(best)) return best;
    return best_allowed(logits);
  }
  const int32_t drawn = draw(logits);
  if (constraint_ == nullptr || constraint_->allows(drawn)) return drawn;
  // Draw again among the allowed tokens only.
  masked_.assign(logits, logits + n_vocab_);
  bool any = false;
  for (int32_t i = 0; i < n_vocab_; ++i) {
    if (constraint_->allows(i)) {
      any = any || std::isfinite(masked_[static_cast<size_t>(i)]);
    } else {
      masked_[static_cast<size_t>(i)] = -std::numeric_limits<float>::infinity();
    }
  }
  return any ? draw(masked_.data()) : drawn;
}

int32_t Sampler::best_allowed(const float* logits) {
  // The likeliest few first (a partial sort), then every token.
  constexpr size_t kFirst = 64;
  candidates_.clear();
  for (int32_t i = 0; i < n_vocab_; ++i) candidates_.emplace_back(logits[i], i);
  const size_t first = std::min(kFirst, candidates_.size());
  std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(first),
                    candidates_.end(), by_logit);
  for (size_t k = 0; k < first; ++k) {
    if (constraint_->allows(candidates_[k].second)) return candidates_[k].second;
  }
  int32_t best = -1;
  for (size_t k = first; k < candidates_.size(); ++k) {
    const auto& c = candidates_[k];
    const bool better = best < 0 || by_logit(c, {logits[best], best});
    if (better && constraint_->allows(c.second)) best = c.second;
  }
  return best >= 0 ? best : candidates_.front().second;
}

int32_t Sampler::draw(const float* logits) {
  candidates_.clear();
  for (int32_t i = 0; i < n_vocab_; ++i) candidates_.emplace_back(logits[i], i);
  size_t keep = candidates_.size();
  if (config_.top_k > 0 && static_cast<size_t>(config_.top_k) < keep) {
    keep = static_cast<size_t>(config_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(keep),
                      candidates_.end(), by_logit);
    candidates_.resize(keep);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  // Temperature and softmax (max-subtracted); probabilities replace logits in .first.
  const float max_logit = candidates_.front().first;
  double total = 0;
  for (auto& c : candidates_) {
    c.first = std::exp((c.first - max_logit) / config_.temperature);
    total += c.first;
  }
  for (auto& c : candidates_) c.first = static_cast<float>(c.first / total);
  // min-p: drop tokens below min_p x the top probability.
  if (config_.min_p > 0.0f) {
    const float floor = candidates_.front().first * config_.min_p;
    size_t n = 1;
    while (n < candidates_.size() && candidates_[n].first >= floor) ++n;
    candidates_.resize(n);
  }
  // top-p: smallest prefix whose mass reaches top_p.
  if (config_.top_p < 1.0f) {
    double mass = 0;
    size_t n = 0;
    while (n < candidates_.size()) {
      mass += candidates_[n].first;
      ++n;
      if (mass >= config_.top_p) break;
    }
    candidates_.resize(n);
  }
  double kept = 0;
  for (const auto& c : candidates_) kept += c.first;
  std::uniform_real_distribution<double> uniform(0.0, kept);
  double r = uniform(rng_);
  for (const auto& c : candidates_) {
    r -= c.first;
    if (r <= 0) return c.second;
  }
  // Rounding left a remainder: the last token with any probability (never one a constraint
  // masked to -inf, whose probability is 0).
  for (auto it = candidates_.rbegin(); it != candidates_.rend(); ++it) {
    if (it->first > 0) return it->second;
  }
  return candidates_.front().second;
}

}  // namespace parley::llm

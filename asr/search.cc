#include "asr/search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/error.h"

namespace parley::asr {
namespace {

// Initial decoder context: [-1, ..., -1, blank].
void initial_context(int context_size, int64_t blank, std::vector<int64_t>& ys) {
  ys.assign(static_cast<size_t>(context_size), -1);
  ys.back() = blank;
}

size_t argmax(const float* row, int n) {
  size_t best = 0;
  for (int i = 1; i < n; ++i) {
    if (row[i] > row[best]) best = static_cast<size_t>(i);
  }
  return best;
}

// In-place log_softmax of one row, in float as sherpa-onnx computes it.
void log_softmax(float* row, int n) {
  float max_value = row[0];
  for (int i = 1; i < n; ++i) max_value = std::max(max_value, row[i]);
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(row[i] - max_value);
  const float offset = max_value + std::log(sum);
  for (int i = 0; i < n; ++i) row[i] -= offset;
}

double log_add(double x, double y) {
  if (x < y) std::swap(x, y);
  const double diff = y - x;  // <= 0
  if (diff >= -36.0436533891171535515) return x + std::log1p(std::exp(diff));
  return x;
}

class GreedySearch final : public TransducerSearch {
 public:
  explicit GreedySearch(const TransducerModel& model)
      : context_size_(model.context_size()),
        vocab_size_(model.vocab_size()),
        dim_(model.joiner_dim()),
        unk_(model.unk_id()) {
    ys_.reserve(kReservedTokens);
    frames_.reserve(kReservedTokens);
    decoder_out_.resize(static_cast<size_t>(dim_));
    reset();
  }

  void reset() override {
    initial_context(context_size_, 0, ys_);
    frames_.clear();
    trailing_ = 0;
    frame_offset_ = 0;
    decoder_valid_ = false;
  }

  void start_new_utterance() override {
    if (ys_.size() > static_cast<size_t>(context_size_)) {
      ys_.erase(ys_.begin(), ys_.end() - context_size_);
    } else {
      initial_context(context_size_, 0, ys_);
    }
    frames_.clear();
    trailing_ = 0;
    frame_offset_ = 0;
    decoder_valid_ = false;
  }

  void decode(TransducerSession& session, std::span<const float> encoder_out,
              int frames) override {
    if (!decoder_valid_) update_decoder(session);
    for (int t = 0; t < frames; ++t) {
      std::span<const float> logits =
          session.run_joiner(encoder_out.subspan(static_cast<size_t>(t) * dim_, dim_),
                             decoder_out_, 1);
      const int64_t y = static_cast<int64_t>(argmax(logits.data(), vocab_size_));
      if (y != 0 && y != unk_) {
        ys_.push_back(y);
        frames_.push_back(frame_offset_ + t);
        trailing_ = 0;
        update_decoder(session);
      } else {
        ++trailing_;
      }
    }
    frame_offset_ += frames;
  }

  SearchResult best() const override {
    SearchResult result;
    result.tokens.assign(ys_.begin() + context_size_, ys_.end());
    result.frames = frames_;
    result.trailing_blank_frames = trailing_;
    return result;
  }

  int trailing_blank_frames() const override { return trailing_; }

 private:
  void update_decoder(TransducerSession& session) {
    std::span<const float> out =
        session.run_decoder(std::span(ys_).subspan(ys_.size() - context_size_), 1);
    std::copy(out.begin(), out.end(), decoder_out_.begin());
    decoder_valid_ = true;
  }

  int context_size_, vocab_size_, dim_;
  int64_t unk_;
  std::vector<int64_t> ys_;  // context prefix + decoded tokens
  std::vector<int> frames_;
  std::vector<float> decoder_out_;
  bool decoder_valid_ = false;
  int trailing_ = 0;
  int frame_offset_ = 0;
};

struct Hypothesis {
  std::vector<int64_t> ys;  // context prefix + decoded tokens
  std::vector<int> frames;
  double log_prob = 0;
  const ContextState* context_state = nullptr;
  int trailing = 0;
  std::vector<float> decoder_out;  // decoder output for ys' last context_size tokens
  bool decoder_valid = false;

  void copy_from(const Hypothesis& other) {
    ys.assign(other.ys.begin(), other.ys.end());
    frames.assign(other.frames.begin(), other.frames.end());
    log_prob = other.log_prob;
    context_state = other.context_state;
    trailing = other.trailing;
    decoder_out.assign(other.decoder_out.begin(), other.decoder_out.end());
    decoder_valid = other.decoder_valid;
  }
};

class ModifiedBeamSearch final : public TransducerSearch {
 public:
  ModifiedBeamSearch(const TransducerModel& model, int beam,
                     std::shared_ptr<const ContextGraph> context)
      : context_size_(model.context_size()),
        vocab_size_(model.vocab_size()),
        dim_(model.joiner_dim()),
        unk_(model.unk_id()),
        beam_(beam),
        context_(std::move(context)) {
    if (beam < 1) throw Error("modified beam search: beam must be >= 1");
    for (auto* pool : {&hyps_, &next_}) {
      pool->resize(static_cast<size_t>(beam));
      for (Hypothesis& h : *pool) {
        h.ys.reserve(kReservedTokens);
        h.frames.reserve(kReservedTokens);
        h.decoder_out.reserve(static_cast<size_t>(dim_));
      }
    }
    encoder_rows_.resize(static_cast<size_t>(beam) * dim_);
    decoder_rows_.resize(static_cast<size_t>(beam) * dim_);
    contexts_.resize(static_cast<size_t>(beam) * context_size_);
    pending_.reserve(static_cast<size_t>(beam));
    scores_.resize(static_cast<size_t>(beam) * vocab_size_);
    top_.resize(static_cast<size_t>(beam));
    reset();
  }

  void reset() override {
    count_ = 1;
    Hypothesis& h = hyps_[0];
    initial_context(context_size_, 0, h.ys);
    h.frames.clear();
    h.log_prob = 0;
    h.context_state = context_ ? context_->root() : nullptr;
    h.trailing = 0;
    h.decoder_valid = false;
    frame_offset_ = 0;
  }

  void start_new_utterance() override {
    const Hypothesis& top = hyps_[best_index()];
    if (top.ys.size() <= static_cast<size_t>(context_size_)) {
      reset();
      return;
    }
    // Keep each hypothesis' last context_size tokens and its score; merge equal contexts.
    int kept = 0;
    for (int i = 0; i < count_; ++i) {
      Hypothesis& src = hyps_[static_cast<size_t>(i)];
      Hypothesis& dst = next_[static_cast<size_t>(kept)];
      dst.ys.assign(src.ys.end() - context_size_, src.ys.end());
      const int same = find(next_, kept, dst.ys);
      if (same >= 0) {
        next_[static_cast<size_t>(same)].log_prob =
            log_add(next_[static_cast<size_t>(same)].log_prob, src.log_prob);
        continue;
      }
      dst.frames.clear();
      dst.log_prob = src.log_prob;
      dst.context_state = context_ ? context_->root() : nullptr;
      dst.trailing = 0;
      dst.decoder_out.assign(src.decoder_out.begin(), src.decoder_out.end());
      dst.decoder_valid = src.decoder_valid;
      ++kept;
    }
    std::swap(hyps_, next_);
    count_ = kept;
    frame_offset_ = 0;
  }

  void decode(TransducerSession& session, std::span<const float> encoder_out,
              int frames) override {
    for (int t = 0; t < frames; ++t) {
      update_decoders(session);
      const std::span<const float> frame = encoder_out.subspan(static_cast<size_t>(t) * dim_, dim_);
      for (int i = 0; i < count_; ++i) {
        std::copy(frame.begin(), frame.end(), encoder_rows_.begin() + static_cast<size_t>(i) * dim_);
        const auto& d = hyps_[static_cast<size_t>(i)].decoder_out;
        std::copy(d.begin(), d.end(), decoder_rows_.begin() + static_cast<size_t>(i) * dim_);
      }
      const size_t n = static_cast<size_t>(count_) * dim_;
      std::span<const float> logits = session.run_joiner(
          std::span<const float>(encoder_rows_).first(n), std::span<const float>(decoder_rows_).first(n),
          count_);
      std::copy(logits.begin(), logits.end(), scores_.begin());
      for (int i = 0; i < count_; ++i) {
        float* row = scores_.data() + static_cast<size_t>(i) * vocab_size_;
        log_softmax(row, vocab_size_);
        const float prior = static_cast<float>(hyps_[static_cast<size_t>(i)].log_prob);
        for (int k = 0; k < vocab_size_; ++k) row[k] += prior;
      }
      const int top_count = select_top(count_ * vocab_size_);
      int kept = 0;
      for (int j = 0; j < top_count; ++j) {
        const int index = top_[static_cast<size_t>(j)];
        const Hypothesis& src = hyps_[static_cast<size_t>(index / vocab_size_)];
        const int64_t token = index % vocab_size_;
        Hypothesis& dst = next_[static_cast<size_t>(kept)];
        dst.copy_from(src);
        float context_score = 0;
        if (token != 0 && token != unk_) {
          dst.ys.push_back(token);
          dst.frames.push_back(frame_offset_ + t);
          dst.trailing = 0;
          dst.decoder_valid = false;
          if (context_) {
            auto [score, state] = context_->forward(dst.context_state, token);
            context_score = score;
            dst.context_state = state;
          }
        } else {
          ++dst.trailing;
        }
        dst.log_prob = static_cast<double>(scores_[static_cast<size_t>(index)] + context_score);
        const int same = find(next_, kept, dst.ys);
        if (same >= 0) {
          Hypothesis& existing = next_[static_cast<size_t>(same)];
          existing.log_prob = log_add(existing.log_prob, dst.log_prob);
        } else {
          ++kept;
        }
      }
      std::swap(hyps_, next_);
      count_ = kept;
    }
    frame_offset_ += frames;
  }

  SearchResult best() const override {
    const Hypothesis& h = hyps_[best_index()];
    SearchResult result;
    result.tokens.assign(h.ys.begin() + context_size_, h.ys.end());
    result.frames = h.frames;
    result.trailing_blank_frames = h.trailing;
    return result;
  }

  int trailing_blank_frames() const override { return hyps_[best_index()].trailing; }

 private:
  static int find(const std::vector<Hypothesis>& pool, int count, const std::vector<int64_t>& ys) {
    for (int i = 0; i < count; ++i) {
      if (pool[static_cast<size_t>(i)].ys == ys) return i;
    }
    return -1;
  }

  size_t best_index() const {
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (int i = 0; i < count_; ++i) {
      const Hypothesis& h = hyps_[static_cast<size_t>(i)];
      const double score = h.log_prob / static_cast<double>(h.ys.size());
      if (score > best_score) {
        best_score = score;
        best = static_cast<size_t>(i);
      }
    }
    return best;
  }

  // Runs the decoder for every hypothesis whose context changed, in one batch.
  void update_decoders(TransducerSession& session) {
    pending_.clear();
    for (int i = 0; i < count_; ++i) {
      const Hypothesis& h = hyps_[static_cast<size_t>(i)];
      if (h.decoder_valid) continue;
      std::copy(h.ys.end() - context_size_, h.ys.end(),
                contexts_.begin() + pending_.size() * context_size_);
      pending_.push_back(i);
    }
    if (pending_.empty()) return;
    const int rows = static_cast<int>(pending_.size());
    std::span<const float> out = session.run_decoder(
        std::span<const int64_t>(contexts_).first(pending_.size() * context_size_), rows);
    for (int r = 0; r < rows; ++r) {
      Hypothesis& h = hyps_[static_cast<size_t>(pending_[static_cast<size_t>(r)])];
      h.decoder_out.assign(out.begin() + static_cast<size_t>(r) * dim_,
                           out.begin() + static_cast<size_t>(r + 1) * dim_);
      h.decoder_valid = true;
    }
  }

  // The min(beam, n) best entries of scores_[0, n), best first; ties keep the lower index.
  int select_top(int n) {
    const int k = std::min(beam_, n);
    int filled = 0;
    for (int i = 0; i < n; ++i) {
      const float v = scores_[static_cast<size_t>(i)];
      if (filled == k && !(v > scores_[static_cast<size_t>(top_[static_cast<size_t>(k - 1)])])) {
        continue;
      }
      int pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && v > scores_[static_cast<size_t>(top_[static_cast<size_t>(pos - 1)])]) {
        top_[static_cast<size_t>(pos)] = top_[static_cast<size_t>(pos - 1)];
        --pos;
      }
      top_[static_cast<size_t>(pos)] = i;
    }
    return k;
  }

  int context_size_, vocab_size_, dim_;
  int64_t unk_;
  int beam_;
  std::shared_ptr<const ContextGraph> context_;
  std::vector<Hypothesis> hyps_, next_;
  int count_ = 0;
  int frame_offset_ = 0;
  std::vector<float> encoder_rows_, decoder_rows_, scores_;
  std::vector<int64_t> contexts_;
  std::vector<int> pending_;
  std::vector<int> top_;
};

}  // namespace

std::unique_ptr<TransducerSearch> make_greedy_search(const TransducerModel& model) {
  return std::make_unique<GreedySearch>(model);
}

std::unique_ptr<TransducerSearch> make_modified_beam_search(
    const TransducerModel& model, int beam, std::shared_ptr<const ContextGraph> context) {
  return std::make_unique<ModifiedBeamSearch>(model, beam, std::move(context));
}

}  // namespace parley::asr

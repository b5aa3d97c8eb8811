#include "assistant/core/barge_in.h"

#include <cmath>
#include <cstdint>

namespace parley::assistant {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

void append_words(std::string& out, const std::vector<std::string_view>& words, size_t count) {
  for (size_t i = 0; i < count && i < words.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += words[i];
  }
}

}  // namespace

std::string heard_text(std::span<const ClauseSpan> clauses, int64_t played_samples) {
  std::string out;
  for (const ClauseSpan& clause : clauses) {
    const bool empty_span = clause.end_sample <= clause.begin_sample;
    if (empty_span ? played_samples < clause.begin_sample : played_samples <= clause.begin_sample) {
      break;  // not started yet
    }
    const std::vector<std::string_view> words = split_words(clause.text);
    if (played_samples >= clause.end_sample) {
      append_words(out, words, words.size());
      continue;
    }
    const double fraction = static_cast<double>(played_samples - clause.begin_sample) /
                            static_cast<double>(clause.end_sample - clause.begin_sample);
    append_words(out, words,
                 static_cast<size_t>(std::lround(fraction * static_cast<double>(words.size()))));
    break;
  }
  return out;
}

void PlaybackLedger::append(std::string_view text, int64_t sample_count, int64_t gap_samples) {
  std::lock_guard lock(mutex_);
  const int64_t begin = end_sample_ + (gap_samples > 0 ? gap_samples : 0);
  const int64_t end = begin + (sample_count > 0 ? sample_count : 0);
  clauses_.push_back({std::string(text), begin, end});
  end_sample_ = end;
}

std::string PlaybackLedger::heard_text(int64_t played_samples) const {
  std::lock_guard lock(mutex_);
  return parley::assistant::heard_text(clauses_, played_samples);
}

std::string PlaybackLedger::full_text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const ClauseSpan& clause : clauses_) append_words(out, split_words(clause.text), SIZE_MAX);
  return out;
}

int64_t PlaybackLedger::total_samples() const {
  std::lock_guard lock(mutex_);
  return end_sample_;
}

std::vector<ClauseSpan> PlaybackLedger::clauses() const {
  std::lock_guard lock(mutex_);
  return clauses_;
}

void PlaybackLedger::clear() {
  std::lock_guard lock(mutex_);
  clauses_.clear();
  end_sample_ = 0;
}

}  // namespace parley::assistant

#include "assistant/core/wake_phrase.h"

#include <algorithm>
#include <cctype>

#include "kernels/error.h"

namespace parley::assistant {

std::vector<std::string> normalized_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'') {
      word.push_back(static_cast<char>(std::tolower(u)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

namespace {

// Levenshtein distance of two short words, capped: returns 2 for anything >= 2.
int edit_distance_capped(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  const size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > 1) return 2;
  std::vector<int> previous(m + 1), current(m + 1);
  for (size_t j = 0; j <= m; ++j) previous[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    current[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(previous, current);
  }
  return std::min(previous[m], 2);
}

bool word_matches(const std::string& heard, const std::string& expected) {
  if (expected.size() >= 4) return edit_distance_capped(heard, expected) <= 1;
  return heard == expected;
}

// Byte offset in `text` just after its `count`-th word (words as normalized_words() splits them).
size_t offset_after_words(std::string_view text, size_t count) {
  size_t seen = 0;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    const bool word_char = std::isalnum(u) || text[i] == '\'';
    if (word_char && !in_word) in_word = true;
    if (!word_char && in_word) {
      in_word = false;
      if (++seen == count) return i;
    }
  }
  return text.size();
}

std::string trim_leading(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) ||
                             std::ispunct(static_cast<unsigned char>(text[i]))))
    ++i;
  return std::string(text.substr(i));
}

constexpr size_t kMaxFillerWords = 2;

}  // namespace

std::optional<size_t> find_phrase_words(const std::vector<std::string>& words,
                                        const std::vector<std::string>& phrase, size_t max_start) {
  const size_t n = phrase.size();
  if (n == 0) return std::nullopt;
  for (size_t start = 0; start <= max_start && start + n <= words.size(); ++start) {
    bool match = true;
    for (size_t k = 0; k < n && match; ++k) match = word_matches(words[start + k], phrase[k]);
    if (match) return start;
  }
  return std::nullopt;
}

WakePhraseGate::WakePhraseGate(std::string_view phrase, double window_seconds)
    : phrase_words_(normalized_words(phrase)), window_us_(static_cast<int64_t>(window_seconds * 1e6)) {
  if (phrase_words_.empty()) throw Error("wake.phrase: \"" + std::string(phrase) + "\" has no words");
  if (!(window_seconds >= 0)) throw Error("wake.listen_window_s: must be >= 0");
}

bool WakePhraseGate::awake(int64_t now_us) const { return awake_until_us_ >= 0 && now_us < awake_until_us_; }

void WakePhraseGate::turn_ended(int64_t now_us) { awake_until_us_ = now_us + window_us_; }

WakePhraseGate::Decision WakePhraseGate::admit(std::string_view transcript, int64_t now_us) {
  const std::vector<std::string> words = normalized_words(transcript);
  if (const std::optional<size_t> start = find_phrase_words(words, phrase_words_, kMaxFillerWords)) {
    const size_t n = phrase_words_.size();
    std::string rest = trim_leading(transcript.substr(offset_after_words(transcript, *start + n)));
    awake_until_us_ = now_us + window_us_;
    if (normalized_words(rest).empty()) return {Verdict::kWakeOnly, {}};
    return {Verdict::kAnswer, std::move(rest)};
  }
  if (awake(now_us)) return {Verdict::kAnswer, std::string(transcript)};
  return {Verdict::kIgnore, {}};
}

}  // namespace parley::assistant

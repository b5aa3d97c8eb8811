// WakePhraseGate — decides which final transcripts the assistant answers when a wake phrase is
// configured ("computer", "hey parley"): a transcript that starts with the phrase is answered
// (the phrase itself removed), and for `window_seconds` after the last answered turn ended the
// assistant stays awake and answers without the phrase (follow-up questions). The phrase alone
// ("computer.") wakes it without a reply.
//
// Matching works on words: lower-case, letters, digits and apostrophes only, so "Hey, Parley!"
// matches "hey parley". The phrase may follow up to two filler words ("ok computer", "um hey
// parley") and each word of four letters or more may differ by one edit (a recognizer that hears
// "parly" still wakes it).
//
// Contracts: not thread-safe (the pipeline's control thread owns it); times are the pipeline
// clock's now_us().
//
// Usage
//   WakePhraseGate gate("hey parley", 8.0);
//   gate.admit("Hey Parley, what time is it?", now)  → "what time is it?"
//   gate.admit("what time is it", now)               → nullopt while asleep
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::assistant {

class WakePhraseGate {
 public:
  // Throws parley::Error ("wake.phrase: ...") when the phrase has no words.
  WakePhraseGate(std::string_view phrase, double window_seconds);

  enum class Verdict { kIgnore, kWakeOnly, kAnswer };
  struct Decision {
    Verdict verdict = Verdict::kIgnore;
    std::string text;  // kAnswer: what to answer (the phrase removed)
  };
  Decision admit(std::string_view transcript, int64_t now_us);
  // An answered turn ended at `now_us`: the follow-up window runs from here.
  void turn_ended(int64_t now_us);
  bool awake(int64_t now_us) const;

 private:
  std::vector<std::string> phrase_words_;
  int64_t window_us_;
  int64_t awake_until_us_ = -1;
};

// Lower-case words of `text`: runs of letters, digits and apostrophes (ASCII; other bytes split).
std::vector<std::string> normalized_words(std::string_view text);

// Where `phrase` (normalized words) first occurs in `words`, starting at most at `max_start`;
// each phrase word of four letters or more may differ by one edit, as the gate matches.
// nullopt when it does not occur (or `phrase` is empty).
std::optional<size_t> find_phrase_words(const std::vector<std::string>& words,
                                        const std::vector<std::string>& phrase,
                                        size_t max_start = SIZE_MAX);

}  // namespace parley::assistant

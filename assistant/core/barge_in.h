// Barge-in policy: after the user cuts the reply off, the conversation history keeps only what
// was actually heard — every clause played to its end, plus the heard part of the clause that
// was playing, by words.
//
// Rules of heard_text()
//   * Clauses are given in playback order with the span of playback samples each occupies
//     ([begin, end), positions in the stream sent to the speaker, gaps allowed between clauses).
//   * A clause with end <= played_samples was heard whole.
//   * The clause being played (begin < played < end) contributes its first
//     round(fraction * words) words, fraction = (played - begin) / (end - begin): a word counts
//     once the larger part of its proportional share of the clause has played.
//   * Clauses not yet started contribute nothing. The result joins the heard pieces with single
//     spaces. Empty or inverted spans count as heard once playback reaches their begin.
//   Words are runs of non-space ASCII whitespace-separated bytes, so UTF-8 text is never split
//   inside a character.
//
// Usage
//   PlaybackLedger ledger;                           // TTS thread appends as it synthesizes
//   ledger.append("It is ten past seven.", 22050);
//   ledger.append("Anything else?", 11025);
//   std::string kept = ledger.heard_text(played);     // control thread, on barge-in
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::assistant {

struct ClauseSpan {
  std::string text;
  int64_t begin_sample = 0;  // first playback sample of this clause
  int64_t end_sample = 0;    // one past its last sample
};

std::string heard_text(std::span<const ClauseSpan> clauses, int64_t played_samples);

// The clauses of one reply with their playback spans, appended as synthesis produces them.
// Thread-safe: one thread appends, any thread reads.
class PlaybackLedger {
 public:
  // A clause of `sample_count` samples that follows the previous one after `gap_samples` of
  // silence (sentence pauses that are played but belong to no clause).
  void append(std::string_view text, int64_t sample_count, int64_t gap_samples = 0);
  std::string heard_text(int64_t played_samples) const;
  std::string full_text() const;  // every clause appended so far, joined by spaces
  int64_t total_samples() const;  // end of the last clause
  std::vector<ClauseSpan> clauses() const;
  void clear();  // next reply

 private:
  mutable std::mutex mutex_;
  std::vector<ClauseSpan> clauses_;
  int64_t end_sample_ = 0;
};

}  // namespace parley::assistant

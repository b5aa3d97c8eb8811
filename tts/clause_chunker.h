// ClauseChunker — cuts a streamed LLM reply into speakable chunks so synthesis starts early.
//
// Feed it text pieces as the model produces them (any split: mid-word, mid-UTF-8 character);
// it returns complete chunks:
//   * the first chunk ends at the first clause boundary (',' ';' ':' or a sentence end) once it
//     has `first_chunk_min_words` words, or a sentence end of any length, or — with no boundary —
//     at the last space once it reaches `first_chunk_max_chars` characters;
//   * later chunks end at sentence ends ('.', '!', '?', '…' followed by a space, optionally after
//     closing quotes or brackets) and at line breaks; a later chunk longer than
//     `long_chunk_chars` also ends at a clause boundary, and one reaching `max_chunk_chars` at its
//     last space;
//   * never inside a number ("3.5", "1,000"), an abbreviation ("e.g.", "Dr.", "J. K."), a URL
//     or file name ("example.com/a.b"), or a fenced code block (the whole block is one chunk, so
//     shape_text_for_speech() can replace it);
//   * finish() flushes the rest at the end of the reply; cancel() drops everything at once.
// A boundary is decided only from text already seen, so the chunks are the same for every way
// the same reply is split into pieces. Chunks are the raw text (markdown included), trimmed;
// pass each through shape_text_for_speech() before phonemizing.
// Not thread-safe: one chunker per reply stream.
//
// Usage
//   parley::tts::ClauseChunker chunker;
//   std::vector<std::string> chunks;
//   for (std::string_view token : llm_tokens) chunker.push(token, chunks);  // appends
//   chunker.finish(chunks);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::tts {

struct ClauseChunkerOptions {
  size_t first_chunk_min_words = 3;   // words before a clause boundary may end the first chunk
  size_t first_chunk_max_chars = 40;  // first chunk cut at a space past this, boundary or not
  size_t long_chunk_chars = 150;      // later chunks this long also end at clause boundaries
  size_t max_chunk_chars = 300;       // later chunks cut at a space past this
};

class ClauseChunker {
 public:
  explicit ClauseChunker(ClauseChunkerOptions options = {});

  // Consumes a piece of the reply and appends every chunk it completes to `chunks`.
  void push(std::string_view piece, std::vector<std::string>& chunks);
  // End of the reply: appends what is left (if anything speakable) and resets for a new reply.
  void finish(std::vector<std::string>& chunks);
  // Drops all pending text and state at once (barge-in); the chunker is ready for a new reply.
  void cancel();

  // Chunks emitted since the last finish()/cancel().
  size_t chunk_count() const { return chunk_count_; }

 private:
  enum class Pending { kNone, kSentence, kClause };

  void consume(char32_t c, std::string_view bytes, std::vector<std::string>& chunks);
  void emit(size_t end_byte, std::vector<std::string>& chunks);
  bool period_ends_sentence() const;  // for a '.' just appended to chunk_
  bool clause_allowed() const;
  size_t word_count() const;

  ClauseChunkerOptions options_;
  std::string incomplete_;  // bytes of a UTF-8 character still arriving
  std::string chunk_;       // text of the chunk being built
  size_t chunk_chars_ = 0;  // code points in chunk_
  std::string line_;        // the current line's first bytes after its leading whitespace (fences)
  bool in_fence_ = false;
  Pending pending_ = Pending::kNone;
  size_t pending_end_byte_ = 0;  // chunk_ size where a pending boundary would cut
  size_t chunk_count_ = 0;
};

}  // namespace parley::tts

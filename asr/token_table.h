// TokenTable — the `tokens.txt` of a sherpa-onnx model folder: one `symbol id` pair per line
// (e.g. `<blk> 0`, `▁THE 3`), and the conversion of decoded token ids to text.
//
// Format accepted
//   * Each non-empty line is `<symbol><spaces or tab><id>`; the id is the last field, a
//     non-negative decimal integer. The symbol is everything before it (trimmed); a line that is
//     only an id (` 17`) names the symbol " " (some vocabularies have a literal space token).
//   * Ids must be unique and dense: 0 .. size()-1, each exactly once (the joiner's vocabulary
//     size is size()). Symbols must be unique. A trailing '\r' (CRLF files) is ignored.
//   * Anything else throws parley::Error "<path>:<line>: <what is wrong>".
//
// Text
//   * BPE / SentencePiece: '▁' (U+2581) marks a word start and becomes a space; a leading space
//     of the whole text is dropped. Byte-fallback tokens `<0xHH>` become that byte.
//   * Special symbols (`<blk>`, `<sos/eos>`, `<unk>`, any other `<...>`) produce no text.
//
// Usage
//   auto tokens = parley::asr::TokenTable::load("model/tokens.txt");
//   int blank = tokens.blank_id();                 // id of <blk> (or <blank>), 0 usually
//   std::string text = tokens.to_text(decoded_ids); // "hello world"
//
// Immutable after loading; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::asr {

class TokenTable {
 public:
  // Reads a file; errors name the path and line.
  static TokenTable load(const std::string& path);
  // Parses text already in memory; `source_name` is used in error messages instead of a path.
  static TokenTable parse(std::string_view text, const std::string& source_name);

  size_t size() const { return symbols_.size(); }
  // Symbol of `id`; throws parley::Error when id is out of range.
  const std::string& symbol(int64_t id) const;
  std::optional<int64_t> find(std::string_view symbol) const;
  // Id of `<blk>` or `<blank>`; throws parley::Error naming the source if neither exists.
  int64_t blank_id() const;
  // The text one token contributes on its own ('▁' -> ' ', bytes decoded, specials -> "").
  std::string piece(int64_t id) const;
  // Text of a decoded id sequence (see "Text" above). Out-of-range ids throw parley::Error.
  std::string to_text(std::span<const int64_t> ids) const;

  const std::string& source_name() const { return source_name_; }

 private:
  std::string source_name_;
  std::vector<std::string> symbols_;  // indexed by id
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace parley::asr

#include "tts/clause_chunker.h"

#include <algorithm>
#include <array>

#include "tts/utf8.h"

namespace parley::tts {
namespace {

bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == 0xA0;
}

bool is_closer(char32_t c) {
  return c == U'"' || c == U'\'' || c == U')' || c == U']' || c == U'*' || c == U'_' ||
         c == 0x201D || c == 0x2019 || c == 0xBB;
}

// Words that end in '.' without ending a sentence (compared case-sensitively, without the dot).
constexpr std::array<std::string_view, 14> kAbbreviations = {
    "Dr", "Mr", "Mrs", "Ms", "Prof", "St", "Jr", "Sr", "vs", "approx", "No", "Mt", "Fig", "cf"};

std::string trimmed(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// `head`: the start of a line after its leading whitespace (ClauseChunker::line_).
bool starts_fence(std::string_view head) {
  return head.substr(0, 3) == "```" || head.substr(0, 3) == "~~~";
}

}  // namespace

ClauseChunker::ClauseChunker(ClauseChunkerOptions options) : options_(options) {}

void ClauseChunker::cancel() {
  incomplete_.clear();
  chunk_.clear();
  line_.clear();
  chunk_chars_ = 0;
  in_fence_ = false;
  pending_ = Pending::kNone;
  chunk_count_ = 0;
}

size_t ClauseChunker::word_count() const {
  size_t count = 0;
  bool in_word = false;
  for (char c : chunk_) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_word) ++count;
    in_word = !space;
  }
  return count;
}

bool ClauseChunker::period_ends_sentence() const {
  // chunk_ ends with '.'; look at the word before it.
  const size_t word_start = chunk_.find_last_of(" \t\n\r(\"'", chunk_.size() - 1);
  const std::string_view word = std::string_view(chunk_).substr(
      word_start == std::string::npos ? 0 : word_start + 1,
      chunk_.size() - 1 - (word_start == std::string::npos ? 0 : word_start + 1));
  if (word.empty()) return true;                   // "..." run or lone dot
  if (word.find('.') != std::string_view::npos) {  // "e.g", "i.e", "U.S"; not "..."
    return word.find_first_not_of('.') == std::string_view::npos;
  }
  if (word.size() == 1 && word[0] >= 'A' && word[0] <= 'Z') return false;  // initial "J."
  return std::find(kAbbreviations.begin(), kAbbreviations.end(), word) == kAbbreviations.end();
}

bool ClauseChunker::clause_allowed() const {
  if (chunk_count_ == 0) return word_count() >= options_.first_chunk_min_words;
  return chunk_chars_ >= options_.long_chunk_chars;
}

void ClauseChunker::emit(size_t end_byte, std::vector<std::string>& chunks) {
  std::string text = trimmed(std::string_view(chunk_).substr(0, end_byte));
  std::string rest = chunk_.substr(end_byte);
  chunk_ = std::move(rest);
  chunk_chars_ = utf8_decode(chunk_).size();
  pending_ = Pending::kNone;
  if (text.empty()) return;
  chunks.push_back(std::move(text));
  ++chunk_count_;
}

void ClauseChunker::consume(char32_t c, std::string_view bytes, std::vector<std::string>& chunks) {
  // Resolve a boundary waiting for the character after its punctuation.
  if (pending_ != Pending::kNone) {
    if (is_space(c)) {
      const Pending kind = pending_;
      pending_ = Pending::kNone;
      if (kind == Pending::kSentence || clause_allowed()) emit(pending_end_byte_, chunks);
    } else if (is_closer(c)) {
      pending_end_byte_ = chunk_.size() + bytes.size();  // the closer belongs to the chunk
    } else if (!(c == U'.' && pending_ == Pending::kSentence)) {
      pending_ = Pending::kNone;  // "3.5", "a.b", "1,000": not a boundary
    }
  }

  chunk_.append(bytes);
  ++chunk_chars_;

  if (c == U'\n') {
    const bool fence_line = starts_fence(line_);
    line_.clear();
    if (fence_line) in_fence_ = !in_fence_;
    if (!in_fence_) emit(chunk_.size(), chunks);
    return;
  }
  // Only a line's first three bytes after its leading whitespace can make it a fence: keeping
  // no more makes each character O(1) (a 100 kB line was quadratic).
  if (line_.size() < 3 && !(line_.empty() && is_space(c))) line_.append(bytes);
  if (in_fence_ || starts_fence(line_)) return;

  switch (c) {
    case U'.':
      if (chunk_.size() >= 2 && chunk_[chunk_.size() - 2] == '.' &&
          pending_ == Pending::kSentence) {
        pending_end_byte_ = chunk_.size();  // "..." keeps its sentence end
      } else if (period_ends_sentence()) {
        pending_ = Pending::kSentence;
        pending_end_byte_ = chunk_.size();
      } else {
        pending_ = Pending::kNone;
      }
      break;
    case U'!':
    case U'?':
    case 0x2026:  // …
      pending_ = Pending::kSentence;
      pending_end_byte_ = chunk_.size();
      break;
    case U',':
    case U';':
    case U':':
      if (pending_ == Pending::kNone) {
        pending_ = Pending::kClause;
        pending_end_byte_ = chunk_.size();
      }
      break;
    default:
      break;
  }

  // Hard caps: cut at the last space when a chunk grows too long without a boundary.
  const size_t cap = chunk_count_ == 0 ? options_.first_chunk_max_chars : options_.max_chunk_chars;
  if (pending_ == Pending::kNone && chunk_chars_ >= cap && !is_space(c)) {
    const size_t space = chunk_.find_last_of(" \t");
    if (space != std::string::npos && !trimmed(std::string_view(chunk_).substr(0, space)).empty()) {
      emit(space + 1, chunks);
    }
  }
}

void ClauseChunker::push(std::string_view piece, std::vector<std::string>& chunks) {
  incomplete_.append(piece);
  const size_t complete = utf8_complete_prefix_bytes(incomplete_);
  const std::string_view ready = std::string_view(incomplete_).substr(0, complete);
  size_t position = 0;
  while (position < ready.size()) {
    // Length of this character. Invalid bytes — a byte that cannot lead a sequence (0x80-0xC1,
    // 0xF5-0xFF) or a lead without all its continuation bytes — pass through one at a time, so
    // the grouping never depends on where the pieces were cut (found by tests/fuzz).
    const auto lead = static_cast<unsigned char>(ready[position]);
    size_t length = lead < 0x80                     ? 1
                    : lead >= 0xC2 && lead <= 0xDF ? 2
                    : lead >= 0xE0 && lead <= 0xEF ? 3
                    : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                   : 1;
    for (size_t k = 1; k < length; ++k) {
      if (position + k >= ready.size() ||
          (static_cast<unsigned char>(ready[position + k]) & 0xC0) != 0x80) {
        length = 1;
        break;
      }
    }
    const std::string_view bytes = ready.substr(position, length);
    const std::u32string decoded = utf8_decode(bytes);
    consume(decoded.empty() ? char32_t{0xFFFD} : decoded[0], bytes, chunks);
    position += length;
  }
  incomplete_.erase(0, complete);
}

void ClauseChunker::finish(std::vector<std::string>& chunks) {
  chunk_.append(incomplete_);  // a truncated character at the very end goes out as is
  emit(chunk_.size(), chunks);
  cancel();
}

}  // namespace parley::tts

// Pre-tokenizer stages of the byte-level BPE families. The expressions are those llama.cpp uses
// (llama-vocab.cpp, llm_tokenizer_bpe); semantics follow its implementation:
// * expressions with \p{..} classes run on text whose non-ASCII code points are collapsed to
//   their category, so \p{L} means "Unicode letter", \s means "White_Space", and so on;
// * expressions without \p{..} run on the code points themselves, with non-ASCII White_Space
//   replaced by a vertical tab (so a class like [　-。] never matches U+3000);
// * the gpt-2 and llama-3 expressions use hand-written scanners (reproduced here), including
//   their treatment of unassigned code points.
#include "llm/tokenizer_pretok.h"

#include <algorithm>
#include <cstddef>
#include <iterator>

#include "llm/unicode.h"

namespace parley::llm {
namespace {

using unicode::Flags;
using unicode::flags_of;

// A piece of the text being split: code points [begin, end).
struct Span {
  const uint32_t* cps;
  size_t begin;
  size_t end;
  uint32_t at(size_t i) const { return i < end ? cps[i] : kOutOfRange; }
  Flags flags(size_t i) const { return i < end ? flags_of(cps[i]) : Flags{}; }
  static constexpr uint32_t kOutOfRange = 0xFFFFFFFF;
};

bool is_space(const Span& s, size_t i) {
  return i < s.end && flags_of(s.cps[i]).is_whitespace();
}

// ---- character classes -------------------------------------------------------------------

// \p{N} in a collapsed expression: an ASCII digit, or a non-space number code point.
bool is_number(uint32_t cp) {
  if (cp < 128) return cp >= '0' && cp <= '9';
  const Flags f = flags_of(cp);
  return !f.is_whitespace() && f.is_number();
}
bool is_letter(uint32_t cp) {
  if (cp < 128) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  const Flags f = flags_of(cp);
  return !f.is_whitespace() && f.is_letter();
}
bool is_punctuation(uint32_t cp) {
  const Flags f = flags_of(cp);
  return !f.is_whitespace() && f.is_punctuation();
}
// [\p{P}\$\+<=>\^~\|] (default) and [\p{P}\$\+<=>\^~\|`] (falcon).
bool is_punct_or_math(uint32_t cp) {
  return is_punctuation(cp) || cp == '$' || cp == '+' || cp == '<' || cp == '=' || cp == '>' ||
         cp == '^' || cp == '~' || cp == '|';
}
bool is_punct_or_math_or_backtick(uint32_t cp) {
  return is_punct_or_math(cp) || cp == '`';
}

struct Range {
  uint32_t first, last;
};
bool in_ranges(uint32_t cp, const Range* ranges, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (cp >= ranges[i].first && cp <= ranges[i].last) return true;
  }
  return false;
}

// deepseek-llm's explicit letter class [A-Za-zµÀ-ÖØ-öø-ƺ...𞤀-𞥃] as code point ranges.
constexpr Range kDeepseekLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
// deepseek-llm [!-/:-~！-／：-～‘-‟　-。]
constexpr Range kDeepseekPunct[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
                                    {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};
// [一-龥ࠀ-一가-퟿] (deepseek CJK / Hangul runs)
constexpr Range kDeepseekCjk[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};

// Classes of expressions without \p{..}: non-ASCII White_Space never matches them.
bool deepseek_letter(uint32_t cp) {
  return !flags_of(cp).is_whitespace() &&
         in_ranges(cp, kDeepseekLetters, std::size(kDeepseekLetters));
}
bool deepseek_punct(uint32_t cp) {
  return !flags_of(cp).is_whitespace() && in_ranges(cp, kDeepseekPunct, std::size(kDeepseekPunct));
}
bool deepseek_cjk(uint32_t cp) {
  return !flags_of(cp).is_whitespace() && in_ranges(cp, kDeepseekCjk, std::size(kDeepseekCjk));
}
bool is_newline(uint32_t cp) {
  return cp == '\r' || cp == '\n';
}
bool is_ascii_digit(uint32_t cp) {
  return cp >= '0' && cp <= '9';
}

// ---- matchers: length of the match starting at `pos`, 0 when none ---------------------------

using Matcher = size_t (*)(const Span& s, size_t pos);

template <bool (*Class)(uint32_t)>
size_t match_run(const Span& s, size_t pos) {  // X+
  size_t i = pos;
  while (i < s.end && Class(s.cps[i])) ++i;
  return i - pos;
}
template <bool (*Class)(uint32_t)>
size_t match_one(const Span& s, size_t pos) {  // X
  return Class(s.cps[pos]) ? 1 : 0;
}
template <bool (*Class)(uint32_t)>
size_t match_space_then_run(const Span& s, size_t pos) {  // \s?X+
  if (is_space(s, pos) && pos + 1 < s.end && Class(s.cps[pos + 1])) {
    return 1 + match_run<Class>(s, pos + 1);
  }
  return match_run<Class>(s, pos);
}
size_t match_three_digits(const Span& s, size_t pos) {  // [0-9][0-9][0-9]
  return pos + 3 <= s.end && is_ascii_digit(s.cps[pos]) && is_ascii_digit(s.cps[pos + 1]) &&
                 is_ascii_digit(s.cps[pos + 2])
             ? 3
             : 0;
}
size_t match_trailing_space(const Span& s, size_t pos) {  // \s+$
  for (size_t i = pos; i < s.end; ++i) {
    if (!is_space(s, i)) return 0;
  }
  return s.end - pos;
}

// Splits one piece into the leftmost-first matches of `match` and the text between them.
void split_by_matcher(const Span& s, Matcher match, std::vector<size_t>& out) {
  size_t gap_begin = s.begin;
  size_t pos = s.begin;
  while (pos < s.end) {
    const size_t length = match(s, pos);
    if (length == 0) {
      ++pos;
      continue;
    }
    if (pos > gap_begin) out.push_back(pos - gap_begin);
    out.push_back(length);
    pos += length;
    gap_begin = pos;
  }
  if (s.end > gap_begin) out.push_back(s.end - gap_begin);
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)   (gpt-2)
void split_gpt2(const Span& s, std::vector<size_t>& out) {
  size_t pos = s.begin;
  auto emit_to = [&](size_t end) {
    if (end > pos) out.push_back(end - pos);
    pos = end;
  };
  while (pos < s.end) {
    const uint32_t cp = s.at(pos);
    if (cp == '\'' && pos + 1 < s.end) {
      const uint32_t next = s.at(pos + 1);
      if (next == 's' || next == 't' || next == 'm' || next == 'd') {
        emit_to(pos + 2);
        continue;
      }
      if (pos + 2 < s.end) {
        const uint32_t next2 = s.at(pos + 2);
        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') ||
            (next == 'l' && next2 == 'l')) {
          emit_to(pos + 3);
          continue;
        }
      }
    }
    const size_t start = pos + (cp == ' ' ? 1 : 0);
    Flags f = s.flags(start);
    if (f.is_letter() || f.is_number()) {  // ' ?\p{L}+' or ' ?\p{N}+'
      const bool letter = f.is_letter();
      size_t i = start;
      while (letter ? s.flags(i).is_letter() : s.flags(i).is_number()) ++i;
      emit_to(i);
      continue;
    }
    auto is_other = [](Flags g) {
      return !(g.is_whitespace() || g.is_letter() || g.is_number()) && g.bits != 0;
    };
    if (is_other(f)) {  // ' ?[^\s\p{L}\p{N}]+'
      size_t i = start;
      while (is_other(s.flags(i))) ++i;
      emit_to(i);
      continue;
    }
    size_t spaces = 0;
    while (s.flags(pos + spaces).is_whitespace()) ++spaces;
    if (spaces > 1 && s.at(pos + spaces) != Span::kOutOfRange) {  // \s+(?!\S)
      emit_to(pos + spaces - 1);
      continue;
    }
    if (spaces > 0) {  // \s+ at the end
      emit_to(pos + spaces);
      continue;
    }
    emit_to(pos + 1);  // no match: one code point on its own
  }
}

uint32_t ascii_lower(uint32_t cp) {
  return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+        (llama-3 with D = 3, qwen2 with D = 1)
void split_llama3(const Span& s, size_t max_digits, std::vector<size_t>& out) {
  size_t pos = s.begin;
  auto emit_to = [&](size_t end) {
    if (end > pos) out.push_back(end - pos);
    pos = end;
  };
  while (pos < s.end) {
    const uint32_t cp = s.at(pos);
    const Flags f = s.flags(pos);
    if (cp == '\'' && pos + 1 < s.end) {
      const uint32_t next = ascii_lower(s.at(pos + 1));
      if (next == 's' || next == 't' || next == 'm' || next == 'd') {
        emit_to(pos + 2);
        continue;
      }
      if (pos + 2 < s.end) {
        const uint32_t next2 = ascii_lower(s.at(pos + 2));
        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') ||
            (next == 'l' && next2 == 'l')) {
          emit_to(pos + 3);
          continue;
        }
      }
    }
    if (!(is_newline(cp) || f.is_number()) && (f.is_letter() || s.flags(pos + 1).is_letter())) {
      size_t i = pos + 1;  // [^\r\n\p{L}\p{N}]?\p{L}+
      while (s.flags(i).is_letter()) ++i;
      emit_to(i);
      continue;
    }
    if (f.is_number()) {  // \p{N}{1,D}, repeated
      size_t i = pos;
      while (s.flags(i).is_number() && i - pos < max_digits) ++i;
      emit_to(i);
      continue;
    }
    const size_t start = pos + (cp == ' ' ? 1 : 0);
    Flags g = s.flags(start);
    if (!(g.is_whitespace() || g.is_letter() || g.is_number()) && f.bits != 0) {
      size_t i = start;  //  ?[^\s\p{L}\p{N}]+[\r\n]*
      while (true) {
        const Flags h = s.flags(i);
        if (h.is_whitespace() || h.is_letter() || h.is_number() || h.bits == 0) break;
        ++i;
      }
      while (is_newline(s.at(i))) ++i;
      emit_to(i);
      continue;
    }
    size_t spaces = 0;
    size_t after_last_newline = 0;
    while (s.flags(pos + spaces).is_whitespace()) {
      if (is_newline(s.at(pos + spaces))) after_last_newline = pos + spaces + 1;
      ++spaces;
    }
    if (after_last_newline > 0) {  // \s*[\r\n]+
      emit_to(after_last_newline);
      continue;
    }
    if (spaces > 1 && s.at(pos + spaces) != Span::kOutOfRange) {  // \s+(?!\S)
      emit_to(pos + spaces - 1);
      continue;
    }
    if (spaces > 0) {  // \s+
      emit_to(pos + spaces);
      continue;
    }
    emit_to(pos + 1);
  }
}

enum class Scanner { kNone, kGpt2, kLlama3, kQwen2 };
struct Stage {
  Scanner scanner;
  Matcher matcher;
};

void run_stage(const Stage& stage, const std::vector<uint32_t>& text,
               const std::vector<size_t>& pieces, std::vector<size_t>& out) {
  out.clear();
  size_t begin = 0;
  for (size_t length : pieces) {
    const Span s{text.data(), begin, begin + length};
    switch (stage.scanner) {
      case Scanner::kGpt2:
        split_gpt2(s, out);
        break;
      case Scanner::kLlama3:
        split_llama3(s, 3, out);
        break;
      case Scanner::kQwen2:
        split_llama3(s, 1, out);
        break;
      case Scanner::kNone:
        split_by_matcher(s, stage.matcher, out);
        break;
    }
    begin += length;
  }
}

std::vector<Stage> stages_of(PreTokenizer family) {
  const Stage gpt2{Scanner::kGpt2, nullptr};
  switch (family) {
    case PreTokenizer::kGpt2:
      return {gpt2};
    case PreTokenizer::kLlama3:
      return {{Scanner::kLlama3, nullptr}};
    case PreTokenizer::kQwen2:
      return {{Scanner::kQwen2, nullptr}};
    case PreTokenizer::kFalcon:
      // [\p{P}\$\+<=>\^~\|`]+ , gpt-2 , [0-9][0-9][0-9]
      return {{Scanner::kNone, match_run<is_punct_or_math_or_backtick>},
              gpt2,
              {Scanner::kNone, match_three_digits}};
    case PreTokenizer::kStarcoder:
      // \p{N} , gpt-2
      return {{Scanner::kNone, match_one<is_number>}, gpt2};
    case PreTokenizer::kDeepseekLlm:
      // [\r\n] , \s?[letters]+ , \s?[punctuation]+ , \s+$ , [CJK]+ , \p{N}+
      return {{Scanner::kNone, match_one<is_newline>},
              {Scanner::kNone, match_space_then_run<deepseek_letter>},
              {Scanner::kNone, match_space_then_run<deepseek_punct>},
              {Scanner::kNone, match_trailing_space},
              {Scanner::kNone, match_run<deepseek_cjk>},
              {Scanner::kNone, match_run<is_number>}};
    case PreTokenizer::kDeepseekCoder:
      // [\r\n] , \s?\p{L}+ , \s?\p{P}+ , [CJK]+ , \p{N}
      return {{Scanner::kNone, match_one<is_newline>},
              {Scanner::kNone, match_space_then_run<is_letter>},
              {Scanner::kNone, match_space_then_run<is_punctuation>},
              {Scanner::kNone, match_run<deepseek_cjk>},
              {Scanner::kNone, match_one<is_number>}};
    case PreTokenizer::kDefault:
      break;
  }
  // [\p{P}\$\+<=>\^~\|]+ , gpt-2 , \p{N}+ , [0-9][0-9][0-9]
  return {{Scanner::kNone, match_run<is_punct_or_math>},
          gpt2,
          {Scanner::kNone, match_run<is_number>},
          {Scanner::kNone, match_three_digits}};
}

}  // namespace

void pre_tokenize(PreTokenizer family, const std::vector<uint32_t>& text,
                  std::vector<size_t>& word_lengths) {
  word_lengths.clear();
  if (text.empty()) return;
  std::vector<size_t> pieces{text.size()};
  for (const Stage& stage : stages_of(family)) {
    run_stage(stage, text, pieces, word_lengths);
    pieces.swap(word_lengths);
  }
  word_lengths.swap(pieces);
}

}  // namespace parley::llm

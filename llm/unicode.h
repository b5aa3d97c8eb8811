// Unicode helpers for the tokenizers (internal to llm/): UTF-8 decoding and encoding, the
// general-category group and White_Space flag of each code point, and GPT-2's byte-level
// mapping of bytes to printable code points.
//
// The category table (llm/unicode_table.cc) is generated from Python's unicodedata by
// scripts/gen_unicode_table.py.
//
//   std::vector<uint32_t> cps = unicode::decode_utf8("héllo");   // invalid bytes -> U+FFFD
//   if (unicode::flags_of(cps[1]).is_letter()) ...
//   std::string s; unicode::append_utf8(0x20AC, s);                // "€"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::llm::unicode {

enum class Group : uint8_t {
  kUndefined = 0,  // unassigned (Cn)
  kNumber = 1,
  kLetter = 2,
  kSeparator = 3,
  kMark = 4,
  kPunctuation = 5,
  kSymbol = 6,
  kOther = 7,  // Cc Cf Cs Co
};

struct Flags {
  uint8_t bits = 0;
  Group group() const { return static_cast<Group>(bits & 7); }
  bool is_whitespace() const { return (bits & 8) != 0; }
  bool is_letter() const { return group() == Group::kLetter; }
  bool is_number() const { return group() == Group::kNumber; }
  bool is_punctuation() const { return group() == Group::kPunctuation; }
  bool is_defined() const { return bits != 0; }  // assigned or whitespace
};

// Flags of a code point; all clear for values past U+10FFFF.
Flags flags_of(uint32_t code_point);

// Bytes in the UTF-8 sequence introduced by `lead` (1 for ASCII, continuation or invalid bytes).
inline size_t utf8_sequence_bytes(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return lead < 0xF8 ? 4 : 1;
}

// Decodes UTF-8; each byte of an invalid or truncated sequence becomes U+FFFD.
std::vector<uint32_t> decode_utf8(std::string_view text);
void append_utf8(uint32_t code_point, std::string& out);
// Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence which more
// bytes could still complete (used to hold back partial characters while streaming).
size_t complete_utf8_prefix(std::string_view bytes);

// GPT-2 byte-level BPE: every byte maps to one printable code point and back.
uint32_t byte_to_code_point(uint8_t byte);
// The byte a code point stands for, or -1 when it is not one of the 256 mapped code points.
int code_point_to_byte(uint32_t code_point);

extern const uint32_t kCategoryRuns[];
extern const size_t kCategoryRunCount;

}  // namespace parley::llm::unicode

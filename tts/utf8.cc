#include "tts/utf8.h"

#include <algorithm>

namespace parley::tts {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Number of bytes a sequence starting with `lead` claims, or 0 if `lead` cannot start one.
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const int length = sequence_length(lead);
    if (length == 0 || i + length > text.size()) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    if (length == 1) {
      out.push_back(lead);
      ++i;
      continue;
    }
    char32_t code_point = lead & (0xFF >> (length + 1));
    bool valid = true;
    for (int k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    const bool overlong =
        (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (!valid || overlong || surrogate || code_point > 0x10FFFF) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    out.push_back(code_point);
    i += length;
  }
  return out;
}

void utf8_append(char32_t code_point, std::string& out) {
  if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
    code_point = kReplacement;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::string utf8_encode(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t c : code_points) utf8_append(c, out);
  return out;
}

size_t utf8_complete_prefix_bytes(std::string_view bytes) {
  // Walk back over at most 3 continuation bytes to the last lead byte.
  size_t end = bytes.size();
  size_t start = end;
  int continuation_count = 0;
  while (start > 0 && continuation_count < 4) {
    const auto byte = static_cast<unsigned char>(bytes[start - 1]);
    if ((byte & 0xC0) != 0x80) break;
    --start;
    ++continuation_count;
  }
  if (start == 0) return end;  // only continuation bytes: nothing to wait for
  const int length = sequence_length(static_cast<unsigned char>(bytes[start - 1]));
  const int have = continuation_count + 1;
  if (length > 1 && have < length) return start - 1;  // incomplete character at the end
  return end;
}

std::vector<std::string_view> split_bounded(std::string_view text, size_t limit) {
  std::vector<std::string_view> pieces;
  limit = std::max<size_t>(limit, 4);
  while (text.size() > limit) {
    size_t cut = text.find_last_of(" \t\n\r", limit);
    if (cut != std::string_view::npos && cut > 0) {
      pieces.push_back(text.substr(0, cut));
      text.remove_prefix(cut + 1);
      continue;
    }
    if (cut == 0) {  // whitespace first: drop it
      text.remove_prefix(1);
      continue;
    }
    const size_t whole = utf8_complete_prefix_bytes(text.substr(0, limit));
    const size_t take = whole > 0 ? whole : limit;  // invalid bytes: cut anyway
    pieces.push_back(text.substr(0, take));
    text.remove_prefix(take);
  }
  if (!text.empty() || pieces.empty()) pieces.push_back(text);
  return pieces;
}

}  // namespace parley::tts

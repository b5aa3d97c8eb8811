#include "llm/unicode.h"

#include <algorithm>
#include <array>

namespace parley::llm::unicode {

Flags flags_of(uint32_t code_point) {
  if (code_point > 0x10FFFF) return {};
  // Runs are sorted by first code point; find the last run that starts at or before it.
  const uint32_t key = (code_point << 8) | 0xFF;
  const uint32_t* end = kCategoryRuns + kCategoryRunCount;
  const uint32_t* it = std::upper_bound(kCategoryRuns, end, key);
  return Flags{static_cast<uint8_t>(*(it - 1) & 0xFF)};
}

std::vector<uint32_t> decode_utf8(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t lead = s[i];
    const size_t len = utf8_sequence_bytes(lead);
    if (len == 1) {
      out.push_back(lead < 0x80 ? lead : 0xFFFD);
      ++i;
      continue;
    }
    bool ok = i + len <= n;
    uint32_t cp = lead & (0x7F >> len);
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (s[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t complete_utf8_prefix(std::string_view bytes) {
  const size_t n = bytes.size();
  // A sequence is at most 4 bytes: look back at most 3 bytes for an unfinished lead byte.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(bytes[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const size_t len = utf8_sequence_bytes(b);
    return len > back ? n - back : n;  // unfinished sequence: hold it back
  }
  return n;
}

namespace {

struct ByteMap {
  std::array<uint32_t, 256> to_code_point{};
  std::array<int16_t, 324> to_byte{};  // mapped code points are all below 324
  ByteMap() {
    to_byte.fill(-1);
    uint32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_code_point[b] = printable ? static_cast<uint32_t>(b) : next_extra++;
      to_byte[to_code_point[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

}  // namespace

uint32_t byte_to_code_point(uint8_t byte) {
  return byte_map().to_code_point[byte];
}

int code_point_to_byte(uint32_t code_point) {
  return code_point < 324 ? byte_map().to_byte[code_point] : -1;
}

}  // namespace parley::llm::unicode

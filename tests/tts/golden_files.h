// Readers for the Piper golden files in ../shared/testdata/tts, shared by the tts tests:
// the test sentence (trailing newline dropped) and the reference phoneme ids (raw little-endian
// int64, as PROVENANCE.md describes them).
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace parley::tts::testing {

inline std::string read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

inline std::vector<int64_t> read_ids(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<int64_t> ids;
  unsigned char bytes[8];
  while (file.read(reinterpret_cast<char*>(bytes), 8)) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];  // little-endian on any host
    ids.push_back(static_cast<int64_t>(value));
  }
  return ids;
}

}  // namespace parley::tts::testing

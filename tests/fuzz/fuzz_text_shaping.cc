// Text for speech: the clause chunker fed the reply in pieces (split pattern from the first
// byte), each chunk through shape_text_for_speech() and normalize_for_speech(), then the whole
// text at once. Both promise never to throw on any input, invalid UTF-8 included; the chunker
// promises the same chunks for every split. Seeds: tests/tts texts and the LLM reference replies.
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"
#include "tts/clause_chunker.h"
#include "tts/text_shaping.h"

namespace {

std::vector<std::string> chunk(std::string_view text, uint8_t pattern) {
  parley::tts::ClauseChunker chunker;
  std::vector<std::string> chunks;
  size_t i = 0;
  size_t k = 0;
  while (i < text.size()) {
    const size_t n = pattern == 0 ? text.size() : 1 + ((pattern >> (k++ % 8)) & 0x7);
    chunker.push(text.substr(i, n), chunks);
    i += std::min(n, text.size() - i);
  }
  chunker.finish(chunks);
  return chunks;
}

}  // namespace

PARLEY_FUZZ_TARGET(text_shaping) {
  if (size < 1) return 0;
  const std::string_view text = parley::fuzz::as_text(data + 1, size - 1);
  const std::vector<std::string> whole = chunk(text, 0);
  const std::vector<std::string> split = chunk(text, data[0] | 1);
  if (whole != split) __builtin_trap();  // chunks do not depend on how the reply is split
  for (const std::string& c : whole) (void)parley::tts::shape_text_for_speech(c);
  (void)parley::tts::shape_text_for_speech(text);
  (void)parley::tts::normalize_for_speech(text);
  return 0;
}

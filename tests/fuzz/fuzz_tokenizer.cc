// Tokenizer encode/decode of arbitrary bytes on fixed small vocabularies built in memory: one
// SentencePiece (`llama`, byte fallback, control and user-defined tokens, '"' among them) and
// byte-level BPE (`gpt2`) under every pre-tokenizer family. Input: a selector byte (vocabulary,
// options), then the text. Checks decode(encode(text)) == text for valid UTF-8 without
// special-token text, then decodes the input bytes read as token ids (in and out of range) whole
// and streamed.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "llm/gguf.h"
#include "llm/gguf_writer.h"
#include "llm/tokenizer.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using parley::llm::TokenKind;

struct Vocab {
  std::vector<uint8_t> bytes;  // the GGUF the tokenizer was read from (kept for clarity)
  std::unique_ptr<parley::llm::GgufFile> gguf;
  std::unique_ptr<parley::llm::Tokenizer> tokenizer;
};

void finish(Vocab& v, parley::llm::GgufWriter& w, const char* name) {
  v.bytes = w.to_bytes();
  v.gguf = std::make_unique<parley::llm::GgufFile>(
      parley::llm::GgufFile::from_memory(name, v.bytes.data(), v.bytes.size()));
  v.tokenizer = std::make_unique<parley::llm::Tokenizer>(*v.gguf);
}

Vocab make_spm() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {int32_t(TokenKind::kUnknown), int32_t(TokenKind::kControl),
                                int32_t(TokenKind::kControl)};
  std::vector<float> scores = {0, 0, 0};
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    tokens.emplace_back(hex);
    types.push_back(int32_t(TokenKind::kByte));
    scores.push_back(0);
  }
#define PARLEY_SPACE "\xe2\x96\x81"  // U+2581, SentencePiece's space
  const char* pieces[] = {PARLEY_SPACE, PARLEY_SPACE "t", "h", "e", "t", "he", PARLEY_SPACE "the",
                          "a", PARLEY_SPACE "a", "i", "n", "in", PARLEY_SPACE "in", "o",
                          PARLEY_SPACE "o", "1", "2", "12", "\xc3\xa9", PARLEY_SPACE PARLEY_SPACE,
                          ".", ","};
#undef PARLEY_SPACE
  float score = -1;
  for (const char* p : pieces) {
    tokens.emplace_back(p);
    types.push_back(int32_t(TokenKind::kNormal));
    scores.push_back(score -= 0.5f);
  }
  tokens.emplace_back("<|user|>");
  types.push_back(int32_t(TokenKind::kUserDefined));
  scores.push_back(0);
  // A user-defined piece that is not special-token text (Parley's chat model has '"'): the text
  // is split at it and the next fragment gets the space prefix, which decode() drops again.
  tokens.emplace_back("\"");
  types.push_back(int32_t(TokenKind::kUserDefined));
  scores.push_back(0);
  tokens.emplace_back("<|im_end|>");
  types.push_back(int32_t(TokenKind::kControl));
  scores.push_back(0);
  parley::llm::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  Vocab v;
  finish(v, w, "fuzz-spm.gguf");
  return v;
}

// GPT-2's printable stand-in for each byte.
std::string byte_char(int b) {
  int cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
    int n = 0;
    for (int x = 0; x < b; ++x)
      if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) ++n;
    cp = 256 + n;
  }
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return out;
}

Vocab make_bpe(const char* pre) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(byte_char(b));
    types.push_back(int32_t(TokenKind::kNormal));
  }
  const std::string G = byte_char(' ');  // "Ġ"
  const std::vector<std::pair<std::string, std::string>> merges = {
      {G, "t"}, {"h", "e"}, {G + "t", "he"}, {"i", "n"}, {G, "a"}, {"1", "2"}, {"12", "3"},
      {G, "i"}, {G + "i", "n"}, {byte_char('\n'), byte_char('\n')}};
  std::vector<std::string> merge_texts;
  for (const auto& [l, r] : merges) {
    merge_texts.push_back(l + " " + r);
    tokens.push_back(l + r);
    types.push_back(int32_t(TokenKind::kNormal));
  }
  for (const char* special : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
    tokens.emplace_back(special);
    types.push_back(int32_t(TokenKind::kControl));
  }
  tokens.emplace_back("<tool_call>");
  types.push_back(int32_t(TokenKind::kUserDefined));
  parley::llm::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  w.set_string_array("tokenizer.ggml.merges", merge_texts);
  w.set_u32("tokenizer.ggml.eos_token_id", 256 + static_cast<uint32_t>(merges.size()));
  Vocab v;
  finish(v, w, "fuzz-bpe.gguf");
  return v;
}

std::vector<Vocab>& vocabs() {
  static std::vector<Vocab> all = [] {
    std::vector<Vocab> v;
    v.push_back(make_spm());
    for (const char* pre : {"default", "gpt-2", "llama-bpe", "qwen2", "falcon", "starcoder",
                            "deepseek-llm", "deepseek-coder"})
      v.push_back(make_bpe(pre));
    return v;
  }();
  return all;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

}  // namespace

PARLEY_FUZZ_TARGET(tokenizer) {
  if (size < 1) return 0;
  std::vector<Vocab>& all = vocabs();
  const uint8_t selector = data[0];
  const parley::llm::Tokenizer& tok = *all[(selector & 0x0f) % all.size()].tokenizer;
  const std::string_view text = parley::fuzz::as_text(data + 1, size - 1);
  const parley::llm::EncodeOptions options{.add_special = (selector & 0x10) != 0,
                                           .parse_special = (selector & 0x20) != 0};
  const std::vector<parley::llm::TokenId> ids = tok.encode(text, options);
  for (parley::llm::TokenId id : ids)
    if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
  const std::string back = tok.decode(ids);
  // SentencePiece writes ' ' as U+2581 and decodes U+2581 as ' ' (as llama.cpp does), so a
  // literal U+2581 in the text does not come back; special-token text ('<') has its own rules.
  const bool comparable = valid_utf8(text) && text.find('<') == std::string_view::npos &&
                          text.find("\xe2\x96\x81") == std::string_view::npos;
  if (!options.add_special && comparable && back != text)
    __builtin_trap();  // decode(encode(text)) must give the text back

  // Arbitrary ids, including negative and out-of-range ones.
  std::vector<parley::llm::TokenId> raw;
  for (size_t i = 1; i + 1 < size; i += 2) {
    const auto id = static_cast<int16_t>(data[i] | (data[i + 1] << 8));
    raw.push_back(id % 400);
  }
  (void)tok.decode(raw, {.render_special = (selector & 0x40) != 0});
  parley::llm::TokenStreamDecoder stream(tok);
  std::string streamed;
  for (parley::llm::TokenId id : raw) streamed += stream.push(id);
  streamed += stream.finish();
  return 0;
}

// GGUF reader: header, metadata of every type, tensor table and data bounds, from memory; then the
// accessors callers use (typed getters, arrays, tensor views) and the tokenizer built from the
// metadata. Seeds: the stories260K GGUFs, the vocab-only GGUFs and the truncated ones.
#include <string>

#include "kernels/error.h"
#include "llm/chat_template.h"
#include "llm/gguf.h"
#include "llm/tokenizer.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

volatile uint8_t sink;

void touch(const parley::llm::GgufFile& gguf) {
  for (const parley::llm::GgufKeyValue& kv : gguf.metadata()) {
    const parley::llm::GgufValue& v = kv.value;
    (void)v.to_display_string();
    if (v.type == parley::llm::GgufType::ARRAY && v.raw != nullptr) {
      for (uint64_t i = 0; i < v.count && i < 64; ++i) (void)v.number_at(i);
      if (v.count > 0) (void)v.number_at(v.count - 1);
    }
    for (std::string_view s : v.strings) {
      if (!s.empty()) sink = static_cast<uint8_t>(s.front() ^ s.back());
    }
    try {
      (void)gguf.find_u32(kv.key);
    } catch (const parley::Error&) {
    }
    try {
      (void)gguf.find_f32(kv.key);
    } catch (const parley::Error&) {
    }
    try {
      (void)gguf.find_array_f32(kv.key);
    } catch (const parley::Error&) {
    }
    try {
      (void)gguf.find_array_i32(kv.key);
    } catch (const parley::Error&) {
    }
  }
  for (const parley::llm::GgufTensorInfo& t : gguf.tensors()) {
    // Every byte a tensor claims must lie inside the mapping: touch the first and the last.
    if (t.size_bytes > 0) {
      const auto* p = static_cast<const uint8_t*>(t.view.data());
      sink = static_cast<uint8_t>(p[0] ^ p[t.size_bytes - 1]);
    }
    (void)gguf.tensor(t.name).describe();
  }
}

}  // namespace

PARLEY_FUZZ_TARGET(gguf) {
  try {
    parley::llm::GgufFile gguf = parley::llm::GgufFile::from_memory("fuzz.gguf", data, size);
    touch(gguf);
    try {
      parley::llm::Tokenizer tokenizer(gguf);
      const std::vector<parley::llm::TokenId> ids =
          tokenizer.encode("Hello, world! 123 <|im_end|>", {.add_special = true, .parse_special = true});
      (void)tokenizer.decode(ids, {.render_special = true});
    } catch (const parley::Error&) {
    }
    try {
      (void)parley::llm::detect_chat_format(gguf.find_string("tokenizer.chat_template"));
    } catch (const parley::Error&) {
    }
  } catch (const parley::Error&) {
  }
  return 0;
}

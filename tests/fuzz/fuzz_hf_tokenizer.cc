// Hugging Face tokenizer files → GGUF vocabulary → Tokenizer, the chain `parley convert` runs.
// Input: one selector byte, then tokenizer.json (selector bit 0 clear) or tokenizer.model
// (SentencePiece protobuf, bit 0 set), then optionally '\xff' and tokenizer_config.json.
// Seeds: tests/llm/fixtures/hf_*/ tokenizer files.
#include <filesystem>
#include <string>

#include "kernels/error.h"
#include "llm/gguf.h"
#include "llm/gguf_writer.h"
#include "llm/hf_config.h"
#include "llm/hf_tokenizer.h"
#include "llm/tokenizer.h"
#include "tests/fuzz/fuzz_target.h"

PARLEY_FUZZ_TARGET(hf_tokenizer) {
  if (size < 1) return 0;
  namespace fs = std::filesystem;
  const fs::path dir = parley::fuzz::scratch_dir() / "hf_tokenizer";
  const bool spm = (data[0] & 1) != 0;
  std::string_view rest = parley::fuzz::as_text(data + 1, size - 1);
  const std::string_view tokenizer_file = parley::fuzz::take_field(rest);
  const std::string_view config_file = rest;
  std::error_code ec;
  fs::remove(dir / "tokenizer.model", ec);
  fs::remove(dir / "tokenizer.json", ec);
  fs::remove(dir / "tokenizer_config.json", ec);
  parley::fuzz::write_scratch_file(spm ? "hf_tokenizer/tokenizer.model" : "hf_tokenizer/tokenizer.json",
                                   reinterpret_cast<const uint8_t*>(tokenizer_file.data()),
                                   tokenizer_file.size());
  if (!config_file.empty())
    parley::fuzz::write_scratch_file("hf_tokenizer/tokenizer_config.json",
                                     reinterpret_cast<const uint8_t*>(config_file.data()),
                                     config_file.size());
  parley::llm::HfConfig config;
  config.path = (dir / "config.json").string();
  config.architecture = spm ? "llama" : "qwen2";
  config.vocab_size = 600;
  config.bos_token_id = 1;
  config.eos_token_id = 2;
  try {
    const parley::llm::HfVocab vocab = parley::llm::read_hf_tokenizer(dir.string(), config, 600);
    parley::llm::GgufWriter writer;
    vocab.write_to(writer);
    const std::vector<uint8_t> bytes = writer.to_bytes();
    const parley::llm::GgufFile gguf =
        parley::llm::GgufFile::from_memory("converted.gguf", bytes.data(), bytes.size());
    const parley::llm::Tokenizer tokenizer(gguf);
    const auto ids = tokenizer.encode("Hello world, 42 times!", {.add_special = true});
    (void)tokenizer.decode(ids);
  } catch (const parley::Error&) {
  }
  return 0;
}

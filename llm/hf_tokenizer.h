// Hugging Face tokenizer files → the GGUF `tokenizer.ggml.*` vocabulary, as llama.cpp's
// convert_hf_to_gguf.py writes it.
//
// * tokenizer.model (SentencePiece ModelProto, parsed here without protobuf) → model `llama`,
//   pre `default`: every piece with its score and type (normal, unknown, control,
//   user-defined, unused, byte); tokenizer.ggml.add_space_prefix from the normalizer's
//   add_dummy_prefix. Preferred when both files exist, as llama.cpp does for llama.
// * tokenizer.json (byte-level BPE) → model `gpt2` with tokens and merges; the pre-tokenizer
//   name (`qwen2`, `llama-bpe`, `gpt-2`) is recognised from the Split regex / ByteLevel settings
//   of its pre_tokenizer (llama.cpp hashes a test encoding instead; both name the same family).
// * added tokens (tokenizer.json added_tokens, tokenizer_config.json added_tokens_decoder):
//   special → CONTROL, others → USER_DEFINED.
// * tokenizer_config.json: chat_template (a string, a list of named templates — "default" is
//   used — or a chat_template.jinja file), add_bos_token / add_eos_token, and bos/eos/unk/pad
//   tokens (strings or {"content": ...}) resolved to ids; config.json's *_token_id fill gaps.
// * The token list is padded to `n_vocab` (the embedding rows) with "[PAD<i>]" UNUSED tokens.
//
// Errors name the file and field: "m/tokenizer.json: field 'model.type' is 'Unigram', only BPE
// is supported".
//
//   llm::HfConfig config = llm::read_hf_config(dir);
//   llm::HfVocab vocab = llm::read_hf_tokenizer(dir, config, n_vocab);
//   vocab.write_to(gguf_writer);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llm/gguf_writer.h"
#include "llm/hf_config.h"

namespace parley::llm {

struct HfVocab {
  std::string model;  // tokenizer.ggml.model: "llama" or "gpt2"
  std::string pre;    // tokenizer.ggml.pre
  std::vector<std::string> tokens;
  std::vector<float> scores;        // llama only
  std::vector<int32_t> types;       // TokenKind values
  std::vector<std::string> merges;  // gpt2 only, "left right"
  std::optional<uint32_t> bos, eos, unk, pad;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
  std::optional<std::string> chat_template;

  void write_to(GgufWriter& writer) const;
};

// n_vocab: rows of the embedding matrix; the vocabulary is padded to it (and must not exceed
// it). Throws parley::Error naming the file and field.
HfVocab read_hf_tokenizer(const std::string& dir, const HfConfig& config, int64_t n_vocab);

}  // namespace parley::llm

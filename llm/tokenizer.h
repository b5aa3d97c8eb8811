// Tokenizer driven by GGUF metadata (`tokenizer.ggml.*`), matching llama.cpp's token ids.
//
// Models
// * `llama` — SentencePiece style: the text (with ' ' written as U+2581 '▁' and a leading space
//   added when `tokenizer.ggml.add_space_prefix`, default true) is split into characters and the
//   adjacent pair whose merged piece has the highest score is merged repeatedly; pieces that are
//   not in the vocabulary fall back to byte tokens <0xNN>.
// * `gpt2` — byte-level BPE: the text is split by the pre-tokenizer of the family named in
//   `tokenizer.ggml.pre` (gpt-2, llama-bpe/llama3, qwen2, falcon, starcoder, refact,
//   deepseek-llm, deepseek-coder, mpt, gpt-neox/default, ... see pre_tokenizer_names()), each
//   word's bytes are mapped to printable code points and merged by `tokenizer.ggml.merges` rank.
// Other models (e.g. `bert` WordPiece) are rejected by the constructor with a parley::Error.
//
// Special tokens: CONTROL tokens written in the text are matched only when
// EncodeOptions::parse_special is set; USER_DEFINED tokens are always matched before BPE (as
// llama.cpp and Hugging Face do). BOS/EOS are added only with EncodeOptions::add_special and
// when the vocabulary asks for them (`tokenizer.ggml.add_bos_token` / `add_eos_token`).
//
// Decoding: decode() of encode(text) gives back `text` for valid UTF-8 (no clean-up of spaces
// around punctuation is applied). TokenStreamDecoder turns tokens into text one at a time and
// holds back the bytes of a UTF-8 character that is not complete yet.
//
// A Tokenizer is immutable after construction and safe to use from many threads. It copies what
// it needs from the GgufFile, which may be destroyed afterwards.
//
//   llm::GgufFile gguf("model.gguf");
//   llm::Tokenizer tok(gguf);
//   std::vector<llm::TokenId> ids = tok.encode("Hello world", {.add_special = true});
//   std::string text = tok.decode(ids);                       // "Hello world"
//   llm::TokenStreamDecoder stream(tok);
//   for (llm::TokenId id : ids) std::cout << stream.push(id);  // complete characters only
//   std::cout << stream.finish();
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llm/gguf.h"

namespace parley::llm {

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

// Token kinds as stored in `tokenizer.ggml.token_type`.
enum class TokenKind : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class TokenizerModel : uint8_t { kSentencePiece, kBytePairEncoding };

// Pre-tokenizer families of byte-level BPE vocabularies (tokenizer.ggml.pre).
enum class PreTokenizer : uint8_t {
  kDefault,  // "default" or absent (gpt-neox style): punctuation runs, gpt-2, digits
  kGpt2,     // gpt-2, mpt, olmo, jais, phi-2, roberta-bpe, ...
  kLlama3,   // llama-bpe, llama3, dbrx, smaug-bpe: digits in groups of up to 3
  kQwen2,    // qwen2, deepseek-r1-qwen, stablelm2: single digits
  kFalcon,
  kStarcoder,  // starcoder, refact, command-r, smollm, codeshell, exaone
  kDeepseekLlm,
  kDeepseekCoder,
};

struct EncodeOptions {
  bool add_special = false;    // prepend BOS / append EOS where the vocabulary asks for them
  bool parse_special = false;  // match CONTROL tokens written in the text, e.g. "<|im_end|>"
};

struct DecodeOptions {
  bool render_special = false;  // write CONTROL tokens as their text instead of skipping them
  // SentencePiece with add_space_prefix: drop the space that encode() put before the text.
  bool strip_leading_space = true;
  // SentencePiece with add_space_prefix: encode() also puts a space before the text after every
  // CONTROL or USER_DEFINED token; drop it again after one, so that decode(encode(t)) == t (as
  // Hugging Face decodes, run by run). Off: llama.cpp's detokenizer, which keeps it.
  bool strip_space_after_special = true;
};

class Tokenizer {
 public:
  // Reads the vocabulary from `gguf`. Throws parley::Error naming the file and the key when the
  // tokenizer metadata is missing, inconsistent (array lengths, ids out of range) or of an
  // unsupported model or pre-tokenizer.
  explicit Tokenizer(const GgufFile& gguf);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options = {}) const;
  std::string decode(std::span<const TokenId> tokens, const DecodeOptions& options = {}) const;
  // The bytes one token stands for (may be part of a UTF-8 character). CONTROL tokens give ""
  // unless render_special. Out-of-range ids give "".
  std::string token_to_piece(TokenId id, bool render_special = false) const;
  // Appends the piece to `out` (no allocation beyond growing `out`).
  void append_piece(TokenId id, bool render_special, std::string& out) const;

  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  TokenizerModel model() const { return model_; }
  PreTokenizer pre_tokenizer() const { return pre_; }
  std::string_view pre_tokenizer_name() const { return pre_name_; }
  std::string_view token_text(TokenId id) const { return tokens_.at(id).text; }
  TokenKind token_kind(TokenId id) const { return tokens_.at(id).kind; }
  float token_score(TokenId id) const { return tokens_.at(id).score; }
  std::optional<TokenId> find_token(std::string_view text) const;

  TokenId bos() const { return bos_; }  // kNoToken when the vocabulary has none
  TokenId eos() const { return eos_; }
  TokenId eot() const { return eot_; }
  TokenId unk() const { return unk_; }
  TokenId pad() const { return pad_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  // Whether encode() puts the space prefix before text (at the start and after every special
  // token), which decoding drops again: SentencePiece with add_space_prefix.
  bool prefixes_text() const {
    return add_space_prefix_ && model_ == TokenizerModel::kSentencePiece;
  }
  // EOS, EOT, EOM and the end-of-turn tokens families use ("<|eot_id|>", "<|im_end|>", ...).
  bool is_end_of_generation(TokenId id) const;
  bool is_control(TokenId id) const;
  // CONTROL or USER_DEFINED: matched in the text before BPE, and followed by a space prefix.
  bool is_special(TokenId id) const;

  // Names accepted in tokenizer.ggml.pre.
  static std::vector<std::string_view> pre_tokenizer_names();

 private:
  struct TokenData {
    std::string text;
    float score = 0.0f;
    TokenKind kind = TokenKind::kNormal;
    bool strip_right = false;  // swallow whitespace after this special token (phi-3)
  };
  struct Fragment {
    TokenId token;          // kNoToken for raw text
    std::string_view text;  // raw text
  };

  std::vector<Fragment> split_special(std::string_view text, bool parse_special) const;
  void encode_spm(std::string_view text, std::vector<TokenId>& out) const;
  void encode_bpe(std::string_view text, std::vector<TokenId>& out) const;
  TokenId byte_token(uint8_t byte) const;
  int bpe_rank(std::string_view left, std::string_view right) const;
  TokenId lookup(std::string_view text) const;

  std::string name_;
  TokenizerModel model_ = TokenizerModel::kSentencePiece;
  PreTokenizer pre_ = PreTokenizer::kDefault;
  std::string pre_name_;
  std::vector<TokenData> tokens_;
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, TokenId, TextHash, std::equal_to<>> token_ids_;
  std::unordered_map<std::string, int> merge_ranks_;  // "left right" -> rank
  std::vector<TokenId> special_tokens_;               // matched before BPE/SPM, longest first
  std::vector<TokenId> end_of_generation_;
  TokenId byte_tokens_[256];
  TokenId bos_ = kNoToken, eos_ = kNoToken, eot_ = kNoToken, eom_ = kNoToken;
  TokenId unk_ = kNoToken, pad_ = kNoToken;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false;
  bool ignore_merges_ = false;
};

// Streaming detokenizer for one generation: push() returns the text that became complete (a
// view valid until the next call), holding back a trailing partial UTF-8 character; finish()
// returns what is left (an unfinished character is written as U+FFFD). Not thread-safe; cheap to
// reset() and reuse. Does not allocate once its buffers have grown to the longest piece.
// By default nothing is stripped: a generated continuation "▁girl" streams as " girl". Pass
// {.strip_leading_space = true} to stream a text that encode() started with a space prefix.
class TokenStreamDecoder {
 public:
  explicit TokenStreamDecoder(const Tokenizer& tokenizer,
                              DecodeOptions options = {.render_special = false,
                                                       .strip_leading_space = false,
                                                       .strip_space_after_special = true});
  std::string_view push(TokenId id);
  std::string_view finish();
  void reset();

 private:
  const Tokenizer& tokenizer_;
  DecodeOptions options_;
  std::string pending_;  // bytes of an unfinished UTF-8 character
  std::string out_;
  bool at_start_ = true;
  bool after_special_ = false;
};

}  // namespace parley::llm

// Tokenizer: vocabulary loading from GGUF metadata, special-token splitting, encode dispatch,
// decoding and the streaming detokenizer. The model-specific encoders live in tokenizer_spm.cc
// and tokenizer_bpe.cc, the BPE pre-tokenizers in tokenizer_pretok.cc.
#include "llm/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "kernels/error.h"
#include "llm/unicode.h"

namespace parley::llm {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 '▁'

struct PreTokenizerName {
  std::string_view name;
  PreTokenizer family;
  bool ignore_merges;  // words that are whole tokens skip merging (llama-3 style)
  bool add_bos;        // default of tokenizer.ggml.add_bos_token for this family
};

// tokenizer.ggml.pre values and the family each one selects (as llama.cpp maps them).
constexpr PreTokenizerName kPreTokenizers[] = {
    {"default", PreTokenizer::kDefault, false, false},
    {"gpt-2", PreTokenizer::kGpt2, false, false},
    {"phi-2", PreTokenizer::kGpt2, false, false},
    {"roberta-bpe", PreTokenizer::kGpt2, false, false},
    {"jina-es", PreTokenizer::kGpt2, false, false},
    {"jina-de", PreTokenizer::kGpt2, false, false},
    {"jina-v1-en", PreTokenizer::kGpt2, false, false},
    {"jina-v2-es", PreTokenizer::kGpt2, false, false},
    {"jina-v2-de", PreTokenizer::kGpt2, false, false},
    {"jina-v2-code", PreTokenizer::kGpt2, false, false},
    {"gigachat", PreTokenizer::kGpt2, false, false},
    {"mpt", PreTokenizer::kGpt2, false, false},
    {"olmo", PreTokenizer::kGpt2, false, false},
    {"jais", PreTokenizer::kGpt2, false, false},
    {"trillion", PreTokenizer::kGpt2, false, false},
    {"llama3", PreTokenizer::kLlama3, true, true},
    {"llama-v3", PreTokenizer::kLlama3, true, true},
    {"llama-bpe", PreTokenizer::kLlama3, true, true},
    {"falcon3", PreTokenizer::kLlama3, true, true},
    {"pixtral", PreTokenizer::kLlama3, true, true},
    {"dbrx", PreTokenizer::kLlama3, false, false},
    {"smaug-bpe", PreTokenizer::kLlama3, false, false},
    {"qwen2", PreTokenizer::kQwen2, false, false},
    {"deepseek-r1-qwen", PreTokenizer::kQwen2, false, false},
    {"megrez", PreTokenizer::kQwen2, false, false},
    {"stablelm2", PreTokenizer::kQwen2, false, false},
    {"falcon", PreTokenizer::kFalcon, false, false},
    {"starcoder", PreTokenizer::kStarcoder, false, false},
    {"refact", PreTokenizer::kStarcoder, false, false},
    {"command-r", PreTokenizer::kStarcoder, false, false},
    {"smollm", PreTokenizer::kStarcoder, false, false},
    {"codeshell", PreTokenizer::kStarcoder, false, false},
    {"exaone", PreTokenizer::kStarcoder, false, false},
    {"minerva-7b", PreTokenizer::kStarcoder, false, false},
    {"deepseek-llm", PreTokenizer::kDeepseekLlm, false, false},
    {"deepseek-coder", PreTokenizer::kDeepseekCoder, false, false},
};

// Texts of end-of-turn tokens that families use without naming them in the metadata.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "<|end_of_text|>",
    "<\xEF\xBD\x9C"
    "end\xE2\x96\x81"
    "of"
    "\xE2\x96\x81"
    "sentence\xEF\xBD\x9C>",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::string_view> Tokenizer::pre_tokenizer_names() {
  std::vector<std::string_view> names;
  for (const PreTokenizerName& p : kPreTokenizers) names.push_back(p.name);
  return names;
}

Tokenizer::Tokenizer(const GgufFile& gguf) : name_(gguf.name()) {
  auto fail = [&](const std::string& what) -> void { throw Error(name_ + ": " + what); };

  const std::string_view model = gguf.get_string("tokenizer.ggml.model");
  if (model == "llama") {
    model_ = TokenizerModel::kSentencePiece;
  } else if (model == "gpt2") {
    model_ = TokenizerModel::kBytePairEncoding;
  } else {
    fail("tokenizer model '" + std::string(model) +
         "' (tokenizer.ggml.model) is not supported; supported: llama, gpt2");
  }

  const std::vector<std::string_view>& texts = gguf.get_array_strings("tokenizer.ggml.tokens");
  if (texts.empty()) fail("tokenizer.ggml.tokens is empty");
  if (texts.size() > static_cast<size_t>(INT32_MAX)) fail("tokenizer.ggml.tokens is too long");
  const size_t n = texts.size();
  const std::optional<std::vector<float>> scores = gguf.find_array_f32("tokenizer.ggml.scores");
  const std::optional<std::vector<int32_t>> types =
      gguf.find_array_i32("tokenizer.ggml.token_type");
  if (scores && scores->size() != n) {
    fail("tokenizer.ggml.scores has " + std::to_string(scores->size()) + " entries for " +
         std::to_string(n) + " tokens");
  }
  if (types && types->size() != n) {
    fail("tokenizer.ggml.token_type has " + std::to_string(types->size()) + " entries for " +
         std::to_string(n) + " tokens");
  }
  tokens_.resize(n);
  token_ids_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData& t = tokens_[i];
    t.text = texts[i].empty() ? "[EMPTY_" + std::to_string(i) + "]" : std::string(texts[i]);
    t.score = scores ? (*scores)[i] : 0.0f;
    if (types) {
      const int32_t type = (*types)[i];
      if (type < 0 || type > static_cast<int32_t>(TokenKind::kByte)) {
        fail("tokenizer.ggml.token_type[" + std::to_string(i) + "] is " + std::to_string(type) +
             " (valid: 0 to 6)");
      }
      t.kind = static_cast<TokenKind>(type);
    }
    token_ids_[t.text] = static_cast<TokenId>(i);  // a later duplicate wins, as in llama.cpp
  }

  if (model_ == TokenizerModel::kBytePairEncoding) {
    const std::vector<std::string_view>& merges = gguf.get_array_strings("tokenizer.ggml.merges");
    merge_ranks_.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      if (merges[i].size() < 3 || merges[i].find(' ', 1) == std::string_view::npos) {
        fail("tokenizer.ggml.merges[" + std::to_string(i) + "] is not a 'left right' pair");
      }
      merge_ranks_.emplace(std::string(merges[i]), static_cast<int>(i));  // first one wins
    }
    pre_name_ = std::string(gguf.find_string("tokenizer.ggml.pre").value_or("default"));
    const PreTokenizerName* found = nullptr;
    for (const PreTokenizerName& p : kPreTokenizers) {
      if (p.name == pre_name_) found = &p;
    }
    if (found == nullptr) {
      std::string names;
      for (const PreTokenizerName& p : kPreTokenizers)
        names += (names.empty() ? "" : ", ") + std::string(p.name);
      fail("pre-tokenizer '" + pre_name_ +
           "' (tokenizer.ggml.pre) is not supported; supported: " + names);
    }
    pre_ = found->family;
    ignore_merges_ = found->ignore_merges;
    add_bos_ = found->add_bos;
    add_space_prefix_ = false;
  } else {
    pre_name_ = "default";
    add_bos_ = true;
    add_space_prefix_ = true;
  }
  add_bos_ = gguf.find_bool("tokenizer.ggml.add_bos_token").value_or(add_bos_);
  add_eos_ = gguf.find_bool("tokenizer.ggml.add_eos_token").value_or(false);
  add_space_prefix_ = gguf.find_bool("tokenizer.ggml.add_space_prefix").value_or(add_space_prefix_);

  // Special ids; ids outside the vocabulary (some files store -1 as 4294967295) mean "none".
  auto special_id = [&](std::string_view key, TokenId fallback) {
    const std::optional<int64_t> id = gguf.find_i64(key);
    if (!id) return fallback;
    return (*id >= 0 && *id < static_cast<int64_t>(n)) ? static_cast<TokenId>(*id) : kNoToken;
  };
  const bool spm = model_ == TokenizerModel::kSentencePiece;
  auto default_id = [&](TokenId id) { return spm && id < static_cast<TokenId>(n) ? id : kNoToken; };
  bos_ = special_id("tokenizer.ggml.bos_token_id", default_id(1));
  eos_ = special_id("tokenizer.ggml.eos_token_id", default_id(2));
  unk_ = special_id("tokenizer.ggml.unknown_token_id", default_id(0));
  pad_ = special_id("tokenizer.ggml.padding_token_id", kNoToken);
  eot_ = special_id("tokenizer.ggml.eot_token_id", kNoToken);
  eom_ = special_id("tokenizer.ggml.eom_token_id", kNoToken);

  // Tokens matched in the text before BPE/SPM, longest first.
  for (size_t i = 0; i < n; ++i) {
    const TokenKind k = tokens_[i].kind;
    if (k == TokenKind::kControl || k == TokenKind::kUserDefined || k == TokenKind::kUnknown) {
      special_tokens_.push_back(static_cast<TokenId>(i));
    }
  }
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(), [&](TokenId a, TokenId b) {
    return tokens_[a].text.size() > tokens_[b].text.size();
  });
  // Phi-3 special tokens swallow the whitespace that follows them (llama.cpp does the same).
  const std::string general_name = lower(gguf.find_string("general.name").value_or(""));
  if (general_name.find("phi-3") != std::string::npos ||
      general_name.find("phi3") != std::string::npos) {
    for (TokenId id : special_tokens_) tokens_[id].strip_right = true;
    for (std::string_view text : {"</s>"}) {
      if (const TokenId id = lookup(text); id != kNoToken) tokens_[id].strip_right = true;
    }
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
      if (const TokenId id = lookup(text); id != kNoToken) tokens_[id].strip_right = false;
    }
  }

  for (TokenId id : {eos_, eot_, eom_}) {
    if (id != kNoToken) end_of_generation_.push_back(id);
  }
  for (std::string_view text : kEndOfTurnTexts) {
    const TokenId id = lookup(text);
    if (id == kNoToken) continue;
    const TokenKind k = tokens_[id].kind;
    if (k != TokenKind::kControl && k != TokenKind::kUserDefined) continue;
    if (eot_ == kNoToken && text != "<|eom_id|>") eot_ = id;
    end_of_generation_.push_back(id);
  }

  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    TokenId id = lookup(hex);
    if (id == kNoToken) id = lookup(std::string(1, static_cast<char>(b)));
    byte_tokens_[b] = id == kNoToken ? unk_ : id;
  }
}

Tokenizer::~Tokenizer() = default;

TokenId Tokenizer::lookup(std::string_view text) const {
  const auto it = token_ids_.find(text);
  return it == token_ids_.end() ? kNoToken : it->second;
}

std::optional<TokenId> Tokenizer::find_token(std::string_view text) const {
  const TokenId id = lookup(text);
  if (id == kNoToken) return std::nullopt;
  return id;
}

TokenId Tokenizer::byte_token(uint8_t byte) const {
  return byte_tokens_[byte];
}

bool Tokenizer::is_end_of_generation(TokenId id) const {
  return id != kNoToken && std::find(end_of_generation_.begin(), end_of_generation_.end(), id) !=
                               end_of_generation_.end();
}

bool Tokenizer::is_control(TokenId id) const {
  return id >= 0 && id < vocab_size() && tokens_[id].kind == TokenKind::kControl;
}

bool Tokenizer::is_special(TokenId id) const {
  return id >= 0 && id < vocab_size() &&
         (tokens_[id].kind == TokenKind::kControl || tokens_[id].kind == TokenKind::kUserDefined);
}

std::vector<Tokenizer::Fragment> Tokenizer::split_special(std::string_view text,
                                                          bool parse_special) const {
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({kNoToken, text});
  std::vector<Fragment> next;
  for (TokenId id : special_tokens_) {
    const TokenData& token = tokens_[id];
    if (!parse_special &&
        (token.kind == TokenKind::kControl || token.kind == TokenKind::kUnknown)) {
      continue;  // user-defined tokens are always matched; control tokens only on request
    }
    const std::string_view needle = token.text;
    bool any = false;
    for (const Fragment& f : fragments) {
      if (f.token == kNoToken && f.text.find(needle) != std::string_view::npos) any = true;
    }
    if (!any) continue;
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t pos = 0;
      while (pos < f.text.size()) {
        const size_t match = f.text.find(needle, pos);
        if (match == std::string_view::npos) break;
        if (match > pos) next.push_back({kNoToken, f.text.substr(pos, match - pos)});
        next.push_back({id, {}});
        pos = match + needle.size();
        if (token.strip_right) {
          while (pos < f.text.size() && std::isspace(static_cast<unsigned char>(f.text[pos])))
            ++pos;
        }
      }
      if (pos < f.text.size()) next.push_back({kNoToken, f.text.substr(pos)});
    }
    fragments.swap(next);
  }
  return fragments;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<TokenId> out;
  if (options.add_special && add_bos_ && bos_ != kNoToken) out.push_back(bos_);
  const std::vector<Fragment> fragments = split_special(text, options.parse_special);
  if (model_ == TokenizerModel::kSentencePiece) {
    bool previous_special = true;  // the start of the text gets the space prefix too
    std::string escaped;
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        out.push_back(f.token);
        previous_special = true;
        continue;
      }
      escaped.clear();
      if (add_space_prefix_ && previous_special) escaped += kSpaceMarker;
      for (char c : f.text) {
        if (c == ' ') {
          escaped += kSpaceMarker;
        } else {
          escaped += c;
        }
      }
      encode_spm(escaped, out);
      previous_special = false;
    }
  } else {
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        out.push_back(f.token);
      } else {
        encode_bpe(f.text, out);
      }
    }
  }
  if (options.add_special && add_eos_ && eos_ != kNoToken) out.push_back(eos_);
  return out;
}

void Tokenizer::append_piece(TokenId id, bool render_special, std::string& out) const {
  if (id < 0 || id >= vocab_size()) return;
  const TokenData& t = tokens_[id];
  switch (t.kind) {
    case TokenKind::kControl:
      if (render_special) out += t.text;
      return;
    case TokenKind::kUserDefined:
      out += t.text;
      return;
    case TokenKind::kUnknown:
      if (model_ == TokenizerModel::kSentencePiece) out += "\xE2\x96\x85";  // '▅', as llama.cpp
      return;
    case TokenKind::kUnused:
      return;
    case TokenKind::kByte:
      if (model_ == TokenizerModel::kSentencePiece) {
        unsigned value = 0;
        if (std::sscanf(t.text.c_str(), "<0x%2X>", &value) == 1) out += static_cast<char>(value);
        return;
      }
      break;  // byte-level vocabularies spell bytes as normal pieces
    case TokenKind::kUndefined:
    case TokenKind::kNormal:
      break;
  }
  if (model_ == TokenizerModel::kSentencePiece) {
    std::string_view text = t.text;
    for (size_t pos = 0; pos < text.size();) {
      if (text.compare(pos, kSpaceMarker.size(), kSpaceMarker) == 0) {
        out += ' ';
        pos += kSpaceMarker.size();
      } else {
        out += text[pos++];
      }
    }
    return;
  }
  // Byte-level: each code point stands for one byte.
  for (uint32_t cp : unicode::decode_utf8(t.text)) {
    const int byte = unicode::code_point_to_byte(cp);
    if (byte >= 0) {
      out += static_cast<char>(byte);
    } else {
      unicode::append_utf8(cp, out);
    }
  }
}

std::string Tokenizer::token_to_piece(TokenId id, bool render_special) const {
  std::string out;
  append_piece(id, render_special, out);
  return out;
}

std::string Tokenizer::decode(std::span<const TokenId> tokens, const DecodeOptions& options) const {
  std::string out;
  const bool prefixed = prefixes_text();
  bool strip = options.strip_leading_space && prefixed;
  for (TokenId id : tokens) {
    const size_t before = out.size();
    append_piece(id, options.render_special, out);
    if (options.strip_space_after_special && prefixed && is_special(id)) {
      strip = true;  // the next text piece carries the space prefix encode() added after this
      continue;
    }
    // The prefix space belongs to the first text piece, after any BOS-like control tokens.
    if (out.size() == before || is_control(id)) continue;
    if (strip && out[before] == ' ') out.erase(before, 1);
    strip = false;
  }
  return out;
}

TokenStreamDecoder::TokenStreamDecoder(const Tokenizer& tokenizer, DecodeOptions options)
    : tokenizer_(tokenizer), options_(options) {}

std::string_view TokenStreamDecoder::push(TokenId id) {
  const size_t before = pending_.size();
  tokenizer_.append_piece(id, options_.render_special, pending_);
  const bool prefixed = tokenizer_.prefixes_text();
  if (options_.strip_space_after_special && prefixed && tokenizer_.is_special(id)) {
    after_special_ = true;
  } else if (pending_.size() > before && !tokenizer_.is_control(id)) {
    const bool strip = (at_start_ && options_.strip_leading_space) || after_special_;
    if (strip && prefixed && pending_[before] == ' ') pending_.erase(before, 1);
    at_start_ = false;
    after_special_ = false;
  }
  const size_t complete = unicode::complete_utf8_prefix(pending_);
  out_.assign(pending_, 0, complete);
  pending_.erase(0, complete);
  return out_;
}

std::string_view TokenStreamDecoder::finish() {
  out_.clear();
  if (!pending_.empty()) out_ = "\xEF\xBF\xBD";  // U+FFFD for the unfinished character
  pending_.clear();
  return out_;
}

void TokenStreamDecoder::reset() {
  pending_.clear();
  out_.clear();
  at_start_ = true;
  after_special_ = false;
}

}  // namespace parley::llm

#include "llm/hf_tokenizer.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "kernels/error.h"
#include "llm/tokenizer.h"

namespace parley::llm {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr int32_t kNormal = static_cast<int32_t>(TokenKind::kNormal);
constexpr int32_t kControl = static_cast<int32_t>(TokenKind::kControl);
constexpr int32_t kUserDefined = static_cast<int32_t>(TokenKind::kUserDefined);
constexpr int32_t kUnused = static_cast<int32_t>(TokenKind::kUnused);

// Known byte-level BPE split patterns → llama.cpp pre-tokenizer names.
constexpr const char* kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Json read_json(const fs::path& path) {
  try {
    return Json::parse(read_file(path));
  } catch (const Json::exception& e) {
    throw Error(path.string() + ": invalid JSON (" + e.what() + ")");
  }
}

// Typed reads of an optional member: `fallback` when `j` is not an object or lacks `key` (or holds
// null), the value when it has the right type, else an Error naming the file and the field (never
// nlohmann's type_error, which a caller would not expect).
const Json* member(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_field(const Json& j, const char* key, const std::string& file,
                         const std::string& field, std::string fallback = {}) {
  const Json* v = member(j, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) throw Error(file + ": field '" + field + "' is not a string");
  return v->get<std::string>();
}

bool bool_field(const Json& j, const char* key, const std::string& file, const std::string& field,
                bool fallback) {
  const Json* v = member(j, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) throw Error(file + ": field '" + field + "' is not true or false");
  return v->get<bool>();
}

// ---- SentencePiece ModelProto (protobuf wire format) ----

class ProtoReader {
 public:
  ProtoReader(const uint8_t* begin, const uint8_t* end, const std::string& file)
      : p_(begin), end_(end), file_(file) {}
  bool done() const { return p_ >= end_; }
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) fail("truncated varint");
      const uint8_t byte = *p_++;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    fail("varint longer than 10 bytes");
  }
  // Returns the bytes of a length-delimited field.
  std::pair<const uint8_t*, const uint8_t*> bytes() {
    const uint64_t n = varint();
    if (n > static_cast<uint64_t>(end_ - p_)) fail("length-delimited field runs past the end");
    const uint8_t* b = p_;
    p_ += n;
    return {b, p_};
  }
  float fixed32_float() {
    if (end_ - p_ < 4) fail("truncated 32-bit field");
    float f;
    std::memcpy(&f, p_, 4);
    p_ += 4;
    return f;
  }
  void skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0:
        varint();
        break;
      case 1:
        if (end_ - p_ < 8) fail("truncated 64-bit field");
        p_ += 8;
        break;
      case 2:
        bytes();
        break;
      case 5:
        fixed32_float();
        break;
      default:
        fail("unsupported wire type " + std::to_string(wire_type));
    }
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(file_ + ": not a valid SentencePiece model (" + what + ")");
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const std::string& file_;
};

struct SpmModel {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  bool add_dummy_prefix = true;
  int64_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
};

SpmModel parse_sentencepiece(const std::string& path) {
  const std::string data = read_file(path);
  const auto* begin = reinterpret_cast<const uint8_t*>(data.data());
  ProtoReader r(begin, begin + data.size(), path);
  SpmModel m;
  while (!r.done()) {
    const uint64_t key = r.varint();
    const uint32_t field = static_cast<uint32_t>(key >> 3), wire = key & 7;
    if ((field == 1 || field == 2 || field == 3) && wire == 2) {
      auto [b, e] = r.bytes();
      ProtoReader sub(b, e, path);
      if (field == 1) {  // SentencePiece {piece = 1, score = 2, type = 3}
        std::string piece;
        float score = 0.0f;
        int32_t type = kNormal;
        while (!sub.done()) {
          const uint64_t k = sub.varint();
          const uint32_t f = static_cast<uint32_t>(k >> 3), w = k & 7;
          if (f == 1 && w == 2) {
            auto [pb, pe] = sub.bytes();
            piece.assign(reinterpret_cast<const char*>(pb), static_cast<size_t>(pe - pb));
          } else if (f == 2 && w == 5) {
            score = sub.fixed32_float();
          } else if (f == 3 && w == 0) {
            const uint64_t t = sub.varint();
            if (t < 1 || t > 6)
              sub.fail("piece '" + piece + "' has unknown type " + std::to_string(t));
            type = static_cast<int32_t>(t);  // NORMAL=1 .. BYTE=6, the same numbers as GGUF
          } else {
            sub.skip(w);
          }
        }
        m.pieces.push_back(std::move(piece));
        m.scores.push_back(score);
        m.types.push_back(type);
      } else {
        while (!sub.done()) {
          const uint64_t k = sub.varint();
          const uint32_t f = static_cast<uint32_t>(k >> 3), w = k & 7;
          if (field == 3 && f == 3 && w == 0) {  // NormalizerSpec.add_dummy_prefix
            m.add_dummy_prefix = sub.varint() != 0;
          } else if (field == 2 && w == 0 && f >= 40 && f <= 43) {  // TrainerSpec ids
            const auto v = static_cast<int64_t>(static_cast<int32_t>(sub.varint()));
            (f == 40 ? m.unk_id : f == 41 ? m.bos_id : f == 42 ? m.eos_id : m.pad_id) = v;
          } else {
            sub.skip(w);
          }
        }
      }
    } else {
      r.skip(wire);
    }
  }
  if (m.pieces.empty()) r.fail("no pieces");
  return m;
}

// ---- shared helpers ----

std::optional<std::string> token_content(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    auto it = v.find("content");
    if (it != v.end() && it->is_string()) return it->get<std::string>();
  }
  return std::nullopt;
}

void pad_to(HfVocab& vocab, int64_t n_vocab, bool with_scores) {
  for (int64_t i = static_cast<int64_t>(vocab.tokens.size()); i < n_vocab; ++i) {
    vocab.tokens.push_back("[PAD" + std::to_string(i) + "]");
    vocab.types.push_back(kUnused);
    if (with_scores) vocab.scores.push_back(-10000.0f);
  }
}

void read_sentencepiece(const fs::path& path, int64_t n_vocab, HfVocab& vocab, SpmModel& spm) {
  spm = parse_sentencepiece(path.string());
  if (static_cast<int64_t>(spm.pieces.size()) > n_vocab)
    throw Error(path.string() + ": " + std::to_string(spm.pieces.size()) +
                " pieces, more than the model's " + std::to_string(n_vocab) + " embedding rows");
  vocab.model = "llama";
  vocab.pre = "default";
  vocab.tokens = spm.pieces;
  vocab.scores = spm.scores;
  vocab.types = spm.types;
  vocab.add_space_prefix = spm.add_dummy_prefix;
  pad_to(vocab, n_vocab, true);
}

std::string detect_pre_tokenizer(const Json& pre, const std::string& file) {
  if (pre.is_null())
    throw Error(file + ": field 'pre_tokenizer' is missing; a byte-level BPE needs one");
  if (!pre.is_object()) throw Error(file + ": field 'pre_tokenizer' is not an object");
  std::vector<const Json*> parts;
  if (string_field(pre, "type", file, "pre_tokenizer.type") == "Sequence" &&
      pre.contains("pretokenizers") && pre["pretokenizers"].is_array()) {
    for (const Json& p : pre["pretokenizers"]) {
      if (!p.is_object())
        throw Error(file + ": field 'pre_tokenizer.pretokenizers' holds " + p.dump() +
                    ", not an object");
      parts.push_back(&p);
    }
  } else {
    parts.push_back(&pre);
  }
  std::string regex;
  bool byte_level_regex = false;
  for (const Json* p : parts) {
    const std::string type = string_field(*p, "type", file, "pre_tokenizer.type");
    if (type == "Split" && p->contains("pattern") && (*p)["pattern"].is_object()) {
      const Json& pattern = (*p)["pattern"];
      if (pattern.contains("Regex") && pattern["Regex"].is_string())
        regex = pattern["Regex"].get<std::string>();
    } else if (type == "ByteLevel") {
      byte_level_regex = bool_field(*p, "use_regex", file, "pre_tokenizer.use_regex", true);
    }
  }
  if (regex == kQwen2Regex) return "qwen2";
  if (regex == kLlama3Regex) return "llama-bpe";
  if (regex.empty() && byte_level_regex) return "gpt-2";
  throw Error(file +
              ": field 'pre_tokenizer' is not a recognised byte-level family (known: the "
              "qwen2 and llama3 Split patterns, GPT-2 ByteLevel); split pattern: '" +
              regex + "'");
}

void read_bpe(const fs::path& path, int64_t n_vocab, HfVocab& vocab) {
  const std::string file = path.string();
  const Json root = read_json(path);
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object())
    throw Error(file + ": field 'model' is missing");
  const Json& model = root["model"];
  const std::string type = string_field(model, "type", file, "model.type");
  if (type != "BPE")
    throw Error(file + ": field 'model.type' is '" + type + "', only BPE is supported");
  if (!model.contains("vocab") || !model["vocab"].is_object())
    throw Error(file + ": field 'model.vocab' is missing or not an object");
  vocab.model = "gpt2";
  vocab.pre = detect_pre_tokenizer(root.value("pre_tokenizer", Json()), file);
  vocab.tokens.assign(static_cast<size_t>(n_vocab), std::string());
  vocab.types.assign(static_cast<size_t>(n_vocab), -1);
  auto place = [&](const std::string& text, const Json& id_json, int32_t kind,
                   const std::string& field) {
    if (!id_json.is_number_integer())
      throw Error(file + ": field '" + field + "' token '" + text + "' has no integer id");
    const int64_t id = id_json.get<int64_t>();
    if (id < 0 || id >= n_vocab)
      throw Error(file + ": field '" + field + "' token '" + text + "' has id " +
                  std::to_string(id) + ", outside the model's " + std::to_string(n_vocab) +
                  " embedding rows");
    vocab.tokens[static_cast<size_t>(id)] = text;
    vocab.types[static_cast<size_t>(id)] = kind;
  };
  for (const auto& [text, id] : model["vocab"].items()) place(text, id, kNormal, "model.vocab");
  if (root.contains("added_tokens") && root["added_tokens"].is_array()) {
    for (const Json& a : root["added_tokens"]) {
      if (!a.is_object() || !a.contains("content") || !a["content"].is_string())
        throw Error(file + ": field 'added_tokens' holds an entry without 'content'");
      place(a["content"].get<std::string>(), a.value("id", Json()),
            bool_field(a, "special", file, "added_tokens.special", false) ? kControl : kUserDefined,
            "added_tokens");
    }
  }
  for (size_t i = 0; i < vocab.tokens.size(); ++i) {
    if (vocab.types[i] < 0) {
      vocab.tokens[i] = "[PAD" + std::to_string(i) + "]";
      vocab.types[i] = kUnused;
    }
  }
  if (!model.contains("merges") || !model["merges"].is_array())
    throw Error(file + ": field 'model.merges' is missing or not a list");
  for (const Json& m : model["merges"]) {
    if (m.is_string()) {
      vocab.merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      vocab.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    } else {
      throw Error(file + ": field 'model.merges' holds " + m.dump() + ", not a merge");
    }
  }
}

}  // namespace

HfVocab read_hf_tokenizer(const std::string& dir, const HfConfig& config, int64_t n_vocab) {
  const fs::path root(dir);
  HfVocab vocab;
  SpmModel spm;
  bool is_spm = false;
  std::error_code ec;
  if (fs::exists(root / "tokenizer.model", ec)) {
    read_sentencepiece(root / "tokenizer.model", n_vocab, vocab, spm);
    is_spm = true;
  } else if (fs::exists(root / "tokenizer.json", ec)) {
    read_bpe(root / "tokenizer.json", n_vocab, vocab);
  } else {
    throw Error(dir + ": no tokenizer.model or tokenizer.json");
  }

  // tokenizer_config.json: added tokens, special tokens, flags, chat template.
  const fs::path tc_path = root / "tokenizer_config.json";
  Json tc = Json::object();
  if (fs::exists(tc_path, ec)) tc = read_json(tc_path);
  if (!tc.is_object()) throw Error(tc_path.string() + ": not a JSON object");
  const std::string tc_name = tc_path.string();
  if (auto it = tc.find("added_tokens_decoder"); it != tc.end() && it->is_object()) {
    for (const auto& [id_text, data] : it->items()) {
      int64_t id = -1;
      try {
        id = std::stoll(id_text);
      } catch (const std::exception&) {
      }
      const auto content = token_content(data);
      if (id < 0 || !content)
        throw Error(tc_name + ": field 'added_tokens_decoder' entry '" + id_text +
                    "' is malformed");
      if (id >= n_vocab) continue;  // as llama.cpp: ignore ids past the embedding
      const bool special =
          bool_field(data, "special", tc_name, "added_tokens_decoder." + id_text + ".special", false);
      vocab.tokens[static_cast<size_t>(id)] = *content;
      vocab.types[static_cast<size_t>(id)] = special ? kControl : kUserDefined;
      if (is_spm) vocab.scores[static_cast<size_t>(id)] = -1000.0f;
    }
  }
  std::unordered_map<std::string, uint32_t> ids;
  for (size_t i = 0; i < vocab.tokens.size(); ++i)
    ids.emplace(vocab.tokens[i], static_cast<uint32_t>(i));
  auto resolve = [&](const char* field) -> std::optional<uint32_t> {
    auto it = tc.find(field);
    if (it == tc.end() || it->is_null()) return std::nullopt;
    const auto content = token_content(*it);
    if (!content) throw Error(tc_name + ": field '" + field + "' is not a token");
    auto id = ids.find(*content);
    if (id == ids.end()) return std::nullopt;  // not in the vocabulary: fall back below
    return id->second;
  };
  auto from_config = [&](const std::optional<int64_t>& id) -> std::optional<uint32_t> {
    if (id && *id >= 0 && *id < n_vocab) return static_cast<uint32_t>(*id);
    return std::nullopt;
  };
  auto from_spm = [&](int64_t id) -> std::optional<uint32_t> {
    if (is_spm && id >= 0 && id < n_vocab) return static_cast<uint32_t>(id);
    return std::nullopt;
  };
  vocab.bos = resolve("bos_token");
  if (!vocab.bos) vocab.bos = from_config(config.bos_token_id);
  if (!vocab.bos) vocab.bos = from_spm(spm.bos_id);
  vocab.eos = resolve("eos_token");
  if (!vocab.eos) vocab.eos = from_config(config.eos_token_id);
  if (!vocab.eos) vocab.eos = from_spm(spm.eos_id);
  vocab.unk = resolve("unk_token");
  if (!vocab.unk) vocab.unk = from_spm(spm.unk_id);
  vocab.pad = resolve("pad_token");
  if (!vocab.pad) vocab.pad = from_config(config.pad_token_id);
  if (!vocab.pad) vocab.pad = from_spm(spm.pad_id);
  for (const char* flag : {"add_bos_token", "add_eos_token"}) {
    auto it = tc.find(flag);
    if (it == tc.end() || it->is_null()) continue;
    if (!it->is_boolean()) throw Error(tc_name + ": field '" + flag + "' is not true or false");
    (std::strcmp(flag, "add_bos_token") == 0 ? vocab.add_bos : vocab.add_eos) = it->get<bool>();
  }
  if (auto it = tc.find("chat_template"); it != tc.end() && !it->is_null()) {
    if (it->is_string()) {
      vocab.chat_template = it->get<std::string>();
    } else if (it->is_array()) {
      for (const Json& t : *it) {
        if (!t.is_object() || !t.contains("template") || !t["template"].is_string())
          throw Error(tc_name + ": field 'chat_template' holds an entry without 'template'");
        if (!vocab.chat_template ||
            string_field(t, "name", tc_name, "chat_template.name") == "default")
          vocab.chat_template = t["template"].get<std::string>();
      }
    } else {
      throw Error(tc_name + ": field 'chat_template' is neither a string nor a list");
    }
  }
  if (!vocab.chat_template && fs::exists(root / "chat_template.jinja", ec))
    vocab.chat_template = read_file(root / "chat_template.jinja");
  return vocab;
}

void HfVocab::write_to(GgufWriter& w) const {
  w.set_string("tokenizer.ggml.model", model);
  w.set_string("tokenizer.ggml.pre", pre);
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  if (!scores.empty()) w.set_f32_array("tokenizer.ggml.scores", scores);
  w.set_i32_array("tokenizer.ggml.token_type", types);
  if (!merges.empty()) w.set_string_array("tokenizer.ggml.merges", merges);
  if (bos) w.set_u32("tokenizer.ggml.bos_token_id", *bos);
  if (eos) w.set_u32("tokenizer.ggml.eos_token_id", *eos);
  if (unk) w.set_u32("tokenizer.ggml.unknown_token_id", *unk);
  if (pad) w.set_u32("tokenizer.ggml.padding_token_id", *pad);
  if (add_bos) w.set_bool("tokenizer.ggml.add_bos_token", *add_bos);
  if (add_eos) w.set_bool("tokenizer.ggml.add_eos_token", *add_eos);
  if (add_space_prefix) w.set_bool("tokenizer.ggml.add_space_prefix", *add_space_prefix);
  if (chat_template) w.set_string("tokenizer.chat_template", *chat_template);
}

}  // namespace parley::llm

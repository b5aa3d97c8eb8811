// Manifest — the catalogue of models Parley knows: the small ones shipped in the repository's
// models/ folder and real ones it can download. Source of truth: models/manifest.json (schema in
// models/README.md); the binary embeds a copy at build time (embedded_manifest()).
//
//   {"schema": 1, "models": [
//     {"name": "parley-chat", "kind": "llm", "default": true, "entry": "llm/parley-chat.gguf",
//      "license": "MIT", "recipe": "models/recipes/llm/recipe.sh", "metrics": {"tool_calls": 0.97},
//      "files": [{"path": "llm/parley-chat.gguf", "sha256": "9f…", "size": 1400000}]},
//     {"name": "qwen2.5-0.5b-instruct-q4_k_m", "kind": "llm", "entry": "qwen/q.gguf", …,
//      "recipe": "external", "files": [{"path": "qwen/q.gguf", "url": "https://…",
//      "sha256": null, "size": null}]}]}
//
// Contracts
//   * Every path is relative to a models root folder (the shipped models/ folder or the user
//     models folder); absolute paths and ".." components are rejected.
//   * "sha256" is null (not verified) or exactly 64 hex digits (stored lower-case); "size" is
//     null or a non-negative integer. Both keys must be present.
//   * A model is downloadable when every file has a "url" (http:// or https://); a file with
//     "unpack": "tar" is an archive that fetch extracts into the root and then deletes.
//   * parse errors throw parley::Error naming the source and the field, e.g.
//     "manifest.json: models[2].files[0].sha256: expected 64 hex digits or null, got \"abc\"".
//
// Usage
//   Manifest manifest = Manifest::from_file("models/manifest.json");
//   const ModelEntry* llm = manifest.find("parley-chat");
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::models {

enum class ModelKind { kLlm, kAsr, kVad, kVoice };

std::string_view model_kind_name(ModelKind kind);  // "llm", "asr", "vad", "voice"
// Parses "llm" | "asr" | "vad" | "voice"; std::nullopt otherwise.
std::optional<ModelKind> parse_model_kind(std::string_view text);

struct ModelFile {
  std::string path;                   // relative to the models root
  std::optional<std::string> sha256;  // 64 lower-case hex digits; nullopt = not verified
  std::optional<uint64_t> size_bytes;
  std::string url;      // "" for shipped files
  bool unpack = false;  // a tar archive (any compression tar detects) extracted after download
};

struct ModelEntry {
  std::string name;
  ModelKind kind = ModelKind::kLlm;
  std::string entry;        // what the engine opens: the .gguf/.onnx file, or the ASR folder
  bool is_default = false;  // the shipped default of its kind
  std::string license;
  std::string recipe;        // path in the repository, or "external"
  std::string metrics_json;  // free-form object, compact JSON text ("{}" when absent)
  std::string description;   // optional one line
  std::vector<ModelFile> files;

  bool downloadable() const;  // every file has a url
};

struct Manifest {
  int schema = 1;
  std::vector<ModelEntry> models;

  // `source` (a file name) starts every error message. Throws parley::Error.
  static Manifest from_json(std::string_view json_text, const std::string& source);
  static Manifest from_file(const std::string& path);

  const ModelEntry* find(std::string_view name) const;           // nullptr when unknown
  std::vector<const ModelEntry*> of_kind(ModelKind kind) const;  // manifest order
};

// The models/manifest.json this binary was built with.
const Manifest& embedded_manifest();

}  // namespace parley::models

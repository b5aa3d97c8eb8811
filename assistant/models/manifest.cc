// Manifest parsing and validation (see manifest.h).
#include "assistant/models/manifest.h"

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernels/error.h"

namespace parley::models {
namespace {

using nlohmann::json;

constexpr const char* kEmbeddedManifest =
#include "manifest_json.inc"
    ;

[[noreturn]] void fail(const std::string& source, const std::string& field,
                       const std::string& what) {
  throw Error(source + ": " + field + ": " + what);
}

const json& require(const json& object, const char* key, const std::string& source,
                    const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) fail(source, where + "." + key, "missing field");
  return *it;
}

std::string require_string(const json& object, const char* key, const std::string& source,
                           const std::string& where, bool allow_empty = false) {
  const json& value = require(object, key, source, where);
  if (!value.is_string()) fail(source, where + "." + key, "expected a string, got " + value.dump());
  std::string text = value.get<std::string>();
  if (text.empty() && !allow_empty) fail(source, where + "." + key, "must not be empty");
  return text;
}

std::string optional_string(const json& object, const char* key, const std::string& source,
                            const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) fail(source, where + "." + key, "expected a string, got " + it->dump());
  return it->get<std::string>();
}

// Relative, no "..", no empty components: a manifest can never point outside its root.
void check_relative_path(const std::string& path, const std::string& source,
                         const std::string& field) {
  if (path.empty()) fail(source, field, "must not be empty");
  if (path.front() == '/')
    fail(source, field, "must be relative to the models folder, got \"" + path + "\"");
  std::stringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty() || part == "." || part == "..") {
      fail(source, field,
           "must be a plain relative path (no '..', '.' or '//'), got \"" + path + "\"");
    }
  }
}

bool is_hex_digest(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

ModelFile parse_file(const json& node, const std::string& source, const std::string& where) {
  if (!node.is_object()) fail(source, where, "expected an object");
  ModelFile file;
  file.path = require_string(node, "path", source, where);
  check_relative_path(file.path, source, where + ".path");

  const json& sha = require(node, "sha256", source, where);
  if (!sha.is_null()) {
    if (!sha.is_string() || !is_hex_digest(sha.get<std::string>())) {
      fail(source, where + ".sha256", "expected 64 hex digits or null, got " + sha.dump());
    }
    std::string digest = sha.get<std::string>();
    for (char& c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    file.sha256 = digest;
  }
  const json& size = require(node, "size", source, where);
  if (!size.is_null()) {
    if (!size.is_number_unsigned()) {
      fail(source, where + ".size", "expected a non-negative integer or null, got " + size.dump());
    }
    file.size_bytes = size.get<uint64_t>();
  }
  file.url = optional_string(node, "url", source, where);
  if (!file.url.empty() && file.url.rfind("http://", 0) != 0 &&
      file.url.rfind("https://", 0) != 0) {
    fail(source, where + ".url",
         "expected an http:// or https:// address, got \"" + file.url + "\"");
  }
  auto unpack = node.find("unpack");
  if (unpack != node.end() && !unpack->is_null()) {
    if (!unpack->is_string() || unpack->get<std::string>() != "tar") {
      fail(source, where + ".unpack", "expected \"tar\" or null, got " + unpack->dump());
    }
    file.unpack = true;
  }
  return file;
}

ModelEntry parse_model(const json& node, const std::string& source, const std::string& where) {
  if (!node.is_object()) fail(source, where, "expected an object");
  ModelEntry model;
  model.name = require_string(node, "name", source, where);
  std::string kind = require_string(node, "kind", source, where);
  std::optional<ModelKind> parsed_kind = parse_model_kind(kind);
  if (!parsed_kind)
    fail(source, where + ".kind", "expected llm, asr, vad or voice, got \"" + kind + "\"");
  model.kind = *parsed_kind;
  model.entry = require_string(node, "entry", source, where);
  check_relative_path(model.entry, source, where + ".entry");
  model.license = require_string(node, "license", source, where);
  model.recipe = require_string(node, "recipe", source, where);
  model.description = optional_string(node, "description", source, where);
  auto is_default = node.find("default");
  if (is_default != node.end()) {
    if (!is_default->is_boolean()) fail(source, where + ".default", "expected true or false");
    model.is_default = is_default->get<bool>();
  }
  auto metrics = node.find("metrics");
  if (metrics == node.end() || metrics->is_null()) {
    model.metrics_json = "{}";
  } else {
    if (!metrics->is_object()) fail(source, where + ".metrics", "expected an object");
    model.metrics_json = metrics->dump();
  }
  const json& files = require(node, "files", source, where);
  if (!files.is_array() || files.empty())
    fail(source, where + ".files", "expected a non-empty array");
  for (size_t i = 0; i < files.size(); ++i) {
    model.files.push_back(
        parse_file(files[i], source, where + ".files[" + std::to_string(i) + "]"));
  }
  bool any_url = false, all_url = true;
  for (const ModelFile& file : model.files) {
    any_url = any_url || !file.url.empty();
    all_url = all_url && !file.url.empty();
    if (file.unpack && file.url.empty()) {
      fail(source, where + ".files",
           "\"unpack\" is only meaningful for downloaded files (\"" + file.path + "\")");
    }
  }
  if (any_url && !all_url)
    fail(source, where + ".files", "either every file has a url or none has");
  return model;
}

}  // namespace

std::string_view model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::kLlm:
      return "llm";
    case ModelKind::kAsr:
      return "asr";
    case ModelKind::kVad:
      return "vad";
    case ModelKind::kVoice:
      return "voice";
  }
  return "?";
}

std::optional<ModelKind> parse_model_kind(std::string_view text) {
  for (ModelKind kind : {ModelKind::kLlm, ModelKind::kAsr, ModelKind::kVad, ModelKind::kVoice}) {
    if (model_kind_name(kind) == text) return kind;
  }
  return std::nullopt;
}

bool ModelEntry::downloadable() const {
  if (files.empty()) return false;
  for (const ModelFile& file : files) {
    if (file.url.empty()) return false;
  }
  return true;
}

Manifest Manifest::from_json(std::string_view json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    throw Error(source + ": invalid JSON: " + e.what());
  }
  if (!root.is_object()) fail(source, "(top level)", "expected an object");
  Manifest manifest;
  const json& schema = require(root, "schema", source, "(top level)");
  if (!schema.is_number_integer() || schema.get<int>() != 1) {
    fail(source, "schema", "expected 1, got " + schema.dump());
  }
  const json& models = require(root, "models", source, "(top level)");
  if (!models.is_array()) fail(source, "models", "expected an array");
  for (size_t i = 0; i < models.size(); ++i) {
    ModelEntry model = parse_model(models[i], source, "models[" + std::to_string(i) + "]");
    if (manifest.find(model.name) != nullptr) {
      fail(source, "models[" + std::to_string(i) + "].name",
           "duplicate name \"" + model.name + "\"");
    }
    manifest.models.push_back(std::move(model));
  }
  return manifest;
}

Manifest Manifest::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the manifest");
  std::stringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path);
}

const ModelEntry* Manifest::find(std::string_view name) const {
  for (const ModelEntry& model : models) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

std::vector<const ModelEntry*> Manifest::of_kind(ModelKind kind) const {
  std::vector<const ModelEntry*> out;
  for (const ModelEntry& model : models) {
    if (model.kind == kind) out.push_back(&model);
  }
  return out;
}

const Manifest& embedded_manifest() {
  static const Manifest manifest =
      Manifest::from_json(kEmbeddedManifest, "models/manifest.json (built in)");
  return manifest;
}

}  // namespace parley::models

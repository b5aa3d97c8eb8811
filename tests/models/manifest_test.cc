// Manifest parsing: a valid catalogue, and errors that name the field.
#include "assistant/models/manifest.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "kernels/error.h"

namespace parley::models {
namespace {

const char* kDigest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string manifest_with_file(const std::string& file_json, const std::string& extra = "") {
  return R"({"schema": 1, "models": [{"name": "m", "kind": "llm", "entry": "m.gguf", "license": "MIT",
            "recipe": "external")" +
         extra + R"(, "files": [)" + file_json + "]}]}";
}

// The message of the parley::Error that parsing `json` throws ("" if it parses).
std::string parse_error(const std::string& json) {
  try {
    Manifest::from_json(json, "test.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ManifestTest, ParsesAValidCatalogue) {
  Manifest manifest = Manifest::from_json(
      R"({"schema": 1, "models": [
           {"name": "tiny", "kind": "llm", "default": true, "entry": "llm/tiny.gguf", "license": "MIT",
            "recipe": "models/recipes/llm/recipe.sh", "metrics": {"tool_call_accuracy": 0.97},
            "files": [{"path": "llm/tiny.gguf", "sha256": ")" +
          std::string(kDigest) + R"(", "size": 3}]},
           {"name": "real", "kind": "asr", "entry": "real", "license": "Apache-2.0", "recipe": "external",
            "files": [{"path": "real.tar.bz2", "url": "https://example.org/real.tar.bz2",
                       "sha256": null, "size": null, "unpack": "tar"}]}]})",
      "test.json");
  ASSERT_EQ(manifest.models.size(), 2u);
  const ModelEntry* tiny = manifest.find("tiny");
  ASSERT_NE(tiny, nullptr);
  EXPECT_EQ(tiny->kind, ModelKind::kLlm);
  EXPECT_TRUE(tiny->is_default);
  EXPECT_FALSE(tiny->downloadable());
  EXPECT_EQ(tiny->files[0].sha256.value(), kDigest);
  EXPECT_EQ(tiny->files[0].size_bytes.value(), 3u);
  EXPECT_EQ(tiny->metrics_json, R"({"tool_call_accuracy":0.97})");
  const ModelEntry* real = manifest.find("real");
  ASSERT_NE(real, nullptr);
  EXPECT_TRUE(real->downloadable());
  EXPECT_FALSE(real->files[0].sha256.has_value());
  EXPECT_TRUE(real->files[0].unpack);
  EXPECT_EQ(manifest.of_kind(ModelKind::kAsr).size(), 1u);
  EXPECT_EQ(manifest.find("nope"), nullptr);
}

TEST(ManifestTest, UpperCaseDigestIsNormalised) {
  std::string upper = kDigest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Manifest manifest = Manifest::from_json(
      manifest_with_file(R"({"path": "m.gguf", "sha256": ")" + upper + R"(", "size": 1})"),
      "test.json");
  EXPECT_EQ(manifest.models[0].files[0].sha256.value(), kDigest);
}

TEST(ManifestTest, MissingFieldIsNamed) {
  std::string message = parse_error(manifest_with_file(R"({"sha256": null, "size": null})"));
  EXPECT_NE(message.find("test.json: models[0].files[0].path: missing field"), std::string::npos)
      << message;
  message = parse_error(manifest_with_file(R"({"path": "m.gguf", "size": null})"));
  EXPECT_NE(message.find("models[0].files[0].sha256: missing field"), std::string::npos) << message;
  message = parse_error(
      R"({"schema": 1, "models": [{"name": "m", "kind": "llm", "entry": "m", "recipe": "x",
                            "files": [{"path": "m", "sha256": null, "size": null}]}]})");
  EXPECT_NE(message.find("models[0].license: missing field"), std::string::npos) << message;
  message = parse_error(R"({"models": []})");
  EXPECT_NE(message.find("(top level).schema: missing field"), std::string::npos) << message;
}

TEST(ManifestTest, BadSha256IsNamed) {
  std::string message =
      parse_error(manifest_with_file(R"({"path": "m.gguf", "sha256": "abc123", "size": 1})"));
  EXPECT_NE(message.find("models[0].files[0].sha256: expected 64 hex digits or null"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("abc123"), std::string::npos) << message;
  std::string not_hex(64, 'g');
  message = parse_error(
      manifest_with_file(R"({"path": "m.gguf", "sha256": ")" + not_hex + R"(", "size": 1})"));
  EXPECT_NE(message.find("files[0].sha256"), std::string::npos) << message;
}

TEST(ManifestTest, OtherBadValuesAreNamed) {
  EXPECT_NE(parse_error(manifest_with_file(R"({"path": "m", "sha256": null, "size": -4})"))
                .find("files[0].size"),
            std::string::npos);
  EXPECT_NE(
      parse_error(manifest_with_file(R"({"path": "../etc/passwd", "sha256": null, "size": null})"))
          .find("files[0].path: must be a plain relative path"),
      std::string::npos);
  EXPECT_NE(parse_error(manifest_with_file(R"({"path": "/abs", "sha256": null, "size": null})"))
                .find("files[0].path"),
            std::string::npos);
  EXPECT_NE(parse_error(manifest_with_file(
                            R"({"path": "m", "sha256": null, "size": null, "url": "ftp://x/m"})"))
                .find("files[0].url"),
            std::string::npos);
  EXPECT_NE(
      parse_error(
          R"({"schema": 1, "models": [{"name": "m", "kind": "tts", "entry": "m", "license": "x",
                           "recipe": "x", "files": [{"path": "m", "sha256": null, "size": null}]}]})")
          .find("models[0].kind: expected llm, asr, vad or voice"),
      std::string::npos);
  EXPECT_NE(parse_error(manifest_with_file(
                            R"({"path": "a", "sha256": null, "size": null, "url": "https://x/a"},
                               {"path": "b", "sha256": null, "size": null})"))
                .find("either every file has a url or none has"),
            std::string::npos);
  EXPECT_NE(parse_error("{not json").find("test.json: invalid JSON"), std::string::npos);
  std::string two = R"({"schema": 1, "models": [
      {"name": "m", "kind": "llm", "entry": "m", "license": "x", "recipe": "x", "files": [{"path": "m", "sha256": null, "size": null}]},
      {"name": "m", "kind": "llm", "entry": "n", "license": "x", "recipe": "x", "files": [{"path": "n", "sha256": null, "size": null}]}]})";
  EXPECT_NE(parse_error(two).find("models[1].name: duplicate name"), std::string::npos);
}

// The repository's own manifest: parses, equals the embedded copy, and every real model is
// fetched over https.
TEST(ManifestTest, RepositoryManifestIsValid) {
  std::string path = std::string(PARLEY_SOURCE_DIR) + "/models/manifest.json";
  Manifest manifest = Manifest::from_file(path);
  EXPECT_EQ(manifest.models.size(), embedded_manifest().models.size());
  for (ModelKind kind : {ModelKind::kLlm, ModelKind::kAsr, ModelKind::kVad, ModelKind::kVoice}) {
    EXPECT_FALSE(manifest.of_kind(kind).empty()) << model_kind_name(kind);
  }
  for (const ModelEntry& model : manifest.models) {
    if (!model.downloadable()) {
      EXPECT_NE(model.recipe, "external") << model.name;
      continue;
    }
    for (const ModelFile& file : model.files)
      EXPECT_EQ(file.url.rfind("https://", 0), 0u) << model.name;
  }
}

}  // namespace
}  // namespace parley::models

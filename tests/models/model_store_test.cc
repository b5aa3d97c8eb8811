// Default-model lookup order, installed-model scan, and fetch_model against a local server.
#include "assistant/models/model_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "assistant/models/checksum.h"
#include "kernels/error.h"
#include "tests/models/local_http_server.h"

namespace parley::models {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Two llm models (a downloadable one listed first, then the shipped default) and one asr folder.
Manifest test_manifest(const std::string& chat_sha256 = "null") {
  return Manifest::from_json(
      R"({"schema": 1, "models": [
        {"name": "big", "kind": "llm", "entry": "big.gguf", "license": "x", "recipe": "external",
         "files": [{"path": "big.gguf", "url": "https://example.org/big.gguf", "sha256": null, "size": null}]},
        {"name": "chat", "kind": "llm", "default": true, "entry": "llm/chat.gguf", "license": "x",
         "recipe": "r", "files": [{"path": "llm/chat.gguf", "sha256": )" +
          chat_sha256 + R"(, "size": 5}]},
        {"name": "ears", "kind": "asr", "default": true, "entry": "asr", "license": "x", "recipe": "r",
         "files": [{"path": "asr/tokens.txt", "sha256": null, "size": null}]}]})",
      "test.json");
}

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("parley_store_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    roots_ = {{(base_ / "user").string(), "user"},
              {(base_ / "installed").string(), "installed"},
              {(base_ / "source").string(), "source"}};
  }
  void TearDown() override { fs::remove_all(base_); }
  std::string root(int i) const { return roots_[i].path; }

  fs::path base_;
  std::vector<SearchRoot> roots_;
  Manifest manifest_ = test_manifest();
};

TEST_F(ModelStoreTest, LookupOrder) {
  write_file(fs::path(root(2)) / "llm/chat.gguf", "chat2");
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "", "", manifest_, roots_), root(2) + "/llm/chat.gguf");
  write_file(fs::path(root(1)) / "llm/chat.gguf", "chat1");  // installed tree beats source tree
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "", "", manifest_, roots_), root(1) + "/llm/chat.gguf");
  write_file(fs::path(root(0)) / "big.gguf", "big");  // the user folder beats both
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "", "", manifest_, roots_), root(0) + "/big.gguf");

  fs::path config_file = base_ / "config.gguf";
  fs::path flag_file = base_ / "flag.gguf";
  write_file(config_file, "c");
  write_file(flag_file, "f");
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "", config_file.string(), manifest_, roots_),
            config_file.string());
  EXPECT_EQ(
      resolve_model(ModelKind::kLlm, flag_file.string(), config_file.string(), manifest_, roots_),
      flag_file.string());
  // A manifest name as the value: looked up in the roots.
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "chat", "", manifest_, roots_),
            root(1) + "/llm/chat.gguf");
}

TEST_F(ModelStoreTest, WithinARootManifestOrderDecides) {
  write_file(fs::path(root(1)) / "llm/chat.gguf", "chat1");
  write_file(fs::path(root(1)) / "big.gguf", "big");
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "", "", manifest_, roots_), root(1) + "/big.gguf");
}

TEST_F(ModelStoreTest, AsrIsAFolder) {
  // A folder holding only a model card is not an installed model: the lookup moves on.
  write_file(fs::path(root(1)) / "asr/MODEL_CARD.md", "card");
  EXPECT_THROW(resolve_model(ModelKind::kAsr, "", "", manifest_, roots_), Error);
  EXPECT_FALSE(scan_models(manifest_, roots_, false)[2].installed());
  write_file(fs::path(root(2)) / "asr/tokens.txt", "<blk> 0\n");
  EXPECT_EQ(resolve_model(ModelKind::kAsr, "", "", manifest_, roots_), root(2) + "/asr");
}

TEST_F(ModelStoreTest, NothingFoundListsEveryFolder) {
  try {
    resolve_model(ModelKind::kLlm, "", "", manifest_, roots_);
    FAIL() << "no model, yet no error";
  } catch (const Error& e) {
    std::string message = e.what();
    for (const SearchRoot& r : roots_)
      EXPECT_NE(message.find(r.path), std::string::npos) << message;
    EXPECT_NE(message.find("llm/chat.gguf"), std::string::npos) << message;
    EXPECT_NE(message.find("big.gguf"), std::string::npos) << message;
  }
}

TEST_F(ModelStoreTest, BadExplicitValuesAreErrors) {
  try {
    resolve_model(ModelKind::kLlm, "/no/such.gguf", "", manifest_, roots_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--llm \"/no/such.gguf\": no such file"),
              std::string::npos)
        << e.what();
  }
  try {
    resolve_model(ModelKind::kLlm, "", "big", manifest_, roots_);  // known name, not installed
    FAIL();
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("config models.llm names the model \"big\""), std::string::npos)
        << message;
    EXPECT_NE(message.find("parley models fetch big"), std::string::npos) << message;
  }
  // A name of another kind is not accepted.
  EXPECT_THROW(resolve_model(ModelKind::kVad, "chat", "", manifest_, roots_), Error);
  EXPECT_EQ(resolve_model(ModelKind::kVoice, "espeak:en-us", "", manifest_, roots_),
            "espeak:en-us");
}

TEST_F(ModelStoreTest, UserFolderFromEnvironment) {
  // Each test runs in its own process (gtest_discover_tests), but restore the variables anyway.
  const char* saved = std::getenv("PARLEY_MODELS");
  const char* saved_xdg = std::getenv("XDG_DATA_HOME");
  std::string saved_value = saved ? saved : "", saved_xdg_value = saved_xdg ? saved_xdg : "";
  ::setenv("PARLEY_MODELS", root(0).c_str(), 1);
  EXPECT_EQ(user_models_dir(), root(0));
  std::vector<SearchRoot> roots = default_search_roots();
  ASSERT_GE(roots.size(), 2u);
  EXPECT_EQ(roots[0].path, root(0));
  EXPECT_EQ(roots.back().path,
            fs::path(std::string(PARLEY_SOURCE_DIR) + "/models").lexically_normal().string());
  ::unsetenv("PARLEY_MODELS");
  ::setenv("XDG_DATA_HOME", base_.c_str(), 1);
  EXPECT_EQ(user_models_dir(), (base_ / "parley/models").string());
  ::unsetenv("XDG_DATA_HOME");
  if (saved) ::setenv("PARLEY_MODELS", saved_value.c_str(), 1);
  if (saved_xdg) ::setenv("XDG_DATA_HOME", saved_xdg_value.c_str(), 1);
}

TEST_F(ModelStoreTest, ScanMarksOkCorruptPartialMissing) {
  Manifest manifest = test_manifest("\"" + sha256_hex("hello") + "\"");
  write_file(fs::path(root(1)) / "llm/chat.gguf", "hello");
  write_file(fs::path(root(0)) / "big.gguf.part", "half");
  std::vector<ModelStatus> statuses = scan_models(manifest, roots_, /*verify=*/true);
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_FALSE(statuses[0].installed());
  EXPECT_EQ(statuses[0].files[0].state, FileState::kPartial);
  EXPECT_TRUE(statuses[1].ok());
  EXPECT_EQ(statuses[1].root, root(1));
  EXPECT_EQ(statuses[1].files[0].state, FileState::kOk);
  EXPECT_EQ(statuses[2].files[0].state, FileState::kMissing);

  write_file(fs::path(root(1)) / "llm/chat.gguf", "jello");  // same size, different bytes
  statuses = scan_models(manifest, roots_, true);
  EXPECT_EQ(statuses[1].files[0].state, FileState::kCorrupt);
  EXPECT_EQ(statuses[1].files[0].actual_sha256, sha256_hex("jello"));
  EXPECT_FALSE(statuses[1].ok());
  write_file(fs::path(root(1)) / "llm/chat.gguf", "hello!");
  EXPECT_EQ(scan_models(manifest, roots_, true)[1].files[0].state, FileState::kWrongSize);
}

TEST_F(ModelStoreTest, FetchDownloadsVerifiesAndSkipsWhatIsThere) {
  const std::string payload = testing::make_payload(50000, 3);
  testing::LocalHttpServer server(payload, 1000);
  Manifest manifest = Manifest::from_json(
      R"({"schema": 1, "models": [{"name": "net", "kind": "llm", "entry": "net/m.gguf", "license": "x",
          "recipe": "external", "files": [{"path": "net/m.gguf", "url": ")" +
          server.url("/file") + R"(", "sha256": ")" + sha256_hex(payload) +
          R"(", "size": 50000}]}]})",
      "test.json");
  DownloadOptions options;
  options.max_attempts = 1;
  FetchResult first = fetch_model(manifest.models[0], root(0), options);
  EXPECT_EQ(first.downloaded_files, 1);
  EXPECT_EQ(first.entry_path, root(0) + "/net/m.gguf");
  EXPECT_EQ(sha256_file(first.entry_path), sha256_hex(payload));
  FetchResult second = fetch_model(manifest.models[0], root(0), options);
  EXPECT_EQ(second.downloaded_files, 0);
  EXPECT_EQ(second.skipped_files, 1);
  EXPECT_EQ(server.ranges().size(), 1u);
  EXPECT_EQ(resolve_model(ModelKind::kLlm, "net", "", manifest, roots_), first.entry_path);
  // Shipped models cannot be fetched.
  EXPECT_THROW(fetch_model(manifest_.models[1], root(0), options), Error);
}

TEST_F(ModelStoreTest, FetchUnpacksTarArchives) {
  if (std::system("tar --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "tar is not installed";
  fs::path staging = base_ / "staging";
  write_file(staging / "voice-pack/tokens.txt", "a 0\nb 1\n");
  std::string archive = (base_ / "pack.tar.gz").string();
  std::string command = "tar -czf '" + archive + "' -C '" + staging.string() + "' voice-pack";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(archive, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  testing::LocalHttpServer server(bytes, 10);
  Manifest manifest = Manifest::from_json(
      R"({"schema": 1, "models": [{"name": "pack", "kind": "asr", "entry": "voice-pack", "license": "x",
          "recipe": "external", "files": [{"path": "pack.tar.gz", "url": ")" +
          server.url("/file") + R"(", "sha256": ")" + sha256_hex(bytes) +
          R"(", "size": null, "unpack": "tar"}]}]})",
      "test.json");
  FetchResult result = fetch_model(manifest.models[0], root(0));
  EXPECT_EQ(result.entry_path, root(0) + "/voice-pack");
  EXPECT_TRUE(fs::exists(root(0) + "/voice-pack/tokens.txt"));
  EXPECT_FALSE(fs::exists(root(0) + "/pack.tar.gz"));  // the archive is removed after extraction
  std::vector<ModelStatus> statuses = scan_models(manifest, roots_, true);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_EQ(statuses[0].files[0].state, FileState::kUnpacked);
  EXPECT_EQ(fetch_model(manifest.models[0], root(0)).downloaded_files, 0);  // already unpacked
}

}  // namespace
}  // namespace parley::models

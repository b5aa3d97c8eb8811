// `parley models` end to end: fetch from a local server (the first transfer is cut and resumed),
// list with verified checksums (JSON), detect corruption, `which`, and a rejected checksum.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "assistant/models/checksum.h"
#include "tests/common/run_command.h"
#include "tests/models/local_http_server.h"

namespace parley::models {
namespace {

namespace fs = std::filesystem;

using ChildRun = test::CommandResult;

ChildRun run_parley(const std::string& arguments, bool with_stderr = true) {
  std::string command =
      std::string(PARLEY_BINARY) + " " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  return test::run_command(command);
}

class ModelsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(PARLEY_BINARY)) GTEST_SKIP() << "parley binary not built: " << PARLEY_BINARY;
    base_ = fs::temp_directory_path() /
            ("parley_models_cli_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "user");
    ::setenv("PARLEY_MODELS", (base_ / "user").c_str(), 1);  // inherited by the child
  }
  void TearDown() override { fs::remove_all(base_); }

  std::string write_manifest(const std::string& url, const std::string& sha256) {
    std::string path = (base_ / "manifest.json").string();
    std::ofstream(path)
        << R"({"schema": 1, "models": [{"name": "net", "kind": "llm", "entry": "net/m.gguf",
        "license": "x", "recipe": "external", "metrics": {"score": 1},
        "files": [{"path": "net/m.gguf", "url": ")"
        << url << R"(", "sha256": ")" << sha256 << R"(", "size": null}]}]})";
    return path;
  }

  fs::path base_;
  const std::string payload_ = testing::make_payload(200000, 11);
  testing::LocalHttpServer server_{payload_, 70000};
};

TEST_F(ModelsCliTest, FetchListWhichAndCorruption) {
  std::string manifest = write_manifest(server_.url("/flaky"), sha256_hex(payload_));
  std::string dest = (base_ / "d").string();
  ChildRun fetch = run_parley("models fetch net --manifest " + manifest + " --dir " + dest);
  ASSERT_EQ(fetch.exit_code, 0) << fetch.output;
  EXPECT_NE(fetch.output.find("retrying from byte"), std::string::npos) << fetch.output;
  std::ifstream in(dest + "/net/m.gguf", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, payload_);

  ChildRun list =
      run_parley("models --json --manifest " + manifest + " --dir " + dest, /*with_stderr=*/false);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  nlohmann::json json = nlohmann::json::parse(list.output);
  ASSERT_EQ(json["models"].size(), 1u);
  EXPECT_EQ(json["models"][0]["ok"], true);
  EXPECT_EQ(json["models"][0]["files"][0]["state"], "ok");
  EXPECT_EQ(json["models"][0]["files"][0]["sha256"], sha256_hex(payload_));
  EXPECT_EQ(json["models"][0]["metrics"]["score"], 1);
  EXPECT_EQ(json["folders"][0]["path"], dest);

  ChildRun which = run_parley("models which llm --manifest " + manifest + " --dir " + dest, false);
  EXPECT_EQ(which.exit_code, 0);
  EXPECT_EQ(which.output, dest + "/net/m.gguf\n");

  std::ofstream(dest + "/net/m.gguf", std::ios::binary) << std::string(payload_.size(), 'z');
  ChildRun corrupt = run_parley("models --manifest " + manifest + " --dir " + dest);
  EXPECT_NE(corrupt.exit_code, 0);
  EXPECT_NE(corrupt.output.find("CORRUPT"), std::string::npos) << corrupt.output;
  EXPECT_NE(corrupt.output.find(sha256_hex(payload_)), std::string::npos) << corrupt.output;
}

TEST_F(ModelsCliTest, ChecksumMismatchFailsAndLeavesNothing) {
  std::string wrong = sha256_hex("not the payload");
  std::string manifest = write_manifest(server_.url("/file"), wrong);
  std::string dest = (base_ / "d").string();
  ChildRun fetch = run_parley("models fetch net --manifest " + manifest + " --dir " + dest);
  EXPECT_EQ(fetch.exit_code, 1);
  EXPECT_NE(fetch.output.find("checksum mismatch"), std::string::npos) << fetch.output;
  EXPECT_NE(fetch.output.find(wrong), std::string::npos) << fetch.output;
  EXPECT_FALSE(fs::exists(dest + "/net/m.gguf"));
  EXPECT_FALSE(fs::exists(dest + "/net/m.gguf.part"));
}

TEST_F(ModelsCliTest, UnknownNameListsDownloadableModels) {
  ChildRun fetch = run_parley("models fetch no-such-model");
  EXPECT_EQ(fetch.exit_code, 1);
  EXPECT_NE(fetch.output.find("unknown model \"no-such-model\""), std::string::npos)
      << fetch.output;
  EXPECT_NE(fetch.output.find("qwen2.5-0.5b-instruct-q4_k_m"), std::string::npos) << fetch.output;
}

}  // namespace
}  // namespace parley::models

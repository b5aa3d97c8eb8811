// download_file against a local cpp-httplib server: full transfer, interrupted transfer resumed
// with Range, a server that ignores Range, checksum mismatch, HTTP 404, redirects.
#include "assistant/models/download.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "assistant/models/checksum.h"
#include "kernels/error.h"
#include "tests/common/file_size_limit.h"
#include "tests/models/local_http_server.h"

namespace parley::models {
namespace {

namespace fs = std::filesystem;
using testing::LocalHttpServer;
using testing::make_payload;

constexpr size_t kPayloadBytes = 300000;
constexpr size_t kCutAfterBytes = 100000;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley_download_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.max_attempts = 1;
    options_.read_timeout_s = 10;
    options_.on_log = [this](const std::string& message) { log_ += message + "\n"; };
  }
  void TearDown() override { fs::remove_all(dir_); }

  const std::string payload_ = make_payload(kPayloadBytes, 7);
  const std::string digest_ = sha256_hex(payload_);
  LocalHttpServer server_{payload_, kCutAfterBytes};
  fs::path dir_;
  DownloadOptions options_;
  std::string log_;
};

TEST(ChecksumTest, KnownVectors) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_F(DownloadTest, FullDownloadWithChecksum) {
  fs::path dest = dir_ / "sub" / "model.bin";
  uint64_t last_done = 0, last_total = 0;
  options_.on_progress = [&](uint64_t done, uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  DownloadResult result =
      download_file(server_.url("/file"), dest.string(), digest_, kPayloadBytes, options_);
  EXPECT_TRUE(result.verified);
  EXPECT_EQ(result.sha256, digest_);
  EXPECT_EQ(result.size_bytes, kPayloadBytes);
  EXPECT_EQ(result.resumed_from_bytes, 0u);
  EXPECT_EQ(last_done, kPayloadBytes);
  EXPECT_EQ(last_total, kPayloadBytes);
  EXPECT_EQ(read_all(dest), payload_);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  ASSERT_EQ(server_.ranges().size(), 1u);
  EXPECT_EQ(server_.ranges()[0], "");  // no Range on a fresh download
}

TEST_F(DownloadTest, InterruptedTransferResumesWithRange) {
  fs::path dest = dir_ / "model.bin";
  try {
    download_file(server_.url("/flaky"), dest.string(), digest_, kPayloadBytes, options_);
    FAIL() << "the cut connection was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("network error"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/flaky"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest)) << "a partial file was left under the final name";
  ASSERT_TRUE(fs::exists(dest.string() + ".part"));
  uint64_t kept = fs::file_size(dest.string() + ".part");
  EXPECT_GT(kept, 0u);
  EXPECT_LE(kept, kCutAfterBytes);
  EXPECT_EQ(read_all(dest.string() + ".part"), payload_.substr(0, kept));

  DownloadResult result =
      download_file(server_.url("/flaky"), dest.string(), digest_, kPayloadBytes, options_);
  EXPECT_EQ(result.resumed_from_bytes, kept);
  EXPECT_FALSE(result.range_ignored);
  EXPECT_TRUE(result.verified);
  EXPECT_EQ(read_all(dest), payload_);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
  std::vector<std::string> ranges = server_.ranges();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[1], "bytes=" + std::to_string(kept) + "-");
}

// The disk fills up mid-download (tests/common/file_size_limit.h): a clear error naming the file,
// nothing under the final name, and the bytes that fitted kept in .part so that the next run,
// with room again, resumes and verifies.
TEST_F(DownloadTest, DiskFullIsAClearErrorAndTheNextRunResumes) {
  fs::path dest = dir_ / "model.bin";
  {
    parley::test::FileSizeLimit limit(kCutAfterBytes);
    ASSERT_TRUE(limit.ok());
    try {
      download_file(server_.url("/file"), dest.string(), digest_, kPayloadBytes, options_);
      FAIL() << "the full disk was not reported";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("write failed"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(dest.string() + ".part"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(dest)) << "a partial file was left under the final name";
  ASSERT_TRUE(fs::exists(dest.string() + ".part"));
  EXPECT_LE(fs::file_size(dest.string() + ".part"), kCutAfterBytes);
  DownloadResult result =
      download_file(server_.url("/file"), dest.string(), digest_, kPayloadBytes, options_);
  EXPECT_TRUE(result.verified);
  EXPECT_GT(result.resumed_from_bytes, 0u);
  EXPECT_EQ(read_all(dest), payload_);
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(DownloadTest, RetriesWithinOneCallResumeToo) {
  fs::path dest = dir_ / "model.bin";
  options_.max_attempts = 3;
  DownloadResult result =
      download_file(server_.url("/flaky"), dest.string(), digest_, kPayloadBytes, options_);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(read_all(dest), payload_);
  ASSERT_EQ(server_.ranges().size(), 2u);
  EXPECT_EQ(server_.ranges()[1].rfind("bytes=", 0), 0u);
}

TEST_F(DownloadTest, ServerIgnoringRangeRestartsFromZero) {
  fs::path dest = dir_ / "model.bin";
  // A stale .part whose bytes are NOT the payload's: appending the full body to it would corrupt.
  { std::ofstream(dest.string() + ".part", std::ios::binary) << std::string(5000, 'x'); }
  DownloadResult result =
      download_file(server_.url("/norange"), dest.string(), digest_, kPayloadBytes, options_);
  EXPECT_EQ(result.resumed_from_bytes, 5000u);
  EXPECT_TRUE(result.range_ignored);
  EXPECT_EQ(read_all(dest), payload_);
  EXPECT_NE(log_.find("ignored the Range request"), std::string::npos) << log_;
  ASSERT_EQ(server_.ranges().size(), 1u);
  EXPECT_EQ(server_.ranges()[0], "bytes=5000-");
}

TEST_F(DownloadTest, ChecksumMismatchLeavesNoFile) {
  fs::path dest = dir_ / "model.bin";
  const std::string wrong = sha256_hex("something else");
  try {
    download_file(server_.url("/file"), dest.string(), wrong, std::nullopt, options_);
    FAIL() << "a wrong checksum was accepted";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << message;
    EXPECT_NE(message.find(dest.string()), std::string::npos) << message;
    EXPECT_NE(message.find(wrong), std::string::npos) << message;
    EXPECT_NE(message.find(digest_), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_FALSE(fs::exists(dest.string() + ".part"));
}

TEST_F(DownloadTest, WrongSizeIsRejected) {
  fs::path dest = dir_ / "model.bin";
  EXPECT_THROW(download_file(server_.url("/norange"), dest.string(), std::nullopt,
                             kPayloadBytes + 1, options_),
               Error);
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(DownloadTest, NotFoundNamesTheUrl) {
  fs::path dest = dir_ / "model.bin";
  const std::string url = server_.url("/no/such/model.gguf");
  try {
    download_file(url, dest.string(), digest_, std::nullopt, options_);
    FAIL() << "404 was not reported";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(url), std::string::npos) << message;
    EXPECT_NE(message.find("HTTP 404"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(DownloadTest, FollowsRedirects) {
  fs::path dest = dir_ / "model.bin";
  DownloadResult result =
      download_file(server_.url("/redirect"), dest.string(), digest_, kPayloadBytes, options_);
  EXPECT_TRUE(result.verified);
  EXPECT_EQ(read_all(dest), payload_);
  EXPECT_EQ(server_.ranges().size(), 2u);  // the 302 and the file
}

TEST_F(DownloadTest, UnknownChecksumWarnsAndKeepsTheFile) {
  fs::path dest = dir_ / "model.bin";
  DownloadResult result =
      download_file(server_.url("/file"), dest.string(), std::nullopt, std::nullopt, options_);
  EXPECT_FALSE(result.verified);
  EXPECT_EQ(result.sha256, digest_);
  EXPECT_NE(log_.find("NOT verified"), std::string::npos) << log_;
  EXPECT_NE(log_.find(digest_), std::string::npos) << log_;
  EXPECT_EQ(read_all(dest), payload_);
}

TEST_F(DownloadTest, ConnectionRefusedIsANetworkError) {
  // Bind a socket to a free port and close it again: nothing listens there afterwards.
  int port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
    ::close(fd);
  }
  fs::path dest = dir_ / "model.bin";
  try {
    download_file("http://127.0.0.1:" + std::to_string(port) + "/x", dest.string(), std::nullopt,
                  std::nullopt, options_);
    FAIL() << "a refused connection was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("network error"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest));
}

TEST(UrlTest, SplitAndResolve) {
  UrlParts parts = split_url("https://huggingface.co:443/a/b.gguf?download=1");
  EXPECT_EQ(parts.scheme_host_port, "https://huggingface.co:443");
  EXPECT_EQ(parts.path, "/a/b.gguf?download=1");
  EXPECT_EQ(split_url("http://h").path, "/");
  EXPECT_THROW(split_url("ftp://h/x"), Error);
  EXPECT_THROW(split_url("no-scheme"), Error);
  EXPECT_EQ(resolve_location("https://a.org/x/y", "/z"), "https://a.org/z");
  EXPECT_EQ(resolve_location("https://a.org/x/y", "z"), "https://a.org/x/z");
  EXPECT_EQ(resolve_location("https://a.org/x/y", "//cdn.org/q"), "https://cdn.org/q");
  EXPECT_EQ(resolve_location("https://a.org/x/y", "http://b.org/"), "http://b.org/");
}

}  // namespace
}  // namespace parley::models

// The remote LLM backend end to end: `parley converse` (the voice pipeline on a file) with
// remote_llm pointing at an in-process `parley serve`, then at a port where nothing listens (the
// spoken fallback). ASR: the tiny LSTM fixture (random weights: some transcript, not words).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/common/run_command.h"
#include "tests/server/server_fixture.h"

namespace parley::assistant::server {
namespace {

using testing_support::TestServer;

const std::string kAsr = std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny";

std::string make_question() {
  const std::string path = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_remote_question.wav";
  if (std::system(("espeak-ng -w " + path + " 'what time is it' 2>/dev/null").c_str()) != 0) return "";
  return path;
}

test::CommandResult converse(const std::string& question, const std::string& url) {
  return test::run_command(std::string(PARLEY_BINARY) + " converse --lockstep --in " + question + " --asr " + kAsr +
                           " --set remote_llm.enabled=true --set remote_llm.url=" + url +
                           " --set remote_llm.timeout_s=5 --set llm.max_tokens=8 2>&1");
}

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(RemoteBackend, ConverseThinksWithAnotherParleyServe) {
  const std::string question = make_question();
  if (question.empty()) GTEST_SKIP() << "espeak-ng is not installed";
  TestServer server;
  const test::CommandResult r = converse(question, "http://127.0.0.1:" + std::to_string(server.port) + "/v1");
  std::filesystem::remove(question);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("llm remote http://127.0.0.1:"), std::string::npos) << r.output;
  const size_t reply = r.output.find("  reply:  ");
  ASSERT_NE(reply, std::string::npos) << r.output;
  const std::string reply_line = r.output.substr(reply + 10, r.output.find('\n', reply) - reply - 10);
  EXPECT_FALSE(reply_line.empty()) << r.output;
  EXPECT_EQ(reply_line.find("can't reach"), std::string::npos) << r.output;
  // The reply came from the server: one streamed chat request in its access log.
  const std::string log = server.wait_for_log("path=/v1/chat/completions status=200");
  EXPECT_NE(log.find("path=/v1/chat/completions status=200"), std::string::npos) << log;
}

TEST(RemoteBackend, UnreachableServerIsAnsweredWithTheFallback) {
  const std::string question = make_question();
  if (question.empty()) GTEST_SKIP() << "espeak-ng is not installed";
  const test::CommandResult r = converse(question, "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1");
  std::filesystem::remove(question);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  reply:  Sorry, I can't reach my language model right now."), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace parley::assistant::server

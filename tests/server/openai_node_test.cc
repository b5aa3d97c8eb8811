// Runs tests/server/openai_client_test.mjs — the real `openai` npm client against a spawned
// `parley serve` — on the random test model. Skips when node or the openai package is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "server_fixture.h"

namespace {

TEST(OpenAiNodeClient, ChatWholeAndStreamedAgainstParleyServe) {
  if (std::system("command -v node > /dev/null 2>&1") != 0) GTEST_SKIP() << "node not found";
  if (!std::filesystem::exists(std::string(PARLEY_REFS_DIR) + "/openai/package.json"))
    GTEST_SKIP() << "the openai package is not in " << PARLEY_REFS_DIR
                 << " (run scripts/reference_tools.sh)";
  const std::string model = parley::assistant::server::testing_support::random_chat_model_path();
  const std::string command = "PARLEY_BINARY='" + std::string(PARLEY_BINARY) +
                              "' PARLEY_TEST_MODEL='" + model + "' PARLEY_REFS_DIR='" +
                              PARLEY_REFS_DIR + "' node '" + PARLEY_SOURCE_DIR +
                              "/tests/server/openai_client_test.mjs' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) GTEST_SKIP() << output;
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("openai client: ok"), std::string::npos) << output;
  std::printf("%s", output.c_str());
}

}  // namespace

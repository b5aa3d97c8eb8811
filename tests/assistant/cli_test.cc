// The `parley` binary as a user meets it: errors are one clear line and a non-zero exit;
// `pipe --raw` continues a prompt exactly as llama.cpp does on the shared TinyStories model.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/assistant/test_wav.h"
#include "tests/common/run_command.h"

namespace {

using Result = parley::test::CommandResult;

Result run(const std::string& args, const std::string& stdin_text = "") {
  // One stdin file per process and call: CTest runs these tests in parallel processes.
  static int calls = 0;
  const std::string input = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_cli_stdin_" + std::to_string(::getpid()) +
                            "_" + std::to_string(++calls) + ".txt";
  std::ofstream(input) << stdin_text;
  const std::string command = std::string(PARLEY_BINARY) + " " + args + " < " + input + " 2>&1";
  return parley::test::run_command(command);
}

TEST(Cli, MissingModelFileIsOneClearLine) {
  const Result r = run("inspect /nonexistent/model.gguf");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/model.gguf"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(Cli, NotAModelAndCorruptModelAreRejected) {
  const std::string text_file = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_not_a_model.txt";
  std::ofstream(text_file) << "hello, I am not a model\n";
  Result r = run("inspect " + text_file);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("not a model format"), std::string::npos) << r.output;
  const std::string fake_onnx = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_garbage.onnx";
  std::ofstream(fake_onnx) << "garbage bytes, not protobuf";
  r = run("inspect " + fake_onnx);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("parley_garbage.onnx"), std::string::npos) << r.output;

  const std::string truncated = std::string(PARLEY_SHARED_TESTDATA) + "/llm/malformed/truncated-Q8_0.gguf";
  if (std::filesystem::exists(truncated)) {
    r = run("pipe --raw --llm " + truncated, "Once upon a time\n");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("truncated-Q8_0.gguf"), std::string::npos) << r.output;
  }
}

TEST(Cli, UnknownSubcommandAndBadOptionFail) {
  EXPECT_NE(run("frobnicate").exit_code, 0);
  EXPECT_NE(run("pipe --llm").exit_code, 0);
  EXPECT_EQ(run("--help").exit_code, 0);
}

TEST(Cli, PipeRawContinuesLikeLlamaCpp) {
  const std::string model = std::string(PARLEY_SHARED_TESTDATA) + "/llm/stories260K-f32.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "shared test data absent: " << model;
  const Result r = run("pipe --raw -n 64 --threads 2 --llm " + model, "Once upon a time, there was a little\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The greedy_text of ../shared/testdata/llm/golden/stories260K-f32.txt (llama.cpp).
  EXPECT_EQ(r.output,
            " girl named Lily. She loved to play outside in the park. One day, she saw a big, red "
            "ball. She wanted to play with it, but it was too high.\nLily's mom said, \"Lily,\n");
}

TEST(Cli, PipeChatKeepsHistoryAndBenchPrintsJson) {
  const std::string model = std::string(PARLEY_SHARED_TESTDATA) + "/llm/stories260K-Q4_K_M.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "shared test data absent: " << model;
  Result r = run("pipe -n 16 --threads 1 --system 'Tell stories.' --llm " + model, "Hello\nAnd then?\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 2) << r.output;
  r = run("bench llm " + model + " --threads 1 --prompt-tokens 16 --gen-tokens 8 --repetitions 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"decode_tokens_per_s\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"prefill_tokens_per_s\""), std::string::npos) << r.output;
}

TEST(Cli, PipeSpeakWritesTheSpokenRepliesToAFile) {
  const std::string model = std::string(PARLEY_SHARED_TESTDATA) + "/llm/stories260K-f32.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "shared test data absent: " << model;
  const std::string wav = ::testing::TempDir() + std::to_string(::getpid()) + "_parley_pipe_speak.wav";
  std::filesystem::remove(wav);
  const Result r = run("pipe --raw -n 64 --threads 1 --speak --out " + wav + " --llm " + model,
                       "Once upon a time, there was a little\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The reply text still streams to stdout, unchanged by speaking it.
  EXPECT_NE(r.output.find(" girl named Lily. She loved to play outside in the park."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pipe: spoke "), std::string::npos) << r.output;
  const parley::test::Wav audio = parley::test::read_wav(wav);
  EXPECT_EQ(audio.channels, 1);
  // About 40 words of reply: espeak-ng at its default rate speaks them in well over 5 s.
  EXPECT_GT(audio.seconds(), 5.0) << r.output;
  EXPECT_LT(audio.seconds(), 60.0) << r.output;
  float peak = 0;
  for (float x : audio.samples) peak = std::max(peak, std::abs(x));
  EXPECT_GT(peak, 0.05f);
  std::filesystem::remove(wav);
}

// The shipped default chat model (models/llm/parley-chat.gguf) found with no flags: pipe runs
// its tool calls and feeds the results back; --no-tools shows the raw calls instead.
TEST(Cli, PipeRunsTheDefaultModelsToolCalls) {
  const std::filesystem::path shipped = std::filesystem::path(PARLEY_SOURCE_DIR) / "models/llm/parley-chat.gguf";
  if (!std::filesystem::exists(shipped)) GTEST_SKIP() << "default model not shipped: " << shipped;
  Result r = run("pipe --threads 1", "what time is it\nset a timer for 10 minutes\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("tool: {\"name\": \"get_time\", \"arguments\": {}} -> {\"name\":\"get_time\",\"ok\":true"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\"name\":\"set_timer\",\"ok\":true"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("<tool_call>"), std::string::npos) << r.output;  // calls are not shown as text
  // Input ended before the timer was due: said, not silently lost.
  EXPECT_NE(r.output.find("1 timer(s) or alarm(s) still pending"), std::string::npos) << r.output;

  r = run("pipe --threads 1 --no-tools", "what time is it\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("<tool_call>"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("tool: "), std::string::npos) << r.output;
}

TEST(Cli, PipeOutWithoutSpeakIsAnError) {
  const Result r = run("pipe --llm " + std::string(PARLEY_SOURCE_DIR) + "/README.md --out x.wav");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--speak"), std::string::npos) << r.output;
}

}  // namespace


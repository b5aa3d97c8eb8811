// `parley listen` on the simulated device and `parley converse` on files, end to end through the
// binary: a question synthesized by espeak-ng at test time, the tiny LSTM transducer fixture
// (random weights: the transcript is not words, but a turn must happen) and the TinyStories model
// from ../shared/testdata (skipped when absent).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/assistant/test_wav.h"
#include "tests/common/run_command.h"

namespace {

using parley::test::CommandResult;
using parley::test::run_command;

const std::string kAsr = std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny";
const std::string kLlm = std::string(PARLEY_SHARED_TESTDATA) + "/llm/stories260K-f32.gguf";

std::string temp(const std::string& name) {
  return ::testing::TempDir() + std::to_string(::getpid()) + "_parley_voice_" + name;
}

CommandResult parley(const std::string& args) {
  return run_command(std::string(PARLEY_BINARY) + " " + args + " 2>&1");
}

class VoiceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kLlm)) GTEST_SKIP() << "shared test data absent: " << kLlm;
    if (std::system("espeak-ng --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "espeak-ng is not installed";
    question_ = temp("question.wav");
    ASSERT_EQ(std::system(("espeak-ng -w " + question_ + " 'what time is it'").c_str()), 0);
  }
  void TearDown() override {
    if (!question_.empty()) std::filesystem::remove(question_);
  }
  std::string question_;
};

TEST_F(VoiceCli, ListenOnTheSimulatedDeviceAnswersOneTurn) {
  const std::string answer = temp("listen_answer.wav");
  const std::string trace = temp("listen_trace.jsonl");
  const CommandResult r = parley("listen --simulated --simulated-input " + question_ + " --seconds 8 --asr " +
                                 kAsr + " --llm " + kLlm + " --set llm.max_tokens=16 --simulated-output " +
                                 answer + " --trace " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("listen: 1 turns"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("parley: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("endpoint_to_first_audio"), std::string::npos) << r.output;
  const parley::test::Wav audio = parley::test::read_wav(answer);
  float peak = 0;
  for (float x : audio.samples) peak = std::max(peak, std::abs(x));
  EXPECT_GT(peak, 0.05f) << "the reply was not played";
  EXPECT_TRUE(std::filesystem::exists(trace) && std::filesystem::file_size(trace) > 0);
  std::filesystem::remove(answer);
  std::filesystem::remove(trace);
}

TEST_F(VoiceCli, ConverseOnFilesPrintsTheTurnAndWritesTheAnswer) {
  const std::string answer = temp("converse_answer.wav");
  const CommandResult r = parley("converse --lockstep --in " + question_ + " --asr " + kAsr + " --llm " + kLlm +
                                 " --set llm.max_tokens=16 --out " + answer);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("turn 1\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"first_audio_out\":"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("heard:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("reply:"), std::string::npos) << r.output;
  EXPECT_GT(parley::test::read_wav(answer).seconds(), 0.5) << r.output;
  std::filesystem::remove(answer);
}

TEST_F(VoiceCli, DemoSpeaksItsQuestionsIntoThePipeline) {
  const std::string answer = temp("demo_answer.wav");
  const CommandResult r = parley("demo -q 'what time is it' -q 'hello' --asr " + kAsr + " --llm " + kLlm +
                                 " --set llm.max_tokens=12 --out " + answer);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("question: \"what time is it\" spoken by espeak:en-us"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("question: \"hello\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("loaded asr " + kAsr), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("scripted"), std::string::npos) << r.output;  // a real recognizer ran
  EXPECT_NE(r.output.find("turn 2\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("answer audio: " + answer), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("endpoint_to_first_audio"), std::string::npos) << r.output;
  EXPECT_GT(parley::test::read_wav(answer).seconds(), 0.5) << r.output;
  std::filesystem::remove(answer);
}

TEST_F(VoiceCli, DemoWithoutAnAsrModelSaysSoAndStillRunsThePipeline) {
  if (parley("models which asr").exit_code == 0) GTEST_SKIP() << "an ASR model is installed";
  const std::string answer = temp("demo_noasr.wav");
  const CommandResult r =
      parley("demo -q 'what time is it' --llm " + kLlm + " --set llm.max_tokens=12 --out " + answer);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no speech recognizer is installed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("asr none (scripted transcripts)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("heard:  what time is it\n"), std::string::npos) << r.output;
  EXPECT_GT(parley::test::read_wav(answer).seconds(), 0.2) << r.output;
  std::filesystem::remove(answer);
  // A recognizer asked for by name that is not there is an error, not a fallback.
  const CommandResult missing = parley("demo -q 'hi' --asr /nonexistent/asr --llm " + kLlm);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("/nonexistent/asr"), std::string::npos) << missing.output;
}

TEST(VoiceCliErrors, BadCombinationsAreOneClearLine) {
  CommandResult r = parley("listen --simulated-input x.wav --seconds 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--simulated"), std::string::npos) << r.output;
  r = parley("listen --simulated --seconds 1 --set wake.listen_window_s=-3 --asr " + kAsr);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("wake.listen_window_s"), std::string::npos) << r.output;
  r = parley("listen --simulated --seconds 1 --asr /nonexistent/asr --llm " + kLlm);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/asr"), std::string::npos) << r.output;
}

}  // namespace

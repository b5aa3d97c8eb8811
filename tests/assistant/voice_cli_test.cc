// `parley listen` on the simulated device and `parley converse` on files, end to end through the
// binary: a question synthesized by espeak-ng at test time, the tiny LSTM transducer fixture
// (random weights: the transcript is not words, but a turn must happen) and the TinyStories model
// from ../shared/testdata (skipped when absent).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/assistant/test_wav.h"
#include "tests/common/run_command.h"
#include "tests/common/word_errors.h"

namespace {

using parley::test::CommandResult;
using parley::test::run_command;

const std::string kAsr = std::string(PARLEY_SOURCE_DIR) + "/tests/asr/fixtures/lstm_tiny";
const std::string kLlm = std::string(PARLEY_SHARED_TESTDATA) + "/llm/stories260K-f32.gguf";

// Bound for the shipped default recognizer on the espeak-ng questions below: measured 44–56 % when
// it shipped (2026-12-06, models/asr/MODEL_CARD.md; the model is below its 10 % target), so this
// guards against regressions, not the target (the spread: the compute-counting clock moves where
// chunks and endpoints fall). Tighten it with every better model.
constexpr double kDefaultAsrQuestionWerBound = 70.0;

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

// Fault: the sound device vanishes for 0.3 s before the question and comes back: `listen`
// says so, reopens it, and the question that follows is answered as usual.
TEST_F(VoiceCli, ListenReopensAVanishedDeviceAndAnswersTheNextQuestion) {
  const CommandResult r = parley("listen --simulated --simulated-input " + question_ +
                                 " --simulated-outage 0.1:0.3 --seconds 9 --asr " + kAsr + " --llm " + kLlm +
                                 " --set llm.max_tokens=16");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("listen: sound device lost (simulated"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("listen: sound device back after"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("device lost 1 times"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("listen: 1 turns"), std::string::npos) << r.output;
  // Bad values name the option.
  const CommandResult bad = parley("listen --simulated --simulated-outage 2 --seconds 1");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--simulated-outage '2'"), std::string::npos) << bad.output;
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

// Upper-case words of `text` with everything but letters and apostrophes dropped.
std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '\'') {
      w += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  return words;
}

using parley::test::word_errors;

// The lines of `output` that start with `prefix`, prefix removed.
std::vector<std::string> lines_after(const std::string& output, const std::string& prefix) {
  std::vector<std::string> found;
  for (size_t at = output.find(prefix); at != std::string::npos; at = output.find(prefix, at + 1)) {
    const size_t end = output.find('\n', at);
    found.push_back(output.substr(at + prefix.size(), end == std::string::npos ? end : end - at - prefix.size()));
  }
  return found;
}

// The product's main job on its own default models (models/asr, models/llm, the espeak-ng voice),
// no flags: espeak-ng asks questions into the simulated microphone, the default recognizer must
// hear them (word error rate bound), the default LLM must answer each, and the answer audio, played
// by the default voice, must itself be recognized back by the default recognizer as the reply's words.
TEST_F(VoiceCli, DemoOnTheDefaultModelsHearsTheQuestionsAndItsOwnAnswers) {
  if (parley("models which asr").exit_code != 0) GTEST_SKIP() << "no default ASR model is installed";
  if (parley("models which llm").exit_code != 0) GTEST_SKIP() << "no default LLM is installed";
  const std::vector<std::string> questions = {"what time is it", "set a timer for five minutes",
                                              "turn the volume up", "what can you do"};
  std::string args = "demo";
  for (const std::string& q : questions) args += " -q '" + q + "'";
  const std::string answer = temp("default_models_answer.wav");
  const CommandResult r = parley(args + " --out " + answer);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("scripted"), std::string::npos) << r.output;  // the real recognizer ran
  const std::vector<std::string> heard = lines_after(r.output, "  heard:  ");
  const std::vector<std::string> replies = lines_after(r.output, "  reply:  ");
  ASSERT_EQ(heard.size(), questions.size()) << r.output;
  ASSERT_EQ(replies.size(), questions.size()) << r.output;
  size_t errors = 0, words = 0;
  for (size_t i = 0; i < questions.size(); ++i) {
    errors += word_errors(words_of(questions[i]), words_of(heard[i]));
    words += words_of(questions[i]).size();
  }
  const double wer = 100.0 * static_cast<double>(errors) / static_cast<double>(words);
  std::printf("default models: questions heard with WER %.1f%% (%zu/%zu)\n", wer, errors, words);
  EXPECT_LE(wer, kDefaultAsrQuestionWerBound) << r.output;

  // The answers, as the speaker played them, recognized back by the default recognizer with no
  // flags: speech is heard in them (word agreement with the replies is reported; with the shipped
  // model below target it is too low to bound — on 2026-12-06 "See you!" came back as "SE").
  const CommandResult back = parley("transcribe " + answer);
  ASSERT_EQ(back.exit_code, 0) << back.output;
  std::vector<std::string> said;
  size_t spoken_replies = 0;
  for (const std::string& reply : replies) {
    for (const std::string& w : words_of(reply)) said.push_back(w);
    spoken_replies += !words_of(reply).empty();
  }
  const std::vector<std::string> recognized = words_of(back.output);
  size_t found = 0;
  for (const std::string& w : recognized) found += std::find(said.begin(), said.end(), w) != said.end();
  std::printf("default models: %zu of %zu words recognized in the answer audio are reply words\n", found,
              recognized.size());
  EXPECT_GE(recognized.size(), spoken_replies) << back.output << "\n" << r.output;
  std::filesystem::remove(answer);
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

// `parley speak` and `parley bench tts`, run as a child process: espeak-ng speech equals the
// espeak-ng program's own WAV, the Piper path through the CLI equals the ONNX Runtime golden
// (normalized as Piper does), stdin is spoken chunk by chunk before it ends, the simulated device
// plays what a file would hold, and every bad input gets one clear line. WAV files are parsed
// here so the checks do not reuse the code under test.
#include <gtest/gtest.h>

#include "tests/assistant/test_wav.h"
#include "tests/common/run_command.h"
#include "tests/common/word_errors.h"
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>
#include <unistd.h>

namespace {

const std::string kTestdata = std::string(PARLEY_SHARED_TESTDATA) + "/tts";
const std::string kModelPath = kTestdata + "/piper_vits_medium_random/model.onnx";
const std::string kConfigPath = kTestdata + "/voices/en_US-lessac-medium.onnx.json";
const std::string kGoldenOutput =
    kTestdata + "/piper_vits_medium_random/golden/test_data_set_0/output_0.pb";

using Result = parley::test::CommandResult;

Result run_shell(const std::string& command) {
  return parley::test::run_command(command + " 2>&1");
}

Result run(const std::string& args) {
  return run_shell(std::string(PARLEY_BINARY) + " " + args);
}

std::string temp(const std::string& name) {
  return ::testing::TempDir() + std::to_string(::getpid()) + "_parley_speak_cli_" + name;
}

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

using parley::test::read_wav;
using parley::test::Wav;

double rms(const std::vector<float>& samples) {
  double sum = 0;
  for (float x : samples) sum += double(x) * x;
  return samples.empty() ? 0 : std::sqrt(sum / samples.size());
}

std::string file_head(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string head(bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(bytes));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

// The float samples of an onnx TensorProto file (raw_data, field 9), parsed here by hand.
std::vector<float> read_tensor_proto_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto varint = [&](size_t& at) {
    uint64_t value = 0;
    for (int shift = 0; at < bytes.size(); shift += 7) {
      const uint8_t byte = bytes[at++];
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    return value;
  };
  for (size_t at = 0; at < bytes.size();) {
    const uint64_t key = varint(at);
    const int wire = int(key & 7);
    if (wire == 0) {
      varint(at);
    } else if (wire == 1) {
      at += 8;
    } else if (wire == 5) {
      at += 4;
    } else if (wire == 2) {
      const size_t length = varint(at);
      if ((key >> 3) == 9 && at + length <= bytes.size()) {
        std::vector<float> values(length / 4);
        std::memcpy(values.data(), &bytes[at], values.size() * 4);
        return values;
      }
      at += length;
    } else {
      break;
    }
  }
  return {};
}

bool have_piper_testdata() {
  return std::filesystem::exists(kModelPath) && std::filesystem::exists(kConfigPath);
}

TEST(SpeakCli, EspeakWavEqualsTheEspeakNgProgram) {
  const std::string text = "The kitchen timer is set for ten minutes.";
  const std::string ours = temp("espeak.wav"), reference = temp("espeak_ref.wav");
  std::filesystem::remove(ours);
  const Result r = run("speak " + quoted(text) + " -o " + ours);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Wav wav = read_wav(ours);
  EXPECT_EQ(wav.rate_hz, 22050u);
  EXPECT_EQ(wav.channels, 1);
  EXPECT_GT(wav.seconds(), 1.0);
  EXPECT_GT(rms(wav.samples), 0.01);
  if (run_shell("espeak-ng --version").exit_code != 0) {
    GTEST_SKIP() << "espeak-ng program not installed: reference comparison skipped";
  }
  ASSERT_EQ(run_shell("espeak-ng -v en-us -w " + reference + " " + quoted(text)).exit_code, 0);
  const Wav expected = read_wav(reference);
  ASSERT_EQ(expected.rate_hz, 22050u);
  // The same library, voice, rate and pitch: the same samples (within PCM16 rounding).
  ASSERT_NEAR(double(wav.samples.size()), double(expected.samples.size()), 0.01 * expected.samples.size());
  const size_t n = std::min(wav.samples.size(), expected.samples.size());
  double diff = 0;
  for (size_t i = 0; i < n; ++i) diff += std::fabs(wav.samples[i] - expected.samples[i]);
  EXPECT_LT(diff / n, 1e-3);
}

// The round trip: `parley speak` (espeak-ng) writes each sentence of a table of things
// people say to an appliance, `parley transcribe` with the default ASR model (models/asr) reads
// them back, and the word error rate over the table stays under a bound: what this pair of
// default models reached when the test was written (29.6 %, 16 of 54 words), plus a margin for
// espeak-ng versions that pronounce a word differently. A broken link in the chain (wrong
// sample rate, a mangled WAV, a mis-loaded model) lands far above it. The default recognizer is
// small and far from issue 9's 10 % target.
TEST(SpeakCli, EspeakSpeechIsTranscribedBackByTheDefaultAsrWithinAWerBound) {
  const std::string asr = std::string(PARLEY_SOURCE_DIR) + "/models/asr";
  if (!std::filesystem::exists(asr + "/encoder.onnx")) GTEST_SKIP() << asr << " holds no model";
  const std::vector<std::string> sentences = {
      "set a timer for ten minutes",       "cancel the alarm",
      "turn the volume up",                "how long is left on my timer",
      "set an alarm for seven thirty",     "stop",
      "hey parley what is five plus three", "turn on the lights in the kitchen",
      "what is the weather like today",     "play some music in the living room"};
  using parley::test::upper_words;
  size_t errors = 0, words = 0;
  for (size_t i = 0; i < sentences.size(); ++i) {
    const std::string wav = temp("round_trip_" + std::to_string(i) + ".wav");
    const Result spoken = run("speak --voice espeak:en-us -o " + wav + " " + quoted(sentences[i]));
    ASSERT_EQ(spoken.exit_code, 0) << spoken.output;
    const Result heard = run_shell(std::string(PARLEY_BINARY) + " transcribe --asr " + asr + " " +
                                   wav + " 2>/dev/null");
    std::filesystem::remove(wav);
    ASSERT_EQ(heard.exit_code, 0) << heard.output;
    // One file: its text on one line.
    const std::string text = heard.output.substr(0, heard.output.find('\n'));
    const auto ref = upper_words(sentences[i]);
    const size_t e = parley::test::word_errors(ref, upper_words(text));
    errors += e;
    words += ref.size();
    std::printf("%zu/%zu errors  '%s' -> '%s'\n", e, ref.size(), sentences[i].c_str(),
                text.c_str());
  }
  const double wer = 100.0 * static_cast<double>(errors) / static_cast<double>(words);
  std::printf("parley speak -> parley transcribe: WER %.1f%% (%zu/%zu words)\n", wer, errors,
              words);
  EXPECT_LE(wer, 40.0);
}

TEST(SpeakCli, SampleRateRateAndFormats) {
  const std::string text = "Good morning, it is sunny today.";
  const std::string wav16 = temp("16k.wav"), fast = temp("fast.wav"), normal = temp("normal.wav");
  ASSERT_EQ(run("speak " + quoted(text) + " -o " + normal).exit_code, 0);
  Result r = run("speak " + quoted(text) + " --sample-rate 16000 -o " + wav16);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Wav at_16k = read_wav(wav16), native = read_wav(normal);
  EXPECT_EQ(at_16k.rate_hz, 16000u);
  EXPECT_NEAR(at_16k.seconds(), native.seconds(), 0.01);
  r = run("speak " + quoted(text) + " --rate 300 --pitch 70 -o " + fast);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(read_wav(fast).seconds(), 0.8 * native.seconds());

  const std::string flac = temp("out.flac"), ogg = temp("out.ogg");
  ASSERT_EQ(run("speak " + quoted(text) + " -o " + flac).exit_code, 0);
  EXPECT_EQ(file_head(flac, 4), "fLaC");
  ASSERT_EQ(run("speak " + quoted(text) + " -o " + ogg).exit_code, 0);
  const std::string ogg_head = file_head(ogg, 64);
  EXPECT_EQ(ogg_head.substr(0, 4), "OggS");
  EXPECT_NE(ogg_head.find("OpusHead"), std::string::npos);
  r = run("speak " + quoted(text) + " -o " + temp("out.mp3"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown output type"), std::string::npos) << r.output;
}

TEST(SpeakCli, PiperVoiceEqualsTheOnnxRuntimeGoldenNormalizedLikePiper) {
  if (!have_piper_testdata() || !std::filesystem::exists(kGoldenOutput)) {
    GTEST_SKIP() << "missing " << kModelPath << ", " << kConfigPath << " or the golden";
  }
  // tts_sentence.txt with its sentence break written as a comma: Piper's one sentence then has
  // exactly the golden's ids (the golden is the whole text as one utterance).
  const std::string text =
      "Hello, this is a test of the offline voice assistant, turn on the kitchen lights and set "
      "a timer for ten minutes.";
  const std::string out = temp("piper.wav");
  std::filesystem::remove(out);
  const Result r = run("speak " + quoted(text) + " --voice " + kModelPath + " --voice-config " +
                       kConfigPath + " --noise-scale 0 --length-scale 1 --noise-w 0 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Wav wav = read_wav(out);
  EXPECT_EQ(wav.rate_hz, 22050u);
  const std::vector<float> golden = read_tensor_proto_floats(kGoldenOutput);
  ASSERT_EQ(golden.size(), 59648u);
  ASSERT_EQ(wav.samples.size(), golden.size());
  float peak = 0.01f;
  for (float x : golden) peak = std::max(peak, std::fabs(x));
  float worst = 0;
  for (size_t i = 0; i < golden.size(); ++i) {
    worst = std::max(worst, std::fabs(wav.samples[i] - golden[i] / peak));
  }
  EXPECT_LT(worst, 2e-3f);  // PCM16 rounding plus 1e-4 / peak
}

TEST(SpeakCli, StdinIsSpokenChunkByChunkBeforeItEnds) {
  const std::string out = temp("stdin.wav");
  std::filesystem::remove(out);
  // The second sentence arrives 3 s after the first.
  const Result r = run_shell("(printf 'Hello there, my good friend. How are you? '; sleep 3; "
                             "printf 'The timer is set.') | " +
                             std::string(PARLEY_BINARY) + " speak - -v -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(r.output, match,
                                std::regex("chunk 1 first audio at ([0-9.]+) s")))
      << r.output;
  EXPECT_LT(std::stod(match[1]), 2.5) << r.output;
  EXPECT_NE(r.output.find("chunk 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("The timer is set."), std::string::npos) << r.output;
  EXPECT_GT(read_wav(out).seconds(), 2.0);
}

TEST(SpeakCli, SimulatedDevicePlaysWhatTheFileHolds) {
  const std::string text = "Lights on.";
  const std::string file = temp("direct.wav"), played = temp("played.wav");
  ASSERT_EQ(run("speak " + quoted(text) + " -o " + file).exit_code, 0);
  const Result r = run("speak " + quoted(text) + " --simulated --simulated-output " + played);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("simulated"), std::string::npos) << r.output;
  const Wav expected = read_wav(file), device = read_wav(played);
  ASSERT_EQ(device.rate_hz, 22050u);
  ASSERT_GE(device.samples.size(), expected.samples.size());
  for (size_t i = 0; i < expected.samples.size(); ++i) {
    ASSERT_NEAR(device.samples[i], expected.samples[i], 1.0 / 32768 + 1e-6) << i;
  }
}

TEST(SpeakCli, ClearMessagesForBadInput) {
  struct Case {
    std::string args;
    std::string expected;
  };
  const std::string empty_model = temp("empty_voice.onnx");
  std::ofstream(empty_model) << "not a model";
  const std::vector<Case> cases = {
      {"speak ''", "nothing to say"},
      {"speak '   '", "nothing to say"},
      {"speak '**  **'", "no speakable words"},
      {"speak hello --voice " + empty_model + " -o " + temp("x.wav"),
       "empty_voice.onnx.json not found"},
      {"speak hello --voice /nonexistent/v.onnx -o " + temp("x.wav"), "not found"},
      {"speak hello --voice lessac -o " + temp("x.wav"), "espeak:VOICE"},
      {"speak hello --speaker 2 -o " + temp("x.wav"), "speaker does not apply"},
      {"speak hello --length-scale 1.5 -o " + temp("x.wav"), "length_scale does not apply"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  const Result stdin_empty = run_shell("printf '  \\n' | " + std::string(PARLEY_BINARY) +
                                       " speak - -o " + temp("x.wav"));
  EXPECT_EQ(stdin_empty.exit_code, 1);
  EXPECT_NE(stdin_empty.output.find("stdin had no speakable text"), std::string::npos)
      << stdin_empty.output;
  if (have_piper_testdata()) {
    const Result pitch = run("speak hello --voice " + kModelPath + " --voice-config " +
                             kConfigPath + " --pitch 30 -o " + temp("x.wav"));
    EXPECT_EQ(pitch.exit_code, 1);
    EXPECT_NE(pitch.output.find("pitch does not apply to Piper"), std::string::npos)
        << pitch.output;
  }
}

TEST(SpeakCli, NoDeviceIsAClearErrorWhenTheMachineHasNone) {
  const Result devices = run_shell("env -u PARLEY_AUDIO_DEVICE " + std::string(PARLEY_BINARY) +
                                   " devices");
  if (devices.output.find("no sound hardware") == std::string::npos) {
    GTEST_SKIP() << "this machine has sound hardware: playing would make noise";
  }
  const Result r = run_shell("env -u PARLEY_AUDIO_DEVICE " + std::string(PARLEY_BINARY) +
                             " speak hello");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("no sound output device"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-o out.wav"), std::string::npos) << r.output;
}

TEST(BenchTtsCli, EspeakPrintsOneJsonLine) {
  const Result r = run("bench tts --voice espeak:en-us 'The timer is set.' --runs 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["voice"], "espeak:en-us");
  const double audio = j["audio_seconds"], compute = j["compute_seconds"];
  EXPECT_GT(audio, 0.5);
  EXPECT_GT(compute, 0.0);
  EXPECT_NEAR(double(j["rtf"]), compute / audio, 1e-9);
  EXPECT_GT(double(j["first_audio_seconds"]), 0.0);
  EXPECT_LE(double(j["first_audio_seconds"]), compute);
}

TEST(BenchTtsCli, PiperReportsSentencesAndWritesTheirIds) {
  if (!have_piper_testdata()) GTEST_SKIP() << "missing " << kModelPath << " or " << kConfigPath;
  const std::string ids = temp("ids.json");
  const Result r = run("bench tts --voice " + kModelPath + " --voice-config " + kConfigPath +
                       " --noise-scale 0 --noise-w 0 --runs 1 --ids-json " + ids +
                       " 'Lights on. The timer is set.'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["sentences"], 2);
  EXPECT_LT(double(j["first_audio_seconds"]), double(j["compute_seconds"]));
  EXPECT_EQ(j["scales"], nlohmann::json::parse("[0.0, 1.0, 0.0]"));
  std::ifstream in(ids);
  const nlohmann::json written = nlohmann::json::parse(in);
  ASSERT_EQ(written["sentences"].size(), 2u);
  EXPECT_EQ(written["sentences"][0][0], 1);     // '^'
  EXPECT_EQ(written["sentences"][0].back(), 2);  // '$'
  EXPECT_EQ(written["sid"], nullptr);
}

}  // namespace

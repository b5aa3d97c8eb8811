// open_voice: spec parsing, options routed to the right voice (and refused by the other), and
// ResamplingVoice: streamed output at the requested rate equals resampling the native audio in
// one piece, with the length the rate ratio gives.
#include "tts/voice_factory.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "audio/resampler.h"
#include "kernels/error.h"
#include "tts/espeak_voice.h"
#include "tts/piper_voice.h"

namespace parley::tts {
namespace {

const std::string kTestdata = std::string(PARLEY_SHARED_TESTDATA) + "/tts";
const std::string kModelPath = kTestdata + "/piper_vits_medium_random/model.onnx";
const std::string kConfigPath = kTestdata + "/voices/en_US-lessac-medium.onnx.json";

std::string error_of(const std::function<void()>& make) {
  try {
    make();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

struct SpecRow {
  std::string spec;
  VoiceKind kind;
  std::string name;
};

TEST(VoiceSpec, ParsesEspeakAndPiperSpecs) {
  const SpecRow rows[] = {
      {"espeak", VoiceKind::kEspeak, "en-us"},
      {"espeak:en-us", VoiceKind::kEspeak, "en-us"},
      {"espeak:en-gb+f3", VoiceKind::kEspeak, "en-gb+f3"},
      {"espeak:de", VoiceKind::kEspeak, "de"},
      {"voices/en_US-lessac-medium.onnx", VoiceKind::kPiper, "voices/en_US-lessac-medium.onnx"},
      {"/abs/path/my voice.onnx", VoiceKind::kPiper, "/abs/path/my voice.onnx"},
  };
  for (const SpecRow& row : rows) {
    const VoiceSpec spec = parse_voice_spec(row.spec);
    EXPECT_EQ(spec.kind, row.kind) << row.spec;
    EXPECT_EQ(spec.name, row.name) << row.spec;
  }
}

TEST(VoiceSpec, RejectsBadSpecsClearly) {
  EXPECT_NE(error_of([] { parse_voice_spec(""); }).find("empty voice spec"), std::string::npos);
  EXPECT_NE(error_of([] { parse_voice_spec("espeak:"); }).find("no espeak-ng voice"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_voice_spec("lessac"); }).find("espeak:VOICE"), std::string::npos);
  EXPECT_NE(error_of([] { parse_voice_spec("voice.onnx.json"); }).find("not a voice spec"),
            std::string::npos);
}

TEST(OpenVoice, EspeakAtNativeAndRequestedRates) {
  const std::string text = "The kitchen timer is set.";
  auto native = open_voice("espeak:en-us");
  ASSERT_NE(dynamic_cast<EspeakVoice*>(native.get()), nullptr);
  EXPECT_EQ(native->sample_rate_hz(), 22050);
  auto resampled = open_voice("espeak:en-us", {.output_rate_hz = 48000});
  EXPECT_EQ(resampled->sample_rate_hz(), 48000);
  const size_t native_samples = synthesize_to_vector(*native, text).size();
  const size_t resampled_samples = synthesize_to_vector(*resampled, text).size();
  ASSERT_GT(native_samples, 11025u);
  // EspeakVoice's own streaming resampler ends within a few ms of the exact ratio.
  EXPECT_NEAR(double(resampled_samples), double(native_samples) * 48000.0 / 22050.0,
              0.0005 * double(resampled_samples));
}

TEST(OpenVoice, EspeakRateAndPitchChangeTheSpeech) {
  const std::string text = "Please turn on the lights in the living room.";
  auto normal = open_voice("espeak:en-us");
  auto fast = open_voice("espeak:en-us", {.rate_words_per_minute = 350, .pitch = 80});
  const auto& fast_options = dynamic_cast<EspeakVoice&>(*fast).options();
  EXPECT_EQ(fast_options.rate_words_per_minute, 350);
  EXPECT_EQ(fast_options.pitch, 80);
  const double ratio = double(synthesize_to_vector(*fast, text).size()) /
                       double(synthesize_to_vector(*normal, text).size());
  EXPECT_LT(ratio, 0.75);  // twice the rate: clearly shorter (pauses do not all shrink)
}

TEST(OpenVoice, OptionsTheVoiceLacksAreErrorsNotIgnored) {
  EXPECT_NE(error_of([] { open_voice("espeak:en-us", {.speaker = "bob"}); }).find("speaker"),
            std::string::npos);
  EXPECT_NE(error_of([] { open_voice("espeak:en-us", {.length_scale = 1.2f}); })
                .find("length_scale does not apply to espeak-ng"),
            std::string::npos);
  EXPECT_NE(error_of([] { open_voice("espeak:en-us", {.output_rate_hz = 4000}); })
                .find("output_rate_hz"),
            std::string::npos);
  EXPECT_NE(error_of([] { open_voice("espeak:xx-nonexistent"); }), "no error");
  EXPECT_NE(error_of([] { open_voice("/nonexistent/voice.onnx", {.pitch = 40}); })
                .find("pitch does not apply to Piper"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              open_voice("/nonexistent/voice.onnx",
                         {.rate_words_per_minute = 200, .length_scale = 1.0f});
            }).find("not both"),
            std::string::npos);
  EXPECT_NE(error_of([] { open_voice("/nonexistent/voice.onnx"); }).find("not found"),
            std::string::npos);
}

class OpenPiperVoice : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kModelPath) || !std::filesystem::exists(kConfigPath)) {
      GTEST_SKIP() << "missing " << kModelPath << " or " << kConfigPath;
    }
  }
  static VoiceOpenOptions exact(int output_rate_hz = 0) {
    VoiceOpenOptions options;
    options.config_path = kConfigPath;
    options.noise_scale = 0.0f;
    options.noise_w = 0.0f;
    options.output_rate_hz = output_rate_hz;
    return options;
  }
};

TEST_F(OpenPiperVoice, MissingConfigIsNamed) {
  const std::string message = error_of([] { open_voice(kModelPath); });
  EXPECT_NE(message.find("model.onnx.json not found"), std::string::npos) << message;
}

TEST_F(OpenPiperVoice, ResampledStreamEqualsResamplingTheWholeNativeOutput) {
  const std::string text = "Lights on. Timer set.";
  auto native = open_voice(kModelPath, exact());
  ASSERT_NE(dynamic_cast<PiperVoice*>(native.get()), nullptr);
  EXPECT_EQ(native->sample_rate_hz(), 22050);
  auto at_16k = open_voice(kModelPath, exact(16000));
  ASSERT_NE(dynamic_cast<ResamplingVoice*>(at_16k.get()), nullptr);
  EXPECT_EQ(at_16k->sample_rate_hz(), 16000);

  const std::vector<float> native_pcm = synthesize_to_vector(*native, text);
  size_t chunks = 0;
  std::vector<float> streamed;
  at_16k->synthesize(text, [&](std::span<const float> samples) {
    ++chunks;
    streamed.insert(streamed.end(), samples.begin(), samples.end());
    return true;
  });
  EXPECT_GE(chunks, 3u);  // streamed per sentence, not collected
  const std::vector<float> whole = audio::resample(native_pcm, 22050, 16000, 1);
  EXPECT_NEAR(double(streamed.size()), double(native_pcm.size()) * 16000.0 / 22050.0, 1.0);
  ASSERT_EQ(streamed.size(), whole.size());
  float worst = 0, peak = 0;
  for (size_t i = 0; i < whole.size(); ++i) {
    worst = std::max(worst, std::fabs(streamed[i] - whole[i]));
    peak = std::max(peak, std::fabs(whole[i]));
  }
  EXPECT_GT(peak, 0.5f);  // normalized like Piper
  EXPECT_LT(worst, 1e-4f);
}

TEST_F(OpenPiperVoice, RateScalesTheConfigLengthScale) {
  VoiceOpenOptions options = exact();
  options.rate_words_per_minute = 350;
  auto voice = open_voice(kModelPath, options);
  auto& piper = dynamic_cast<PiperVoice&>(*voice);
  EXPECT_FLOAT_EQ(piper.length_scale(), piper.config().length_scale * 175.0f / 350.0f);
  EXPECT_EQ(piper.noise_scale(), 0.0f);
}

}  // namespace
}  // namespace parley::tts

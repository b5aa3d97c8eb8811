// EspeakVoice: real speech comes out (non-silent, plausible duration), options change it as they
// should, resampling keeps the duration, and a sink can cancel.
#include "tts/espeak_voice.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "kernels/error.h"

namespace parley::tts {
namespace {

constexpr const char* kSentence = "Hello, this is a test of the offline voice assistant.";

double rms(const std::vector<float>& samples) {
  double sum = 0;
  for (float s : samples) sum += double(s) * s;
  return samples.empty() ? 0.0 : std::sqrt(sum / samples.size());
}

TEST(EspeakVoice, SpeaksNonSilentAudioOfPlausibleDuration) {
  EspeakVoice voice;
  EXPECT_EQ(voice.sample_rate_hz(), 22050);
  const std::vector<float> samples = synthesize_to_vector(voice, kSentence);
  const double seconds = double(samples.size()) / voice.sample_rate_hz();
  // 10 words at 175 words per minute is about 3.4 s; allow espeak's pauses either way.
  EXPECT_GT(seconds, 1.8);
  EXPECT_LT(seconds, 6.0);
  EXPECT_GT(rms(samples), 0.02);
  float peak = 0;
  for (float s : samples) peak = std::max(peak, std::abs(s));
  EXPECT_LE(peak, 1.0f);
}

TEST(EspeakVoice, FasterRateGivesShorterAudio) {
  EspeakVoice slow({.rate_words_per_minute = 120});
  EspeakVoice fast({.rate_words_per_minute = 350});
  const size_t slow_samples = synthesize_to_vector(slow, kSentence).size();
  const size_t fast_samples = synthesize_to_vector(fast, kSentence).size();
  EXPECT_LT(double(fast_samples), 0.6 * double(slow_samples));
}

TEST(EspeakVoice, ResampledOutputKeepsTheDuration) {
  EspeakVoice native;
  EspeakVoice resampled({.output_rate_hz = 16000});
  EXPECT_EQ(resampled.sample_rate_hz(), 16000);
  const std::vector<float> a = synthesize_to_vector(native, kSentence);
  const std::vector<float> b = synthesize_to_vector(resampled, kSentence);
  const double expected = double(a.size()) * 16000.0 / 22050.0;
  // espeak-ng's own output length varies by a few samples from call to call, hence 0.2 %.
  EXPECT_NEAR(double(b.size()), expected, 0.002 * expected);
  EXPECT_NEAR(rms(b), rms(a), 0.1 * rms(a));
}

TEST(EspeakVoice, VariantAndPitchChangeTheAudio) {
  EspeakVoice base;
  EspeakVoice variant({.voice_name = "en-us+f3", .pitch = 80});
  EXPECT_NE(synthesize_to_vector(base, "Timer set."), synthesize_to_vector(variant, "Timer set."));
}

TEST(EspeakVoice, SinkCanCancel) {
  EspeakVoice voice;
  int chunks = 0;
  const bool completed = voice.synthesize(kSentence, [&](std::span<const float>) {
    ++chunks;
    return false;
  });
  EXPECT_FALSE(completed);
  EXPECT_EQ(chunks, 1);
  // The library is usable again right after a cancel.
  EXPECT_GT(synthesize_to_vector(voice, "Again.").size(), 1000u);
}

TEST(EspeakVoice, FirstAudioArrivesQuickly) {
  EspeakVoice voice;
  synthesize_to_vector(voice, "Warm up.");
  const auto start = std::chrono::steady_clock::now();
  double first_ms = -1;
  voice.synthesize(
      "Turn on the kitchen lights and set a timer for ten minutes.", [&](std::span<const float>) {
        if (first_ms < 0) {
          first_ms =
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count();
        }
        return true;
      });
  RecordProperty("first_audio_ms", std::to_string(first_ms));
  std::printf("espeak first audio: %.2f ms\n", first_ms);
  EXPECT_GE(first_ms, 0);
  EXPECT_LT(first_ms, 200);  // the target is 20 ms; the bound here tolerates loaded CI
}

TEST(EspeakVoice, EmptyTextGivesNoSpeech) {
  EspeakVoice voice;
  EXPECT_LT(rms(synthesize_to_vector(voice, "")), 1e-3);
}

TEST(EspeakVoice, InvalidOptionsNameTheField) {
  auto message_of = [](EspeakVoiceOptions options) {
    try {
      EspeakVoice voice(options);
    } catch (const parley::Error& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message_of({.rate_words_per_minute = 10}).find("rate_words_per_minute"),
            std::string::npos);
  EXPECT_NE(message_of({.pitch = 101}).find("pitch"), std::string::npos);
  EXPECT_NE(message_of({.output_rate_hz = 5}).find("output_rate_hz"), std::string::npos);
  EXPECT_NE(message_of({.voice_name = "zz-nope"}).find("zz-nope"), std::string::npos);
}

}  // namespace
}  // namespace parley::tts

// EndpointDetector on constructed decoder/VAD sequences: speech then silence of each length
// around every rule's threshold (one frame short must not fire, the threshold must), rule order,
// the VAD rule, reset-and-continue, and config validation naming the field.
#include "asr/endpoint.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "kernels/error.h"

namespace parley::asr {
namespace {

constexpr double kDecoderFrameSeconds = 0.04;  // 4x subsampled 10 ms features
constexpr double kVadWindowSeconds = 0.032;    // 512 samples at 16 kHz

// Feeds `frames` decoder frames; emits a token every `token_every` frames (0 = never). Returns
// the frame index (1-based) at which an endpoint first fired, or 0.
int feed_decoder(EndpointDetector& detector, int frames, int token_every) {
  for (int i = 1; i <= frames; ++i) {
    detector.accept_decoder_frames(kDecoderFrameSeconds, token_every > 0 && i % token_every == 0);
    if (detector.is_endpoint()) return i;
  }
  return 0;
}

TEST(Endpoint, DefaultsAreSherpaOnnxs) {
  const EndpointConfig config;
  EXPECT_FALSE(config.rule1.must_contain_nonsilence);
  EXPECT_FLOAT_EQ(config.rule1.min_trailing_silence_seconds, 2.4f);
  EXPECT_TRUE(config.rule2.must_contain_nonsilence);
  EXPECT_FLOAT_EQ(config.rule2.min_trailing_silence_seconds, 1.2f);
  EXPECT_FLOAT_EQ(config.rule3.min_utterance_seconds, 20.0f);
  EXPECT_FLOAT_EQ(config.vad.min_trailing_silence_seconds, 0.6f);
  EXPECT_NE(config.to_string().find("min_trailing_silence_seconds=2.4"), std::string::npos)
      << config.to_string();
}

TEST(Endpoint, Rule1SilenceWithNothingDecodedFiresAt2400ms) {
  EndpointDetector detector;
  EXPECT_EQ(feed_decoder(detector, 59, 0), 0);                  // 2.36 s
  detector.accept_decoder_frames(kDecoderFrameSeconds, false);  // 2.40 s
  EXPECT_EQ(detector.reason(), EndpointReason::kRule1);
  EXPECT_FALSE(detector.decoded_something());
}

TEST(Endpoint, Rule2SilenceAfterSpeechFiresAt1200ms) {
  // Speech of several lengths, then silence: fires after exactly 30 silent frames.
  for (int speech_frames : {1, 10, 100}) {
    EndpointDetector detector;
    EXPECT_EQ(feed_decoder(detector, speech_frames, 1), 0);
    EXPECT_EQ(feed_decoder(detector, 29, 0), 0) << speech_frames;  // 1.16 s
    EXPECT_EQ(feed_decoder(detector, 1, 0), 1) << speech_frames;   // 1.20 s
    EXPECT_EQ(detector.reason(), EndpointReason::kRule2);
    EXPECT_NEAR(detector.trailing_silence_seconds(), 1.2, 1e-9);
  }
  // Silence shorter than 1.2 s between tokens never ends the utterance.
  EndpointDetector detector;
  EXPECT_EQ(feed_decoder(detector, 400, 29), 0);  // a token every 1.16 s, 16 s in all
}

TEST(Endpoint, Rule3MaximumUtteranceFiresAt20s) {
  EndpointDetector detector;
  EXPECT_EQ(feed_decoder(detector, 500, 1), 500);  // token every frame: 500 * 40 ms = 20 s
  EXPECT_EQ(detector.reason(), EndpointReason::kRule3);
}

TEST(Endpoint, VadRuleFiresAfter600msOfVadSilenceFollowingSpeech) {
  EndpointDetector detector;
  // Silence alone never fires the VAD rule (it needs speech first) ...
  for (int i = 0; i < 30; ++i) detector.accept_vad(kVadWindowSeconds, false);
  EXPECT_FALSE(detector.is_endpoint());
  // ... speech, then 18 windows (576 ms) of silence: not yet; the 19th (608 ms): fires.
  for (int i = 0; i < 10; ++i) detector.accept_vad(kVadWindowSeconds, true);
  for (int i = 0; i < 18; ++i) detector.accept_vad(kVadWindowSeconds, false);
  EXPECT_FALSE(detector.is_endpoint());
  EXPECT_NEAR(detector.vad_trailing_silence_seconds(), 0.576, 1e-9);
  detector.accept_vad(kVadWindowSeconds, false);
  EXPECT_EQ(detector.reason(), EndpointReason::kVad);
  // Speech again clears it.
  detector.accept_vad(kVadWindowSeconds, true);
  EXPECT_FALSE(detector.is_endpoint());

  EndpointConfig config;
  config.vad.enabled = false;
  EndpointDetector without_vad(config);
  without_vad.accept_vad(1.0, true);
  without_vad.accept_vad(5.0, false);
  EXPECT_FALSE(without_vad.is_endpoint());
}

TEST(Endpoint, ResetAndContinue) {
  EndpointDetector detector;
  // Utterance 1: speech then 1.2 s silence -> rule2.
  feed_decoder(detector, 25, 1);
  EXPECT_EQ(feed_decoder(detector, 40, 0), 30);
  EXPECT_EQ(detector.reason(), EndpointReason::kRule2);
  detector.reset();
  EXPECT_FALSE(detector.is_endpoint());
  EXPECT_EQ(detector.utterance_seconds(), 0.0);
  // Utterance 2: the earlier silence does not carry over; nothing decoded -> rule1 at 2.4 s.
  EXPECT_EQ(feed_decoder(detector, 100, 0), 60);
  EXPECT_EQ(detector.reason(), EndpointReason::kRule1);
  detector.reset();
  // Utterance 3: speech again -> rule2 after exactly 1.2 s.
  feed_decoder(detector, 5, 1);
  EXPECT_EQ(feed_decoder(detector, 40, 0), 30);
  detector.reset();
  // Utterance 4: VAD-driven, with the decoder still mid-word.
  detector.accept_vad(0.5, true);
  detector.accept_vad(0.6, false);
  EXPECT_EQ(detector.reason(), EndpointReason::kVad);
}

TEST(Endpoint, CustomRulesAreHonoured) {
  EndpointConfig config;
  config.rule2.min_trailing_silence_seconds = 0.4f;
  config.rule2.min_utterance_seconds = 1.0f;
  EndpointDetector detector(config);
  feed_decoder(detector, 5, 1);                  // 0.2 s of speech
  EXPECT_EQ(feed_decoder(detector, 30, 0), 20);  // utterance reaches 1.0 s at frame 25 - 5
  EXPECT_EQ(detector.reason(), EndpointReason::kRule2);
}

TEST(Endpoint, ValidateNamesTheField) {
  auto expect_field = [](const EndpointConfig& config, const char* field) {
    try {
      config.validate();
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
    }
  };
  EndpointConfig config;
  config.rule1.min_trailing_silence_seconds = -1;
  expect_field(config, "rule1.min_trailing_silence_seconds");
  config = {};
  config.rule3.min_utterance_seconds = 0;
  expect_field(config, "rule3");
  config = {};
  config.rule2.min_utterance_seconds = std::numeric_limits<float>::quiet_NaN();
  expect_field(config, "rule2.min_utterance_seconds");
  config = {};
  config.vad.min_trailing_silence_seconds = 0;
  expect_field(config, "vad.min_trailing_silence_seconds");
  EXPECT_THROW(EndpointDetector{config}, Error);
  config.vad.enabled = false;
  EXPECT_NO_THROW(config.validate());
}

}  // namespace
}  // namespace parley::asr

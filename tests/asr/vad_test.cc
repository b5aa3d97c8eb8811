// Voice activity: the segmenter's state machine on scripted probabilities (min speech, min
// silence, hysteresis, max speech cut, padding, onsets), chunking invariance, the energy detector
// on constructed signals (silence, tones, a noise floor it must learn), the energy VAD driving the
// endpoint detector's VAD rule, and segments of the shared espeak recording.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "asr/endpoint.h"
#include "asr/energy_vad.h"
#include "asr/speech_segmenter.h"
#include "audio/sound_file.h"
#include "kernels/error.h"
#include "tests/asr/scripted_vad.h"

namespace parley::asr {
namespace {

// A detector that reads its probability from the window's first sample: tests script
// probabilities directly as "audio".
using ScriptedVad = testing::ScriptedVad<160>;  // 10 ms: easy arithmetic
constexpr auto script = testing::script<160>;

std::vector<SpeechEvent> run(SpeechSegmenter& segmenter, const std::vector<float>& samples,
                             size_t chunk) {
  std::vector<SpeechEvent> events;
  for (size_t pos = 0; pos < samples.size(); pos += chunk) {
    segmenter.accept(
        std::span<const float>(samples).subspan(pos, std::min(chunk, samples.size() - pos)));
    while (auto e = segmenter.pop_event()) events.push_back(*e);
  }
  segmenter.finish();
  while (auto e = segmenter.pop_event()) events.push_back(*e);
  return events;
}

TEST(SpeechSegmenter, StartsAfterMinSpeechEndsAfterMinSilenceWithPadding) {
  ScriptedVad vad;
  SpeechSegmenter segmenter(vad);  // 0.25 s speech, 0.5 s silence, 30 ms pad
  // 1 s silence, 0.2 s speech (too short), 0.5 s silence, 1 s speech, 0.4 s silence (too short
  // to end), 0.5 s speech, 1 s silence.
  const auto audio = script(
      {{0.0f, 100}, {0.9f, 20}, {0.0f, 50}, {0.9f, 100}, {0.1f, 40}, {0.9f, 50}, {0.0f, 100}});
  const auto events = run(segmenter, audio, 160);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, SpeechEvent::kSpeechStart);
  EXPECT_FALSE(events[0].forced);
  EXPECT_EQ(events[0].onset_sample, 170 * 160);                // 1.7 s
  EXPECT_EQ(events[0].reported_sample, 195 * 160);             // confirmed 0.25 s later
  EXPECT_EQ(events[0].segment.start_sample, 170 * 160 - 480);  // 30 ms pad
  EXPECT_EQ(events[1].kind, SpeechEvent::kSpeechEnd);
  EXPECT_EQ(events[1].segment.start_sample, 170 * 160 - 480);
  EXPECT_EQ(events[1].segment.end_sample, 360 * 160 + 480);  // speech ends at 3.6 s, + pad
  EXPECT_EQ(events[1].reported_sample, 410 * 160);           // after 0.5 s of silence
}

TEST(SpeechSegmenter, SpeechAccumulatesAcrossShortGapsBeforeConfirming) {
  ScriptedVad vad;
  SpeechSegmenter segmenter(vad);
  // 0.15 s of speech, a 0.1 s gap, 0.15 s more: 0.3 s of speech windows >= 0.25 s, so the onset
  // is the first word's start (a short first word is not lost), confirmed in the second word.
  const auto events =
      run(segmenter, script({{0.0f, 50}, {0.9f, 15}, {0.0f, 10}, {0.9f, 15}, {0.0f, 60}}), 480);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].onset_sample, 50 * 160);
  EXPECT_EQ(events[0].reported_sample, (50 + 15 + 10 + 10) * 160);  // 25th speech window
  EXPECT_EQ(events[1].segment.end_sample, 90 * 160 + 480);
}

TEST(SpeechSegmenter, HysteresisBetweenReleaseAndThreshold) {
  ScriptedVad vad;
  SpeechSegmenter segmenter(vad);
  // In a segment, 0.4 (between release 0.35 and threshold 0.5) neither starts nor cancels a
  // silence run: 0.3 s of 0.2 then 0.3 s of 0.4 is 0.6 s of silence run -> ends at 0.5 s.
  const auto audio = script({{0.9f, 50}, {0.2f, 30}, {0.4f, 30}, {0.9f, 50}});
  const auto events = run(segmenter, audio, 1000);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].kind, SpeechEvent::kSpeechEnd);
  EXPECT_EQ(events[1].reported_sample, 100 * 160);  // 50 windows of silence run after 50
  EXPECT_EQ(events[1].segment.end_sample, 50 * 160 + 480);
  // 0.4 alone never starts a segment.
  SpeechSegmenter quiet(vad);
  EXPECT_TRUE(run(quiet, script({{0.4f, 500}}), 160).empty());
}

TEST(SpeechSegmenter, MaxSpeechCutsAndContinues) {
  ScriptedVad vad;
  SegmenterConfig config;
  config.max_speech_seconds = 2.0f;
  SpeechSegmenter segmenter(vad, config);
  const auto events = run(segmenter, script({{0.0f, 10}, {0.9f, 500}, {0.0f, 100}}), 3200);
  // 5 s of speech in 2 s pieces: start, end(forced), start(forced), end(forced), start(forced),
  // end at the silence.
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[1].segment.end_sample, (10 + 200) * 160);
  EXPECT_TRUE(events[1].forced);
  EXPECT_TRUE(events[2].forced);
  EXPECT_EQ(events[2].segment.start_sample, (10 + 200) * 160);
  EXPECT_EQ(events[4].segment.start_sample, (10 + 400) * 160);
  EXPECT_FALSE(events[5].forced);
  EXPECT_EQ(events[5].segment.end_sample, 510 * 160 + 480);
}

TEST(SpeechSegmenter, FinishClosesAnOpenSegmentAndPaddingNeverOverlaps) {
  ScriptedVad vad;
  SegmenterConfig config;
  config.speech_pad_seconds = 0.2f;  // 3200 samples, longer than the 0.1 s... gap is 0.5 s
  config.min_silence_seconds = 0.3f;
  SpeechSegmenter segmenter(vad, config);
  const auto events = run(segmenter, script({{0.9f, 30}, {0.0f, 35}, {0.9f, 40}}), 777);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].segment.start_sample, 0);  // clamped at 0
  EXPECT_EQ(events[1].segment.end_sample, 30 * 160 + 3200);
  // Second segment's padded start may not reach back into the first segment.
  EXPECT_EQ(events[2].segment.start_sample, 30 * 160 + 3200);
  EXPECT_EQ(events[3].segment.end_sample, 105 * 160);  // finish(): end of audio
}

TEST(SpeechSegmenter, EventsDoNotDependOnChunking) {
  ScriptedVad vad;
  std::mt19937 rng(5);
  std::vector<float> audio;
  for (int run = 0; run < 60; ++run) {
    const float p = std::uniform_real_distribution<float>(0, 1)(rng);
    audio.insert(audio.end(), 160 * std::uniform_int_distribution<size_t>(1, 80)(rng), p);
  }
  SpeechSegmenter reference_segmenter(vad);
  const auto reference = run(reference_segmenter, audio, audio.size());
  ASSERT_GE(reference.size(), 4u);
  for (size_t chunk : {1u, 159u, 161u, 512u, 4000u}) {
    SpeechSegmenter segmenter(vad);
    const auto events = run(segmenter, audio, chunk);
    ASSERT_EQ(events.size(), reference.size()) << chunk;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].kind, reference[i].kind);
      EXPECT_EQ(events[i].segment.start_sample, reference[i].segment.start_sample);
      EXPECT_EQ(events[i].segment.end_sample, reference[i].segment.end_sample);
      EXPECT_EQ(events[i].onset_sample, reference[i].onset_sample);
    }
  }
}

TEST(SpeechSegmenter, ValidateNamesTheField) {
  ScriptedVad vad;
  auto expect_field = [&](SegmenterConfig config, const char* field) {
    try {
      SpeechSegmenter segmenter(vad, config);
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
    }
  };
  expect_field({.threshold = 1.5f}, "threshold");
  expect_field({.release_threshold = 0.6f}, "release_threshold");
  expect_field({.min_speech_seconds = -1}, "min_speech_seconds");
  expect_field({.max_speech_seconds = 0.1f}, "max_speech_seconds");
  expect_field({.speech_pad_seconds = 10}, "speech_pad_seconds");
  EXPECT_NE(SegmenterConfig{}.to_string().find("min_silence_seconds=0.5"), std::string::npos);
}

// --- EnergyVad -------------------------------------------------------------------------------

std::vector<float> tone(double seconds, double dbfs, double hz = 440) {
  const double amplitude = std::pow(10.0, dbfs / 20.0) * std::sqrt(2.0);  // RMS = dbfs
  std::vector<float> out(static_cast<size_t>(seconds * 16000));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * hz * i / 16000));
  return out;
}

std::vector<float> noise(double seconds, double dbfs, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, std::pow(10.0, dbfs / 20.0));
  std::vector<float> out(static_cast<size_t>(seconds * 16000));
  for (float& v : out) v = static_cast<float>(dist(rng));
  return out;
}

std::vector<float> concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

TEST(EnergyVad, ProbabilitiesOnConstructedSignals) {
  EnergyVad vad;
  ASSERT_EQ(vad.window_samples(), 512u);
  const std::vector<float> silence(512, 0.0f);
  EXPECT_LT(vad.speech_probability(silence), 1e-6f);
  const auto loud = tone(0.032, -20);
  EXPECT_GT(vad.speech_probability(loud), 0.999f);
  EXPECT_NEAR(vad.last_level_dbfs(), -20.0f, 0.2f);
  // Below the absolute minimum: never speech.
  EXPECT_LT(vad.speech_probability(tone(0.032, -60)), 0.01f);  // 10 dB under: e^-5
  EXPECT_THROW(EnergyVad({.margin_db = -1}), Error);
  EXPECT_THROW(EnergyVad({.window_ms = 0}), Error);
}

TEST(EnergyVad, LearnsANoiseFloor) {
  EnergyVad vad;
  // -40 dBFS background noise (a fan): louder than min_speech_dbfs, but learned as the floor.
  const auto background = noise(4.0, -40, 1);
  int speech_windows = 0;
  for (size_t pos = 0; pos + 512 <= background.size(); pos += 512) {
    speech_windows +=
        vad.speech_probability(std::span<const float>(background).subspan(pos, 512)) >= 0.5f;
  }
  EXPECT_EQ(speech_windows, 0);
  EXPECT_NEAR(vad.noise_floor_dbfs(), -40.0f, 1.5f);
  // A voice 20 dB above the background is speech; one at the background's level is not.
  auto voice = tone(0.032, -20);
  const auto bed = noise(0.032, -40, 2);
  for (size_t i = 0; i < voice.size(); ++i) voice[i] += bed[i];
  EXPECT_GT(vad.speech_probability(voice), 0.99f);
  auto murmur = tone(0.032, -40);
  for (size_t i = 0; i < murmur.size(); ++i) murmur[i] += bed[i];
  EXPECT_LT(vad.speech_probability(murmur), 0.1f);
  vad.reset();
  EXPECT_FLOAT_EQ(vad.noise_floor_dbfs(), -80.0f);
}

TEST(EnergyVad, DrivesTheEndpointVadRuleOnSpeechThenSilenceOfEachLength) {
  // Tone "speech" then silence of L seconds: the VAD rule fires iff L covers 0.6 s of windows
  // (windows are 32 ms: 19 windows = 608 ms is the first that reaches 600 ms).
  for (double silence_seconds : {0.3, 0.576, 0.608, 1.0}) {
    EnergyVad vad;
    EndpointDetector endpoint;
    const auto audio =
        concat({std::vector<float>(8000, 0.0f), tone(1.0, -20),
                std::vector<float>(static_cast<size_t>(silence_seconds * 16000), 0.0f)});
    bool fired = false;
    for (size_t pos = 0; pos + 512 <= audio.size(); pos += 512) {
      const float p = vad.speech_probability(std::span<const float>(audio).subspan(pos, 512));
      endpoint.accept_vad(vad.window_seconds(), p >= 0.5f);
      fired = fired || endpoint.reason() == EndpointReason::kVad;
    }
    // 8000 + 16000 samples = 46.875 windows: the tone's last partial window is at 46, silence
    // proper starts with window 47 (sample 24064).
    const double silent_window_seconds = std::floor((audio.size() - 24064) / 512.0) * 0.032;
    EXPECT_EQ(fired, silent_window_seconds >= 0.6 - 1e-9) << silence_seconds;
  }
}

TEST(EnergyVad, SegmentsTheSharedEspeakRecording) {
  const std::string path = std::string(PARLEY_SHARED_TESTDATA) + "/audio/espeak_en_16k.wav";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const audio::SoundBuffer sound = audio::read_sound_file(path, {.mix_to_mono = true});
  ASSERT_EQ(sound.sample_rate_hz, 16000);
  // Independent reference from the levels: runs of 32 ms windows under -60 dBFS (espeak-ng
  // writes digital silence between words and sentences).
  struct Run {
    int64_t start, end;
  };
  std::vector<Run> pauses;
  int64_t run_start = -1;
  const int64_t windows = static_cast<int64_t>(sound.samples.size() / 512);
  for (int64_t w = 0; w <= windows; ++w) {
    bool quiet = false;
    if (w < windows) {
      double energy = 0;
      for (int64_t i = w * 512; i < (w + 1) * 512; ++i)
        energy += sound.samples[i] * sound.samples[i];
      quiet = 10 * std::log10(energy / 512 + 1e-20) < -60;
    }
    if (quiet && run_start < 0) run_start = w * 512;
    if (!quiet && run_start >= 0) pauses.push_back({run_start, w * 512}), run_start = -1;
  }
  // Pauses long enough to end a segment, excluding the leading and trailing silence.
  auto long_inner_pauses = [&](double min_seconds) {
    std::vector<Run> out;
    for (const Run& r : pauses) {
      if (r.start > 0 && r.end < windows * 512 && r.end - r.start >= min_seconds * 16000)
        out.push_back(r);
    }
    return out;
  };

  for (float min_silence : {0.5f, 0.3f}) {
    EnergyVad vad;
    SegmenterConfig config;
    config.min_silence_seconds = min_silence;
    const auto segments = segment_speech(vad, sound.samples, config);
    const auto inner = long_inner_pauses(min_silence);
    std::printf("min_silence %.1f s: %zu segments:", min_silence, segments.size());
    for (const auto& s : segments)
      std::printf(" [%.2f, %.2f]", s.start_sample / 16000.0, s.end_sample / 16000.0);
    std::printf("\n");
    // Sentence pauses are 0.38 and 0.42 s: one segment at 0.5 s, one per sentence at 0.3 s.
    ASSERT_EQ(segments.size(), inner.size() + 1) << min_silence;
    const int64_t tolerance = 2 * 512 + 480;  // two windows plus padding
    EXPECT_NEAR(segments.front().start_sample, pauses.front().end, tolerance);
    EXPECT_NEAR(segments.back().end_sample, pauses.back().start, tolerance);
    for (size_t i = 0; i < inner.size(); ++i) {
      EXPECT_NEAR(segments[i].end_sample, inner[i].start, tolerance) << i;
      EXPECT_NEAR(segments[i + 1].start_sample, inner[i].end, tolerance) << i;
    }
  }
}

}  // namespace
}  // namespace parley::asr

// EchoCanceller on real speech, fed through a simulated device's rings exactly as in the pipeline:
// the far-end speech goes into the playback ring, the device mirrors what it plays into the far-end
// ring, and the microphone hears that speech's delayed, attenuated copy (the echo) plus different
// near-end speech. Measured: echo return loss enhancement on echo-only stretches after convergence,
// near-end speech energy preservation, and the NS / AGC / pass-through switches.
// Figures measured here with libwebrtc-audio-processing 0.3 (Debian 12) are in the report lines
// each test prints.
#include "audio/echo_canceller.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "audio/error.h"
#include "audio/simulated_device.h"
#include "audio/sound_file.h"

namespace parley::audio {
namespace {

constexpr int kRateHz = 16000;
constexpr size_t kFrame = kRateHz / 100;  // 10 ms

std::vector<float> load(const std::string& name) {
  const std::string path = std::string(PARLEY_SHARED_TESTDATA) + "/audio/" + name;
  if (!std::filesystem::exists(path)) return {};
  SoundBuffer sound = read_sound_file(path, {.mix_to_mono = true});
  EXPECT_EQ(sound.sample_rate_hz, kRateHz) << path;
  return sound.samples;
}

double energy(const std::vector<float>& x, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end && i < x.size(); ++i) sum += double(x[i]) * x[i];
  return sum;
}

double db(double ratio) {
  return 10 * std::log10(std::max(ratio, 1e-30));
}

// The echo scenario, 16 kHz mono.
struct Scene {
  std::vector<float> far_end;     // what the speaker plays
  std::vector<float> echo;        // what the microphone hears of it
  std::vector<float> near_end;    // the user's speech at the microphone
  std::vector<float> microphone;  // echo + near_end + a -70 dBFS noise floor
  size_t near_begin = 0, near_end_sample = 0;
};

constexpr int kEchoDelayMs = 40;
constexpr float kEchoGain = 0.5f;  // -6 dB: a loud loudspeaker close to the microphone

Scene make_scene(const std::vector<float>& far_speech, const std::vector<float>& near_speech) {
  Scene scene;
  const size_t tail = 3 * kRateHz;
  const size_t total = far_speech.size() + near_speech.size() + tail;
  scene.far_end.assign(total, 0.0f);
  std::copy(far_speech.begin(), far_speech.end(), scene.far_end.begin());
  scene.echo.assign(total, 0.0f);
  const size_t delay = kEchoDelayMs * kRateHz / 1000;
  for (size_t i = delay; i < total; ++i) scene.echo[i] = kEchoGain * scene.far_end[i - delay];
  // Near-end speech alone, 1 s after the far end (and its echo) stopped.
  scene.near_end.assign(total, 0.0f);
  scene.near_begin = far_speech.size() + kRateHz;
  scene.near_end_sample = scene.near_begin + near_speech.size();
  std::copy(near_speech.begin(), near_speech.end(), scene.near_end.begin() + scene.near_begin);
  std::mt19937 random(42);
  std::normal_distribution<float> noise(0.0f, 3.2e-4f);  // -70 dBFS
  scene.microphone.resize(total);
  for (size_t i = 0; i < total; ++i) {
    scene.microphone[i] = scene.echo[i] + scene.near_end[i] + noise(random);
  }
  return scene;
}

// Runs the scene through a simulated device in manual pacing and the canceller; returns the
// cleaned microphone signal, sample-aligned with scene.microphone.
std::vector<float> run_through_device(const Scene& scene, EchoCanceller& canceller) {
  StreamConfig config{.sample_rate_hz = kRateHz,
                      .frames_per_block = 320,
                      .ring_capacity_ms = 1000,
                      .keep_far_end_reference = true};
  SimulatedStreamOptions options;
  options.capture_input = scene.microphone;
  options.pacing = Pacing::kManual;
  SimulatedStream device(config, options);
  EchoCancelledCapture microphone(device, canceller);
  device.start();
  std::vector<float> cleaned(scene.microphone.size(), 0.0f);
  size_t fed = 0, got = 0;
  while (got + 320 <= cleaned.size()) {
    // The application keeps the playback ring topped up, like a TTS thread would.
    fed += device.playback().try_write(std::span(scene.far_end).subspan(fed));
    device.pump(1);
    got += microphone.read(std::span(cleaned).subspan(got));
  }
  device.stop();
  EXPECT_EQ(device.counters().capture_overflow_samples, 0u);
  EXPECT_EQ(device.counters().far_end_overflow_samples, 0u);
  return cleaned;
}

// ERLE over 10 ms frames where the echo is active (> -50 dBFS), from `begin` to `end`.
double erle_db(const Scene& scene, const std::vector<float>& cleaned, size_t begin, size_t end) {
  double echo_energy = 0, residual_energy = 0;
  for (size_t at = begin; at + kFrame <= end; at += kFrame) {
    const double frame_echo = energy(scene.echo, at, at + kFrame);
    if (frame_echo / kFrame < 1e-5) continue;  // -50 dBFS: not an echo-active frame
    echo_energy += energy(scene.microphone, at, at + kFrame);
    residual_energy += energy(cleaned, at, at + kFrame);
  }
  return db(echo_energy / residual_energy);
}

TEST(EchoCancellerConfig, ValidateNamesTheBadField) {
  EXPECT_NO_THROW(EchoCancellerConfig{}.validate());
  try {
    EchoCanceller canceller(EchoCancellerConfig{.sample_rate_hz = 44100});
    FAIL() << "44100 Hz accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("sample_rate_hz"), std::string::npos);
  }
  EXPECT_THROW(EchoCanceller(EchoCancellerConfig{.stream_delay_ms = -1}), Error);
  EXPECT_THROW(EchoCanceller(EchoCancellerConfig{.gain_target_level_dbfs = 40}), Error);
  EchoCanceller canceller(EchoCancellerConfig{});
  std::vector<float> wrong(100), right(kFrame);
  EXPECT_THROW(canceller.analyze_far_end(wrong), Error);
  EXPECT_THROW(canceller.process_capture(wrong, wrong), Error);
  EXPECT_THROW(canceller.set_stream_delay_ms(900), Error);
  EXPECT_NO_THROW(canceller.process_capture(right, right));
}

TEST(EchoCanceller, RemovesEchoAndKeepsNearEndSpeech) {
  const std::vector<float> far_speech = load("espeak_en_16k.wav");
  const std::vector<float> near_speech = load("oww_hey_mycroft_test.wav");
  if (far_speech.empty() || near_speech.empty()) {
    GTEST_SKIP() << "shared test data absent: audio/espeak_en_16k.wav, oww_hey_mycroft_test.wav";
  }
  const Scene scene = make_scene(far_speech, near_speech);
  EchoCanceller canceller(EchoCancellerConfig{.sample_rate_hz = kRateHz});
  const std::vector<float> cleaned = run_through_device(scene, canceller);

  // Convergence: the first 3 s of far-end speech are excluded from the measurement.
  const size_t converged = 3 * kRateHz;
  const size_t echo_stop = far_speech.size() + kEchoDelayMs * kRateHz / 1000;
  const double erle_first = erle_db(scene, cleaned, 0, converged);
  const double erle = erle_db(scene, cleaned, converged, echo_stop);
  const double near_change = db(energy(cleaned, scene.near_begin, scene.near_end_sample) /
                                energy(scene.near_end, scene.near_begin, scene.near_end_sample));
  const EchoCancellerStats stats = canceller.stats();
  std::printf(
      "ERLE first 3 s: %.1f dB; ERLE after 3 s: %.1f dB; near-end energy change %+.2f dB; "
      "webrtc ERLE avg %d dB, delay median %d ms (true %d ms)\n",
      erle_first, erle, near_change, stats.echo_return_loss_enhancement_db, stats.delay_median_ms,
      kEchoDelayMs);
  EXPECT_GE(erle, 20.0);
  EXPECT_LE(std::abs(near_change), 3.0);
  EXPECT_EQ(stats.capture_frames, stats.far_end_frames);
}

TEST(EchoCanceller, RoomEchoAndDoubleTalk) {
  // Harder than a single delayed copy: the echo passes a 100 ms exponentially decaying random room
  // response (40 ms direct-path delay, -6 dB overall), and near-end speech ("turn on the office
  // lights" clip, 8 s) overlaps the far-end speech from 6 s on (double talk).
  const std::vector<float> far_speech = load("espeak_en_16k.wav");
  const std::vector<float> office = load("oww_turn_on_the_office_lights_test_clip.wav");
  if (far_speech.empty() || office.empty()) GTEST_SKIP() << "shared test data absent";
  Scene scene = make_scene(far_speech, {});
  std::mt19937 random(3);
  std::normal_distribution<float> gaussian(0.0f, 1.0f);
  const size_t delay = kEchoDelayMs * kRateHz / 1000, taps = kRateHz / 10;
  std::vector<float> room(taps);
  double room_energy = 0;
  for (size_t k = 0; k < taps; ++k) {
    room[k] = gaussian(random) * std::exp(-6.9f * k / taps);  // -60 dB over 100 ms
    room_energy += room[k] * room[k];
  }
  for (float& h : room) h *= kEchoGain / static_cast<float>(std::sqrt(room_energy));
  const size_t total = scene.far_end.size();
  for (size_t i = 0; i < total; ++i) {
    double sum = 0;
    for (size_t k = 0; k < taps && k + delay <= i; ++k)
      sum += room[k] * scene.far_end[i - delay - k];
    scene.echo[i] = static_cast<float>(sum);
  }
  const size_t near_begin = 6 * kRateHz;
  const size_t near_length = std::min<size_t>(8 * kRateHz, total - near_begin);
  scene.near_end.assign(total, 0.0f);
  for (size_t i = 0; i < near_length; ++i) scene.near_end[near_begin + i] = office[i];
  for (size_t i = 0; i < total; ++i) scene.microphone[i] = scene.echo[i] + scene.near_end[i];

  EchoCanceller canceller(EchoCancellerConfig{.sample_rate_hz = kRateHz});
  const std::vector<float> cleaned = run_through_device(scene, canceller);
  // Echo-only: 3 s .. 6 s (before the near end starts).
  const double erle = erle_db(scene, cleaned, 3 * kRateHz, near_begin);
  // Double talk: near-end energy through the canceller, on frames where near-end speech is at
  // least as loud as the echo, compared with the near-end input on the same frames.
  double near_in = 0, near_out = 0;
  for (size_t at = near_begin; at + kFrame <= near_begin + near_length; at += kFrame) {
    const double near = energy(scene.near_end, at, at + kFrame);
    if (near / kFrame < 1e-5 || near < energy(scene.echo, at, at + kFrame)) continue;
    near_in += near;
    near_out += energy(cleaned, at, at + kFrame);
  }
  std::printf("room echo: ERLE 3-6 s %.1f dB; double-talk near-end energy %+.2f dB\n", erle,
              db(near_out / near_in));
  EXPECT_GE(erle, 20.0);
}

TEST(EchoCanceller, EverythingOffPassesAudioThrough) {
  EchoCanceller canceller(EchoCancellerConfig{.echo_cancellation = false,
                                              .noise_suppression = false,
                                              .gain_control = false,
                                              .high_pass_filter = false});
  std::mt19937 random(5);
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  std::vector<float> frame(kFrame), far(kFrame), out(kFrame);
  double max_error = 0;
  for (int i = 0; i < 100; ++i) {
    for (float& x : frame) x = uniform(random);
    for (float& x : far) x = uniform(random);
    canceller.analyze_far_end(far);
    canceller.process_capture(frame, out);
    for (size_t k = 0; k < kFrame; ++k)
      max_error = std::max(max_error, double(std::abs(out[k] - frame[k])));
  }
  // webrtc converts float to int16 inside: the round trip is exact to 16-bit resolution.
  EXPECT_LT(max_error, 1.0 / 16384);
}

TEST(EchoCanceller, NoiseSuppressionRemovesNoiseAndCanBeSwitchedOff) {
  const std::vector<float> speech = load("oww_alexa_test.wav");
  if (speech.empty()) GTEST_SKIP() << "shared test data absent: audio/oww_alexa_test.wav";
  // 2 s of -40 dBFS white noise, then the speech over the same noise.
  std::mt19937 random(9);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  const size_t noise_only = 2 * kRateHz;
  std::vector<float> input(noise_only + speech.size() + kRateHz / 2);
  for (float& x : input) x = noise(random);
  for (size_t i = 0; i < speech.size(); ++i) input[noise_only + i] += speech[i];
  auto run = [&](EchoCanceller& canceller, const std::vector<float>& signal) {
    std::vector<float> out(signal.size() / kFrame * kFrame);
    for (size_t at = 0; at + kFrame <= out.size(); at += kFrame) {
      canceller.analyze_far_end(std::vector<float>(kFrame, 0.0f));
      canceller.process_capture(std::span(signal).subspan(at, kFrame),
                                std::span(out).subspan(at, kFrame));
    }
    return out;
  };
  // NS on: the noise-only stretch (after 1 s of learning) drops by > 10 dB; the speech stays
  // within 3 dB. NS switched off at run time: the noise passes again.
  EchoCanceller canceller(
      EchoCancellerConfig{.echo_cancellation = false,
                          .noise_suppression = true,
                          .noise_suppression_level = NoiseSuppressionLevel::kHigh});
  std::vector<float> out = run(canceller, input);
  const double noise_reduction =
      db(energy(input, kRateHz, noise_only) / energy(out, kRateHz, noise_only));
  const double speech_change = db(energy(out, noise_only, noise_only + speech.size()) /
                                  energy(input, noise_only, noise_only + speech.size()));
  canceller.set_noise_suppression_enabled(false);
  out = run(canceller, input);
  const double noise_reduction_off =
      db(energy(input, kRateHz, noise_only) / energy(out, kRateHz, noise_only));
  std::printf("NS: noise reduced by %.1f dB (NS off: %.1f dB), speech energy %+.2f dB\n",
              noise_reduction, noise_reduction_off, speech_change);
  EXPECT_GT(noise_reduction, 10.0);
  EXPECT_LT(noise_reduction_off, 1.0);
  EXPECT_LE(std::abs(speech_change), 3.0);
}

TEST(EchoCanceller, GainControlRaisesQuietSpeechAndCanBeSwitchedOff) {
  const std::vector<float> speech = load("espeak_en_16k.wav");
  if (speech.empty()) GTEST_SKIP() << "shared test data absent: audio/espeak_en_16k.wav";
  // The sentence 26 dB too quiet; the digital AGC adapts over the first seconds, so its gain is
  // measured on the second half.
  std::vector<float> quiet(speech.size() / kFrame * kFrame);
  for (size_t i = 0; i < quiet.size(); ++i) quiet[i] = 0.05f * speech[i];
  auto gain_db = [&](EchoCanceller& canceller) {
    std::vector<float> out(quiet.size());
    for (size_t at = 0; at + kFrame <= quiet.size(); at += kFrame) {
      canceller.analyze_far_end(std::vector<float>(kFrame, 0.0f));
      canceller.process_capture(std::span(quiet).subspan(at, kFrame),
                                std::span(out).subspan(at, kFrame));
    }
    return db(energy(out, quiet.size() / 2, quiet.size()) /
              energy(quiet, quiet.size() / 2, quiet.size()));
  };
  EchoCanceller agc(EchoCancellerConfig{.echo_cancellation = false,
                                        .noise_suppression = false,
                                        .gain_control = true,
                                        .gain_compression_db = 20});
  const double gain_on = gain_db(agc);
  agc.set_gain_control_enabled(false);
  const double gain_off = gain_db(agc);
  std::printf("AGC: quiet speech gain %+.1f dB (off: %+.1f dB)\n", gain_on, gain_off);
  EXPECT_GT(gain_on, 10.0);
  EXPECT_LT(std::abs(gain_off), 1.0);
}
TEST(EchoCancelledCapture, RefusesStreamsWithoutFarEndReference) {
  EchoCanceller canceller(EchoCancellerConfig{});
  SimulatedStream no_reference(StreamConfig{}, SimulatedStreamOptions{.pacing = Pacing::kManual});
  EXPECT_THROW(EchoCancelledCapture(no_reference, canceller), Error);
  SimulatedStream wrong_rate(StreamConfig{.sample_rate_hz = 48000, .keep_far_end_reference = true},
                             SimulatedStreamOptions{.pacing = Pacing::kManual});
  EXPECT_THROW(EchoCancelledCapture(wrong_rate, canceller), Error);
}

}  // namespace
}  // namespace parley::audio

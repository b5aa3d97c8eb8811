// EchoCanceller — acoustic echo cancellation (AEC), noise suppression (NS) and automatic gain
// control (AGC) for the microphone signal, through Debian's webrtc-audio-processing 0.3
// (webrtc::AudioProcessing: the desktop AEC with extended filter and delay-agnostic mode).
//
// How it is fed
//   * Audio goes in 10 ms frames of mono float at one of 8, 16, 32 or 48 kHz (frame_samples()).
//   * For every frame the speaker plays, analyze_far_end() receives exactly those samples (silence
//     included) — the reference the echo is predicted from. The source of truth is the device's
//     far-end ring (AudioStream::far_end(), StreamConfig::keep_far_end_reference): the blocks the
//     device actually took from the playback ring, after flushes and underruns, not what the
//     application meant to play.
//   * Then process_capture() cleans the microphone frame captured at the same time.
//     EchoCancelledCapture below does both from a stream's rings, far-end first, frame by frame.
//   * stream_delay_ms is the known delay between a far-end frame reaching analyze_far_end() and its
//     echo reaching process_capture() (output + input latency of the hardware). With delay_agnostic
//     (default) the AEC estimates the delay itself and this is only a starting point.
//   * AEC, NS and AGC are switchable at construction and at run time (set_*_enabled). With all
//     three off (and the high-pass filter off) the output equals the input.
//
// Contracts
//   * Construction and the setters throw parley::audio::Error naming the bad field. The process
//     calls throw Error for a wrong frame size; this code allocates nothing per frame (webrtc's
//     internals are not audited). One thread at a time; this is
//     pipeline work, never the device callback.
//   * The AEC adapts: echo is reduced strongly only after it has heard a few seconds of far-end
//     speech (the test measures after 3 s; see echo_canceller_test.cc for the figures).
//
// Usage
//   StreamConfig config{.sample_rate_hz = 16000, .keep_far_end_reference = true};
//   PortAudioStream device(config);                           // or SimulatedStream
//   EchoCanceller canceller(EchoCancellerConfig{.sample_rate_hz = 16000});
//   EchoCancelledCapture microphone(device, canceller);
//   device.start();
//   std::vector<float> clean(1600);
//   size_t got = microphone.read(clean);   // whole 10 ms frames, echo removed, 0 if none ready
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace parley::audio {

class AudioStream;

enum class EchoSuppression { kLow, kModerate, kHigh };  // AEC non-linear suppression strength
enum class NoiseSuppressionLevel { kLow, kModerate, kHigh, kVeryHigh };

struct EchoCancellerConfig {
  int sample_rate_hz = 16000;  // 8000, 16000, 32000 or 48000; mono
  bool echo_cancellation = true;
  EchoSuppression echo_suppression = EchoSuppression::kHigh;
  bool delay_agnostic = true;   // estimate the echo delay from the signals
  bool extended_filter = true;  // longer echo tail and more robust adaptation
  int stream_delay_ms = 0;      // 0 .. 500: known far-end-to-capture delay
  bool noise_suppression = true;
  NoiseSuppressionLevel noise_suppression_level = NoiseSuppressionLevel::kModerate;
  bool gain_control = false;       // adaptive digital AGC
  int gain_target_level_dbfs = 3;  // 0 .. 31: target peak level, dB below full scale
  int gain_compression_db = 9;     // 0 .. 90: the most gain AGC may add
  bool high_pass_filter = true;    // removes DC and rumble below ~80 Hz

  // Throws parley::audio::Error naming the first bad field.
  void validate() const;
  std::string to_string() const;
  size_t frame_samples() const { return static_cast<size_t>(sample_rate_hz / 100); }
};

struct EchoCancellerStats {
  uint64_t far_end_frames = 0;
  uint64_t capture_frames = 0;
  bool stream_has_echo = false;  // the AEC's verdict on the last capture frame
  // webrtc's own long-term averages in dB (valid once the AEC has run a few seconds; 0 if off).
  int echo_return_loss_db = 0;
  int echo_return_loss_enhancement_db = 0;
  int delay_median_ms = -1;      // delay-agnostic estimate; -1 while unknown
  float speech_probability = 0;  // NS' estimate for the last frame
};

class EchoCanceller {
 public:
  explicit EchoCanceller(const EchoCancellerConfig& config);
  ~EchoCanceller();
  EchoCanceller(const EchoCanceller&) = delete;
  EchoCanceller& operator=(const EchoCanceller&) = delete;

  // Exactly frame_samples() samples sent to the speaker.
  void analyze_far_end(std::span<const float> frame);
  // Cleans one captured frame; `cleaned` may alias `captured`.
  void process_capture(std::span<const float> captured, std::span<float> cleaned);

  void set_echo_cancellation_enabled(bool enabled);
  void set_noise_suppression_enabled(bool enabled);
  void set_gain_control_enabled(bool enabled);
  void set_stream_delay_ms(int delay_ms);

  const EchoCancellerConfig& config() const { return config_; }
  size_t frame_samples() const { return config_.frame_samples(); }
  EchoCancellerStats stats() const;

 private:
  void apply_switches();

  EchoCancellerConfig config_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<float> far_end_scratch_;
  uint64_t far_end_frames_ = 0;
  uint64_t capture_frames_ = 0;
};

// Reads a stream's capture ring through an EchoCanceller, feeding it the stream's far-end ring.
// The stream must be mono capture and mono playback at the canceller's rate with
// keep_far_end_reference set (throws Error otherwise). The far-end ring must be read as steadily as
// the capture ring, which this class does: it consumes the two in lock step, 10 ms at a time.
class EchoCancelledCapture {
 public:
  EchoCancelledCapture(AudioStream& stream, EchoCanceller& canceller);

  // Processes every whole 10 ms frame present in both rings, up to cleaned.size() samples, and
  // writes the cleaned samples; returns how many were written (a multiple of frame_samples()).
  size_t read(std::span<float> cleaned);

 private:
  AudioStream& stream_;
  EchoCanceller& canceller_;
  std::vector<float> far_end_frame_;
};

}  // namespace parley::audio

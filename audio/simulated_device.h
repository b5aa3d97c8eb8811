// SimulatedStream — a file/null sound device behind the AudioStream interface, so tests, replay
// and the pipeline run without sound hardware.
//
//   * Capture: plays `capture_input` (interleaved, at the stream's rate and capture channel count)
//     into the capture ring block by block, then silence (or loops it). Empty input = a null
//     microphone that captures silence. capture_input_finished() turns true once the last input
//     sample has been delivered.
//   * Playback: every block taken from the playback ring (silence included) is appended to a
//     recording, preallocated for max_recorded_playback_frames, readable after stop() (or any
//     time in kManual mode).
//   * Pacing:
//       kRealTime       a device thread runs one block every frames_per_block / sample_rate_hz
//                       seconds of std::chrono::steady_clock, like hardware (drops on overflow).
//       kAsFastAsPossible  a device thread runs blocks back to back but never drops capture: it
//                       waits for room in the capture ring (a lossless file reader).
//       kManual         no thread; the caller runs blocks with pump(): deterministic tests.
//   The device thread touches only the rings and its preallocated buffers (AudioStream's
//   process_block), like a PortAudio callback.
//   * Fault injection (kRealTime / kAsFastAsPossible): with outage_s > 0 the device vanishes once,
//     after outage_after_s seconds of blocks — its thread stops by itself, is_running() turns
//     false, check_and_recover() fails for outage_s seconds of wall time and then reopens it; the
//     capture input that played meanwhile is lost, as a person's words are while a mic is unplugged.
//
// Usage
//   SimulatedStreamOptions options;
//   options.capture_input = read_sound_file("question.wav", {.mix_to_mono = true}).samples;
//   options.pacing = Pacing::kAsFastAsPossible;
//   SimulatedStream device(StreamConfig{.sample_rate_hz = 16000}, std::move(options));
//   device.start();
//   ... consume device.capture(), feed device.playback() ...
//   device.stop();
//   write_sound_file("answer.wav", {device.recorded_playback(), 16000, 1},
//   FileEncoding::kWavPcm16);
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "audio/device.h"

namespace parley::audio {

enum class Pacing { kRealTime, kAsFastAsPossible, kManual };

struct SimulatedStreamOptions {
  std::vector<float> capture_input = {};  // interleaved at the stream's rate; empty = silence
  bool loop_capture_input = false;
  Pacing pacing = Pacing::kRealTime;
  size_t max_recorded_playback_frames = 0;  // 0 = do not record playback
  std::string name = "simulated";           // shown by description()
  double outage_after_s = 0;                // fault injection (see above); outage_s 0 = none
  double outage_s = 0;
};

class SimulatedStream final : public AudioStream {
 public:
  // Throws parley::audio::Error when the config is invalid or capture_input is not a whole number
  // of capture frames.
  SimulatedStream(const StreamConfig& config, SimulatedStreamOptions options);
  ~SimulatedStream() override;

  void start() override;
  void stop() override;
  bool is_running() const override { return running_.load(std::memory_order_acquire); }
  std::string description() const override;
  // Reopens the device after an injected outage has passed (see above).
  bool check_and_recover() override;

  // kManual only (throws otherwise): runs `blocks` device blocks on the calling thread.
  void pump(size_t blocks);
  // True once every capture_input sample has been pushed (never, when looping).
  bool capture_input_finished() const { return input_finished_.load(std::memory_order_acquire); }
  // The playback recording; call after stop() (or in kManual mode).
  const std::vector<float>& recorded_playback() const { return recorded_playback_; }

 private:
  void run_block() noexcept;
  void device_thread_main() noexcept;

  SimulatedStreamOptions options_;
  std::vector<float> input_block_;
  std::vector<float> output_block_;
  std::vector<float> recorded_playback_;
  size_t input_position_ = 0;  // in samples
  std::atomic<bool> input_finished_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::thread device_thread_;
  // Fault injection.
  uint64_t blocks_run_ = 0;                         // device thread
  bool outage_done_ = false;                        // device thread
  std::atomic<int64_t> outage_until_ns_{0};         // steady clock; set by the device thread
  bool wanted_ = false;                             // start() .. stop(), control thread
};

}  // namespace parley::audio

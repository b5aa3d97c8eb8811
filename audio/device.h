// AudioStream — the one interface every sound device implements: a PortAudio device
// (portaudio_device.h) or a simulated file/null device (simulated_device.h) for tests, replay and
// machines without sound hardware.
//
// Threads and rings
//   The device side (a PortAudio callback or the simulated device's thread) and the application
//   meet only in lock-free SpscRing<float>s of interleaved samples:
//     capture()    device produces, application consumes (microphone samples)
//     playback()   application produces, device consumes (speaker samples)
//     far_end()    device produces, application consumes: exactly the samples sent to the
//                  speaker, block by block, silence included — the echo canceller's reference.
//                  Present only when StreamConfig::keep_far_end_reference is set.
//   The device side never locks, allocates, logs or blocks (process_block below).
//   Barge-in: request_playback_flush() (any thread) makes the device drop all queued playback at
//   its next block; the flush runs on the consumer side of the playback ring, as the ring requires.
//
// Counters (StreamCounters) are updated by the device side with relaxed atomics:
//   capture_overflow_samples   captured samples dropped because the capture ring was full
//   playback_underruns         blocks the playback ring could fill only partly (a completely
//                              empty ring is idle silence, not an underrun)
//   backend_input_overflows / backend_output_underflows   xruns reported by the driver
//   recoveries                 times check_and_recover() reopened a device that had stopped
//
// Usage
//   StreamConfig config{.sample_rate_hz = 16000, .capture_channels = 1, .playback_channels = 1};
//   std::unique_ptr<AudioStream> stream = open_simulated_stream(config, {...});  // or PortAudio
//   stream->start();
//   float block[320];
//   size_t got = stream->capture().try_read(block);       // microphone
//   stream->playback().try_write(tts_samples);             // speaker
//   stream->request_playback_flush();                      // user barged in
//   stream->stop();
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "audio/spsc_ring.h"

namespace parley::audio {

struct StreamConfig {
  int sample_rate_hz = 16000;
  int capture_channels = 1;     // 0 = playback only
  int playback_channels = 1;    // 0 = capture only
  int frames_per_block = 320;   // device block (20 ms at 16 kHz)
  int ring_capacity_ms = 2000;  // each ring holds at least this much audio
  bool keep_far_end_reference = false;
  std::string capture_device = {};   // PortAudio device name (substring) or empty for the default
  std::string playback_device = {};  // idem

  // Throws parley::audio::Error naming the first bad field.
  void validate() const;
  std::string to_string() const;
  size_t ring_capacity_samples(int channels) const;
};

struct StreamCounters {
  uint64_t blocks = 0;
  uint64_t captured_samples = 0;
  uint64_t capture_overflow_samples = 0;
  uint64_t played_samples = 0;  // samples taken from the playback ring (not silence)
  uint64_t playback_underruns = 0;
  uint64_t playback_flushed_samples = 0;
  uint64_t far_end_overflow_samples = 0;
  uint64_t backend_input_overflows = 0;
  uint64_t backend_output_underflows = 0;
  uint64_t recoveries = 0;
};

class AudioStream {
 public:
  explicit AudioStream(const StreamConfig& config);
  virtual ~AudioStream() = default;
  AudioStream(const AudioStream&) = delete;
  AudioStream& operator=(const AudioStream&) = delete;

  // Starts the device side. Throws parley::audio::Error when the device cannot run.
  virtual void start() = 0;
  // Stops the device side and waits for it; safe to call twice.
  virtual void stop() = 0;
  virtual bool is_running() const = 0;
  // Human-readable device description for logs.
  virtual std::string description() const = 0;
  // Recovery of a device that stopped by itself (unplugged, driver error) while it was wanted
  // running: one reopen attempt, no waiting, never throws; the reason of a failed attempt goes to
  // the device's log. Returns true when the stream runs afterwards. A device that was stopped on
  // purpose (or never started) stays stopped: false. The owner calls it periodically from one
  // control thread (assistant's DeviceWatch), never from the device side.
  virtual bool check_and_recover() { return is_running(); }

  const StreamConfig& config() const { return config_; }
  SpscRing<float>& capture() { return *capture_ring_; }    // requires capture_channels > 0
  SpscRing<float>& playback() { return *playback_ring_; }  // requires playback_channels > 0
  SpscRing<float>& far_end() { return *far_end_ring_; }    // requires keep_far_end_reference
  bool has_capture() const { return capture_ring_ != nullptr; }
  bool has_playback() const { return playback_ring_ != nullptr; }
  bool has_far_end() const { return far_end_ring_ != nullptr; }

  void request_playback_flush() { flush_requested_.store(true, std::memory_order_release); }
  StreamCounters counters() const;

 protected:
  // The whole real-time path, shared by every device: pushes `input` (frames * capture
  // channels, may be null) into the capture ring, fills `output` (frames * playback channels,
  // may be null) from the playback ring with silence for what is missing, mirrors `output` into
  // the far-end ring. Never blocks, allocates or throws.
  void process_block(const float* input, float* output, size_t frames) noexcept;
  void note_backend_input_overflow() noexcept { add(backend_input_overflows_, 1); }
  void note_backend_output_underflow() noexcept { add(backend_output_underflows_, 1); }
  void note_recovery() noexcept { add(recoveries_, 1); }

 private:
  static void add(std::atomic<uint64_t>& counter, uint64_t value) noexcept {
    counter.fetch_add(value, std::memory_order_relaxed);
  }

  StreamConfig config_;
  std::unique_ptr<SpscRing<float>> capture_ring_;
  std::unique_ptr<SpscRing<float>> playback_ring_;
  std::unique_ptr<SpscRing<float>> far_end_ring_;
  std::atomic<bool> flush_requested_{false};
  std::atomic<uint64_t> blocks_{0}, captured_samples_{0}, capture_overflow_samples_{0},
      played_samples_{0}, playback_underruns_{0}, playback_flushed_samples_{0},
      far_end_overflow_samples_{0}, backend_input_overflows_{0}, backend_output_underflows_{0},
      recoveries_{0};
};

}  // namespace parley::audio

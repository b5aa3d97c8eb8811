// Sound hardware through PortAudio, behind the AudioStream interface (device.h).
//
//   * list_sound_devices() names every device PortAudio sees. On a machine without sound hardware
//     it returns an empty list; opening a stream there throws parley::audio::Error saying so and
//     pointing at the simulated (file/null) device.
//   * PortAudioStream opens capture, playback or full duplex at the requested rate and channel
//     counts. Its callback only calls AudioStream::process_block (rings and atomic counters) and
//     counts the driver's xrun flags: no locks, allocation, logging or blocking.
//   * Recovery: start() retries a failing open with exponential backoff (RetryPolicy), logging
//     one line per failure through the log callback. check_and_recover(), called periodically by
//     the owner (never from the callback), notices a stream that stopped by itself (device
//     unplugged, driver error) and makes one reopen attempt without waiting — the owner paces the
//     attempts (assistant's DeviceWatch); counters().recoveries counts the successes.
//   * Pa_Initialize/Pa_Terminate are reference-counted inside; all functions here except the
//     callback are for one control thread.
//
// Usage
//   for (const SoundDeviceInfo& device : list_sound_devices()) std::puts(device.name.c_str());
//   PortAudioStream stream(StreamConfig{.sample_rate_hz = 48000, .capture_channels = 1,
//                                       .playback_channels = 2},
//                          RetryPolicy{}, [](const std::string& line) { spdlog::warn(line); });
//   stream.start();                      // throws parley::audio::Error after the last retry
//   while (running) { stream.check_and_recover(); ... }
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audio/device.h"

namespace parley::audio {

struct SoundDeviceInfo {
  int index = -1;  // PortAudio device index
  std::string name;
  std::string host_api;  // "ALSA", "PulseAudio", "JACK", ...
  int max_input_channels = 0;
  int max_output_channels = 0;
  double default_sample_rate_hz = 0;
  bool is_default_input = false;
  bool is_default_output = false;
};

// Throws parley::audio::Error when PortAudio itself cannot start.
std::vector<SoundDeviceInfo> list_sound_devices();

struct RetryPolicy {
  int open_attempts = 4;         // total attempts per start() / recovery
  int initial_backoff_ms = 250;  // doubled after each failure
  int max_backoff_ms = 4000;
};

using LogLine = std::function<void(const std::string& line)>;

class PortAudioStream final : public AudioStream {
 public:
  // Initializes PortAudio; opens nothing yet. A null `log` writes to stderr.
  PortAudioStream(const StreamConfig& config, RetryPolicy retry = {}, LogLine log = nullptr);
  ~PortAudioStream() override;

  void start() override;
  void stop() override;
  bool is_running() const override;
  std::string description() const override;

  // AudioStream::check_and_recover: one reopen attempt when the stream stopped without stop()
  // being called; a failed attempt is logged (once per distinct reason) and returns false.
  bool check_and_recover() override;

 private:
  void open_and_start_once();  // throws Error
  void open_and_start_with_retry();
  void close_stream() noexcept;
  // Called through the PortAudio callback: process_block plus xrun counting.
  void on_device_block(const void* input, void* output, unsigned long frames,
                       unsigned long status_flags) noexcept;

  RetryPolicy retry_;
  LogLine log_;
  std::shared_ptr<void> library_;  // keeps PortAudio initialized while this stream lives
  void* stream_ = nullptr;         // PaStream*
  bool wanted_running_ = false;
  std::string opened_description_;
  std::string last_recovery_error_;  // logged once until the reason changes
};

}  // namespace parley::audio

// DeviceWatch — keeps a talking command alive when its sound device vanishes (USB headset
// unplugged, driver error) and comes back: it notices the loss, tells the pipeline, and reopens
// the device through AudioStream::check_and_recover() with a short backoff.
//
//   * Create it after stream.start(): a stream running then, or seen running by a later poll, is
//     watched; one that stops by itself from then on is lost (even before the first poll).
//   * poll() is called periodically (every 50–100 ms) by the command's control thread, never by a
//     stage or the device side. It never throws and never waits.
//   * Loss (the stream stopped by itself): logged once; `on_lost` runs (the commands stop the
//     reply being spoken — the listener did not hear the rest, and the history keeps what was
//     heard, as after a barge-in); reopen attempts follow at once, then after gaps of 100, 200,
//     400, 800 ms, then every `max_backoff_ms` (1 s): a device that is back is running again
//     within about 1 s.
//   * Recovery: logged with the outage's length, `on_back(outage_us)` runs (optional); the turn
//     state machine needs nothing more —
//     capture resumes into the same rings, and a flush requested while the device was gone runs
//     at its first block.
//
// Usage
//   DeviceWatch watch(stream, clock, [&](const std::string& line) { logger.warn(line); },
//                     [&] { pipeline.stop_speaking(); }, [&](int64_t outage_us) { ... });
//   while (running) { watch.poll(); sleep 100 ms; }
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "assistant/core/clock.h"
#include "audio/device.h"

namespace parley::assistant {

struct DeviceWatchStatus {
  bool lost = false;           // the device is gone right now
  int64_t losses = 0;          // times it vanished
  int64_t recoveries = 0;      // times it was reopened
  int64_t last_outage_us = 0;  // length of the last outage that ended
};

class DeviceWatch {
 public:
  DeviceWatch(audio::AudioStream& stream, const Clock& clock, std::function<void(const std::string&)> log,
              std::function<void()> on_lost, std::function<void(int64_t outage_us)> on_back = {},
              int64_t max_backoff_ms = 1000);

  void poll() noexcept;
  const DeviceWatchStatus& status() const { return status_; }

 private:
  audio::AudioStream& stream_;
  const Clock& clock_;
  std::function<void(const std::string&)> log_;
  std::function<void()> on_lost_;
  std::function<void(int64_t)> on_back_;
  int64_t max_backoff_us_;
  DeviceWatchStatus status_;
  bool was_running_ = false;  // ran at construction or at a poll: only a running device is lost
  int64_t lost_at_us_ = 0;
  int64_t next_attempt_us_ = 0;
  int64_t backoff_us_ = 0;
};

}  // namespace parley::assistant

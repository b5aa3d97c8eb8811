#include "assistant/core/device_watch.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace parley::assistant {

DeviceWatch::DeviceWatch(audio::AudioStream& stream, const Clock& clock,
                         std::function<void(const std::string&)> log, std::function<void()> on_lost,
                         std::function<void(int64_t)> on_back, int64_t max_backoff_ms)
    : stream_(stream),
      clock_(clock),
      log_(std::move(log)),
      on_lost_(std::move(on_lost)),
      on_back_(std::move(on_back)),
      max_backoff_us_(std::max<int64_t>(1, max_backoff_ms) * 1000),
      was_running_(stream.is_running()) {}

void DeviceWatch::poll() noexcept {
  try {
    const int64_t now = clock_.now_us();
    if (!status_.lost) {
      if (stream_.is_running()) {
        was_running_ = true;
        return;
      }
      if (!was_running_) return;  // not started yet, or stopped on purpose before it ever ran
      status_.lost = true;
      ++status_.losses;
      lost_at_us_ = now;
      next_attempt_us_ = now;
      backoff_us_ = 100'000;
      if (log_) log_("sound device lost (" + stream_.description() + "); reopening");
      if (on_lost_) on_lost_();
    }
    if (now < next_attempt_us_) return;
    next_attempt_us_ = now + backoff_us_;  // first: a device that throws keeps the same pace
    backoff_us_ = std::min(backoff_us_ * 2, max_backoff_us_);
    if (stream_.check_and_recover()) {
      status_.lost = false;
      ++status_.recoveries;
      status_.last_outage_us = now - lost_at_us_;
      if (log_)
        log_("sound device back after " + std::to_string(status_.last_outage_us / 1000) + " ms (" +
             stream_.description() + ")");
      if (on_back_) on_back_(status_.last_outage_us);
    }
  } catch (const std::exception& error) {
    // A logger or device that throws must not take the command down; the next poll retries.
    if (log_) {
      try {
        log_(std::string("sound device watch: ") + error.what());
      } catch (...) {
      }
    }
  }
}

}  // namespace parley::assistant

// TimerService — countdown timers and time-of-day alarms on an injectable Clock, announced
// through a callback when due, cancellable and listable. The tools set_timer / set_alarm /
// list_timers / cancel_timer (assistant_tools.h) are thin wrappers over it.
//
// Contracts
//   * Deadlines are on clock.now_us(). An alarm "07:30" is due at the next 07:30 of
//     clock.wall_time() (today if still ahead, else tomorrow); a daylight-saving change between
//     setting and ringing is not accounted for.
//   * Nothing fires by itself: poll() fires every entry whose deadline has passed, in deadline
//     order, removes it, and calls `on_due` for each — outside the lock, so the callback may set
//     or cancel timers. The pipeline calls poll() from its control loop, or a thread sleeps until
//     next_due_us() (real clock) — tests advance a SimulatedClock and poll().
//   * Ids start at 1 and are never reused within one service. All members are thread-safe.
//   * add_* throw parley::Error for out-of-range input (the tool layer validates first and turns
//     errors into tool results).
//
// Usage
//   SimulatedClock clock;
//   TimerService timers(clock, [&](const TimerInfo& t) { speak(timer_announcement(t)); });
//   int64_t id = timers.add_timer(300, "tea");
//   clock.advance_seconds(300);
//   timers.poll();                                   // announces "Your tea timer is done."
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "assistant/core/clock.h"

namespace parley::assistant {

enum class TimerKind { kTimer, kAlarm };

struct TimerInfo {
  int64_t id = 0;
  TimerKind kind = TimerKind::kTimer;
  std::string label;            // may be empty
  int64_t due_us = 0;           // on the service's clock
  double duration_seconds = 0;  // timers: as set
  int alarm_hour = 0;           // alarms: time of day as set
  int alarm_minute = 0;
  double remaining_seconds = 0;  // filled in by list() and for on_due (0 or less)
};

// "Your tea timer is done." / "Your 5 minute timer is done." / "It's 07:30. Alarm: wake up."
std::string timer_announcement(const TimerInfo& timer);
// "5 minutes", "1 hour 30 minutes", "45 seconds", "2 minutes 5 seconds"
std::string spoken_duration(double seconds);

class TimerService {
 public:
  using DueCallback = std::function<void(const TimerInfo&)>;
  static constexpr double kMaxTimerSeconds = 7 * 24 * 3600.0;  // a week

  TimerService(const Clock& clock, DueCallback on_due);

  int64_t add_timer(double duration_seconds, std::string label);  // 0 < duration <= a week
  int64_t add_alarm(int hour, int minute, std::string label);     // 0..23, 0..59
  bool cancel(int64_t id);                                        // false: no such entry
  size_t cancel_all();
  std::vector<TimerInfo> list() const;  // by deadline
  std::optional<int64_t> next_due_us() const;
  size_t poll();  // fires due entries; returns how many

 private:
  const Clock& clock_;
  DueCallback on_due_;
  mutable std::mutex mutex_;
  std::vector<TimerInfo> entries_;
  int64_t next_id_ = 1;
};

}  // namespace parley::assistant

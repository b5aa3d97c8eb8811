#include "assistant/core/timers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/error.h"

namespace parley::assistant {

namespace {

std::string plural(int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

std::string spoken_duration(double seconds) {
  const int64_t total = std::max<int64_t>(0, std::llround(seconds));
  const int64_t hours = total / 3600;
  const int64_t minutes = total / 60 % 60;
  const int64_t secs = total % 60;
  std::string out;
  auto add = [&](int64_t n, const char* unit) {
    if (n == 0) return;
    if (!out.empty()) out += ' ';
    out += plural(n, unit);
  };
  add(hours, "hour");
  add(minutes, "minute");
  add(secs, "second");
  return out.empty() ? "0 seconds" : out;
}

std::string timer_announcement(const TimerInfo& timer) {
  if (timer.kind == TimerKind::kAlarm) {
    char time[16];
    std::snprintf(time, sizeof time, "%02d:%02d", timer.alarm_hour, timer.alarm_minute);
    return std::string("It's ") + time + "." +
           (timer.label.empty() ? " Your alarm is ringing." : " Alarm: " + timer.label + ".");
  }
  if (!timer.label.empty()) return "Your " + timer.label + " timer is done.";
  std::string duration = spoken_duration(timer.duration_seconds);
  // "5 minutes" -> "5 minute" as an adjective ("your 5 minute timer") when it is one unit.
  if (duration.find(' ', duration.find(' ') + 1) == std::string::npos && duration.back() == 's')
    duration.pop_back();
  return "Your " + duration + " timer is done.";
}

TimerService::TimerService(const Clock& clock, DueCallback on_due)
    : clock_(clock), on_due_(std::move(on_due)) {}

int64_t TimerService::add_timer(double duration_seconds, std::string label) {
  if (!(duration_seconds > 0) || duration_seconds > kMaxTimerSeconds) {
    throw Error("timer duration " + std::to_string(duration_seconds) +
                " s: must be more than 0 and at most a week");
  }
  std::lock_guard lock(mutex_);
  TimerInfo timer;
  timer.id = next_id_++;
  timer.kind = TimerKind::kTimer;
  timer.label = std::move(label);
  timer.duration_seconds = duration_seconds;
  timer.due_us = clock_.now_us() + static_cast<int64_t>(std::llround(duration_seconds * 1e6));
  entries_.push_back(std::move(timer));
  return entries_.back().id;
}

int64_t TimerService::add_alarm(int hour, int minute, std::string label) {
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    throw Error("alarm time " + std::to_string(hour) + ":" + std::to_string(minute) +
                ": out of range");
  }
  const double now = clock_.seconds_since_midnight();
  double until = hour * 3600.0 + minute * 60.0 - now;
  if (until <= 0) until += 24 * 3600.0;  // already past today (or this very second): tomorrow
  std::lock_guard lock(mutex_);
  TimerInfo alarm;
  alarm.id = next_id_++;
  alarm.kind = TimerKind::kAlarm;
  alarm.label = std::move(label);
  alarm.alarm_hour = hour;
  alarm.alarm_minute = minute;
  alarm.due_us = clock_.now_us() + static_cast<int64_t>(std::llround(until * 1e6));
  entries_.push_back(std::move(alarm));
  return entries_.back().id;
}

bool TimerService::cancel(int64_t id) {
  std::lock_guard lock(mutex_);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const TimerInfo& t) { return t.id == id; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

size_t TimerService::cancel_all() {
  std::lock_guard lock(mutex_);
  const size_t count = entries_.size();
  entries_.clear();
  return count;
}

std::vector<TimerInfo> TimerService::list() const {
  std::vector<TimerInfo> out;
  {
    std::lock_guard lock(mutex_);
    out = entries_;
  }
  const int64_t now = clock_.now_us();
  for (TimerInfo& t : out) t.remaining_seconds = static_cast<double>(t.due_us - now) / 1e6;
  std::stable_sort(out.begin(), out.end(),
                   [](const TimerInfo& a, const TimerInfo& b) { return a.due_us < b.due_us; });
  return out;
}

std::optional<int64_t> TimerService::next_due_us() const {
  std::lock_guard lock(mutex_);
  std::optional<int64_t> next;
  for (const TimerInfo& t : entries_) {
    if (!next || t.due_us < *next) next = t.due_us;
  }
  return next;
}

size_t TimerService::poll() {
  std::vector<TimerInfo> due;
  const int64_t now = clock_.now_us();
  {
    std::lock_guard lock(mutex_);
    auto split = std::stable_partition(entries_.begin(), entries_.end(),
                                       [&](const TimerInfo& t) { return t.due_us > now; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(entries_.end()));
    entries_.erase(split, entries_.end());
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const TimerInfo& a, const TimerInfo& b) { return a.due_us < b.due_us; });
  for (TimerInfo& t : due) {
    t.remaining_seconds = static_cast<double>(t.due_us - now) / 1e6;
    if (on_due_) on_due_(t);
  }
  return due.size();
}

}  // namespace parley::assistant

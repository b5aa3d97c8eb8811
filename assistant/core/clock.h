// Clock — the one source of time for the assistant's turn traces, timers and alarms, so the whole
// pipeline can run on a simulated clock in tests and in `parley converse`.
//
// Two readings:
//   * now_us(): monotonic microseconds since an arbitrary origin (steady_clock for the real
//     clock). Durations, deadlines of timers and trace timestamps use this one.
//   * wall_time(): the civil time of day in the local zone (what "what time is it?" and "wake me
//     at 7" mean). The simulated clock keeps both in step: advancing it moves both.
//
// Contracts
//   * now_us() never decreases. Both calls never allocate or throw; RealClock is thread-safe,
//     SimulatedClock too (its readings are atomic; advance() from one thread at a time).
//
// Usage
//   parley::assistant::SimulatedClock clock({.year = 2026, .month = 11, .day = 29, .hour = 7});
//   int64_t t0 = clock.now_us();
//   clock.advance_us(1'500'000);                     // 1.5 s later, on both readings
//   CivilTime now = clock.wall_time();               // 07:00:01.5
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace parley::assistant {

// A local date and time of day. weekday: 0 = Sunday. Fields are plain numbers, no time zone.
struct CivilTime {
  int year = 1970;
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..59
  int weekday = 4;  // 0..6, Sunday = 0 (1970-01-01 was a Thursday)

  std::string iso_date() const;      // "2026-11-29"
  std::string hh_mm_ss() const;      // "07:05:09"
  const char* weekday_name() const;  // "Sunday"
  const char* month_name() const;    // "November"
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), and back.
int64_t days_from_civil(int year, int month, int day);
CivilTime civil_from_seconds(int64_t seconds_since_epoch);  // seconds of a local "epoch"

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_us() const = 0;
  virtual CivilTime wall_time() const = 0;
  // Seconds since the local midnight of wall_time(), with the fraction: what alarms compare.
  virtual double seconds_since_midnight() const;
};

// steady_clock for now_us(); system_clock + localtime_r for wall_time().
class RealClock final : public Clock {
 public:
  int64_t now_us() const override;
  CivilTime wall_time() const override;
  double seconds_since_midnight() const override;  // fraction from the same wall reading
};

// Time that moves only when told. now_us() starts at 0; wall_time() starts at `start`.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(const CivilTime& start = {});
  int64_t now_us() const override { return now_us_.load(std::memory_order_acquire); }
  CivilTime wall_time() const override;
  // Throws parley::Error for a negative step (time never goes back).
  void advance_us(int64_t step_us);
  void advance_seconds(double seconds) { advance_us(static_cast<int64_t>(seconds * 1e6)); }

 private:
  int64_t start_local_seconds_ = 0;  // `start` as seconds since 1970-01-01 00:00 local
  std::atomic<int64_t> now_us_{0};
};

}  // namespace parley::assistant

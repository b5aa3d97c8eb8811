#include "assistant/core/clock.h"

#include <time.h>

#include <chrono>
#include <cstdio>

#include "kernels/error.h"

namespace parley::assistant {

namespace {

constexpr const char* kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

std::string CivilTime::iso_date() const {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", year, month, day);
  return buffer;
}

std::string CivilTime::hh_mm_ss() const {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d", hour, minute, second);
  return buffer;
}

const char* CivilTime::weekday_name() const {
  return kWeekdays[weekday >= 0 && weekday < 7 ? weekday : 0];
}
const char* CivilTime::month_name() const {
  return kMonths[month >= 1 && month <= 12 ? month - 1 : 0];
}

int64_t days_from_civil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2);
  const int64_t era = floor_div(y, 400);
  const int64_t year_of_era = y - era * 400;                                             // [0, 399]
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilTime civil_from_seconds(int64_t seconds_since_epoch) {
  const int64_t days = floor_div(seconds_since_epoch, 86400);
  const int64_t second_of_day = seconds_since_epoch - days * 86400;
  const int64_t z = days + 719468;
  const int64_t era = floor_div(z, 146097);
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;
  CivilTime t;
  t.day = static_cast<int>(day_of_year - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = static_cast<int>(year_of_era + era * 400 + (t.month <= 2));
  t.hour = static_cast<int>(second_of_day / 3600);
  t.minute = static_cast<int>(second_of_day / 60 % 60);
  t.second = static_cast<int>(second_of_day % 60);
  t.weekday = static_cast<int>((days + 4) - 7 * floor_div(days + 4, 7));  // 1970-01-01: Thursday
  return t;
}

double Clock::seconds_since_midnight() const {
  // Right for clocks whose wall seconds tick with now_us() (SimulatedClock); RealClock overrides.
  const CivilTime t = wall_time();
  const double fraction = static_cast<double>(now_us() % 1'000'000) / 1e6;
  return t.hour * 3600.0 + t.minute * 60.0 + t.second + fraction;
}

int64_t RealClock::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

// Both RealClock readings come from one CLOCK_REALTIME read. time(nullptr) is not used: glibc
// serves it from the coarse clock, which can lag CLOCK_REALTIME by a tick, so a wall_time() taken
// after seconds_since_midnight() could read the previous second.
struct LocalNow {
  struct tm local {};
  long nanoseconds = 0;
};

LocalNow local_now() {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  LocalNow result;
  localtime_r(&now.tv_sec, &result.local);
  if (result.local.tm_sec > 59) result.local.tm_sec = 59;  // a leap second reads as :59
  result.nanoseconds = now.tv_nsec;
  return result;
}

}  // namespace

CivilTime RealClock::wall_time() const {
  const struct tm local = local_now().local;
  CivilTime t;
  t.year = local.tm_year + 1900;
  t.month = local.tm_mon + 1;
  t.day = local.tm_mday;
  t.hour = local.tm_hour;
  t.minute = local.tm_min;
  t.second = local.tm_sec;
  t.weekday = local.tm_wday;
  return t;
}

double RealClock::seconds_since_midnight() const {
  const LocalNow now = local_now();
  return now.local.tm_hour * 3600.0 + now.local.tm_min * 60.0 + now.local.tm_sec +
         static_cast<double>(now.nanoseconds) / 1e9;
}

SimulatedClock::SimulatedClock(const CivilTime& start) {
  auto check = [](bool ok, const char* field) {
    if (!ok) throw Error(std::string("SimulatedClock start.") + field + ": out of range");
  };
  check(start.month >= 1 && start.month <= 12, "month");
  check(start.day >= 1 && start.day <= 31, "day");
  check(start.hour >= 0 && start.hour <= 23, "hour");
  check(start.minute >= 0 && start.minute <= 59, "minute");
  check(start.second >= 0 && start.second <= 59, "second");
  start_local_seconds_ = days_from_civil(start.year, start.month, start.day) * 86400 +
                         start.hour * 3600 + start.minute * 60 + start.second;
  const CivilTime round_trip = civil_from_seconds(start_local_seconds_);
  check(round_trip.day == start.day, "day");  // 2026-02-30 and the like
}

CivilTime SimulatedClock::wall_time() const {
  return civil_from_seconds(start_local_seconds_ + floor_div(now_us(), 1'000'000));
}

void SimulatedClock::advance_us(int64_t step_us) {
  if (step_us < 0)
    throw Error("SimulatedClock::advance_us: negative step " + std::to_string(step_us));
  now_us_.fetch_add(step_us, std::memory_order_acq_rel);
}

}  // namespace parley::assistant

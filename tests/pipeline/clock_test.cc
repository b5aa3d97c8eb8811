// Clocks: civil date arithmetic against dates checked with Python's datetime, the simulated clock
// moving both readings, and the real clock being monotonic.
#include "assistant/core/clock.h"

#include <gtest/gtest.h>
#include <time.h>

#include "kernels/error.h"

namespace parley::assistant {
namespace {

TEST(Clock, CivilDatesMatchPython) {
  // (date, days since 1970-01-01, weekday) from Python: (date(y,m,d) - date(1970,1,1)).days,
  // strftime('%A')
  const struct {
    int year, month, day;
    int64_t days;
    const char* weekday;
  } cases[] = {
      {1970, 1, 1, 0, "Thursday"},      {2000, 3, 1, 11017, "Wednesday"},
      {2026, 11, 29, 20786, "Sunday"},  {1969, 12, 31, -1, "Wednesday"},
      {2024, 2, 29, 19782, "Thursday"}, {1900, 3, 1, -25508, "Thursday"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), c.days)
        << c.year << "-" << c.month << "-" << c.day;
    const CivilTime t = civil_from_seconds(c.days * 86400 + 3723);
    EXPECT_EQ(t.year, c.year);
    EXPECT_EQ(t.month, c.month);
    EXPECT_EQ(t.day, c.day);
    EXPECT_EQ(t.hh_mm_ss(), "01:02:03");
    EXPECT_STREQ(t.weekday_name(), c.weekday);
  }
  // Every day across four centuries round-trips and weekdays advance by one.
  int previous_weekday = civil_from_seconds(days_from_civil(1899, 12, 31) * 86400).weekday;
  for (int64_t day = days_from_civil(1900, 1, 1); day < days_from_civil(2300, 1, 1); ++day) {
    const CivilTime t = civil_from_seconds(day * 86400);
    ASSERT_EQ(days_from_civil(t.year, t.month, t.day), day);
    ASSERT_EQ(t.weekday, (previous_weekday + 1) % 7);
    previous_weekday = t.weekday;
  }
}

TEST(Clock, SimulatedClockMovesBothReadings) {
  SimulatedClock clock({2026, 12, 31, 23, 59, 58, 0});
  EXPECT_EQ(clock.now_us(), 0);
  EXPECT_EQ(clock.wall_time().iso_date(), "2026-12-31");
  EXPECT_STREQ(clock.wall_time().weekday_name(), "Thursday");
  clock.advance_us(1'500'000);
  EXPECT_EQ(clock.now_us(), 1'500'000);
  EXPECT_EQ(clock.wall_time().hh_mm_ss(), "23:59:59");
  EXPECT_DOUBLE_EQ(clock.seconds_since_midnight(), 86399.5);
  clock.advance_seconds(0.5);
  const CivilTime t = clock.wall_time();
  EXPECT_EQ(t.iso_date(), "2027-01-01");
  EXPECT_EQ(t.hh_mm_ss(), "00:00:00");
  EXPECT_STREQ(t.month_name(), "January");
  EXPECT_THROW(clock.advance_us(-1), Error);
  EXPECT_THROW(SimulatedClock({2026, 2, 30, 0, 0, 0, 0}), Error);
  EXPECT_THROW(SimulatedClock({2026, 13, 1, 0, 0, 0, 0}), Error);
  EXPECT_THROW(SimulatedClock({2026, 1, 1, 24, 0, 0, 0}), Error);
}

TEST(Clock, RealClockIsMonotonicAndAgreesWithLocaltime) {
  RealClock clock;
  int64_t previous = clock.now_us();
  for (int i = 0; i < 1000; ++i) {
    const int64_t now = clock.now_us();
    ASSERT_GE(now, previous);
    previous = now;
  }
  const time_t now = time(nullptr);
  struct tm local {};
  localtime_r(&now, &local);
  const CivilTime t = clock.wall_time();
  EXPECT_EQ(t.year, local.tm_year + 1900);
  EXPECT_EQ(t.weekday, local.tm_wday);
  const double since_midnight = clock.seconds_since_midnight();
  const CivilTime w = clock.wall_time();
  const double from_wall = w.hour * 3600.0 + w.minute * 60.0 + w.second;
  if (from_wall > 2 && from_wall < 86398) {  // not across midnight
    EXPECT_GE(since_midnight, from_wall - 1.0);
    EXPECT_LE(since_midnight, from_wall + 1.0);
  }
}

}  // namespace
}  // namespace parley::assistant

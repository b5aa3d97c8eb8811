// DeviceWatch on a fake device and a simulated clock: when it reports a loss, how often it tries
// to reopen, what it leaves alone (a device never started), and a device that throws.

#include "assistant/core/device_watch.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace parley::assistant {
namespace {

class FakeDevice final : public audio::AudioStream {
 public:
  FakeDevice() : AudioStream(audio::StreamConfig{}) {}
  void start() override { wanted = running = true; }
  void stop() override { wanted = running = false; }
  bool is_running() const override { return running; }
  std::string description() const override { return "fake device"; }
  bool check_and_recover() override {
    ++attempts;
    if (throw_on_recover) throw std::runtime_error("driver exploded");
    if (!wanted || !present) return false;
    running = true;
    return true;
  }
  bool wanted = false, running = false, present = true, throw_on_recover = false;
  int attempts = 0;
};

struct WatchRig {
  WatchRig()
      : watch(device, clock, [this](const std::string& line) { log.push_back(line); },
              [this] { ++lost_calls; }, [this](int64_t outage_us) { back_outages_us.push_back(outage_us); }) {}
  // Polls every 50 ms of simulated time for `seconds`.
  void run(double seconds) {
    for (int i = 0; i < static_cast<int>(seconds * 20); ++i) {
      watch.poll();
      clock.advance_us(50'000);
    }
  }
  FakeDevice device;
  SimulatedClock clock;
  std::vector<std::string> log;
  int lost_calls = 0;
  std::vector<int64_t> back_outages_us;
  DeviceWatch watch;
};

TEST(DeviceWatchTest, ADeviceNeverStartedIsNotWatched) {
  WatchRig rig;
  rig.run(1.0);  // never started
  rig.device.start();
  rig.run(1.0);
  EXPECT_FALSE(rig.watch.status().lost);
  EXPECT_EQ(rig.device.attempts, 0);
  EXPECT_TRUE(rig.log.empty());
}

TEST(DeviceWatchTest, ReopensWithBackoffAndReportsTheOutage) {
  WatchRig rig;
  rig.device.start();
  rig.run(0.5);
  rig.device.running = false;
  rig.device.present = false;
  rig.run(5.0);
  EXPECT_TRUE(rig.watch.status().lost);
  EXPECT_EQ(rig.watch.status().losses, 1);
  EXPECT_EQ(rig.lost_calls, 1);
  // Attempts at 0, 0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5 s: quick at first, then once a second.
  EXPECT_EQ(rig.device.attempts, 8);
  rig.device.present = true;
  rig.run(1.1);  // the next attempt is at most a second away
  EXPECT_FALSE(rig.watch.status().lost);
  EXPECT_EQ(rig.watch.status().recoveries, 1);
  EXPECT_EQ(rig.device.attempts, 9);
  EXPECT_NEAR(static_cast<double>(rig.watch.status().last_outage_us) * 1e-6, 5.5, 0.06);
  ASSERT_EQ(rig.log.size(), 2u);
  EXPECT_EQ(rig.log[0], "sound device lost (fake device); reopening");
  EXPECT_EQ(rig.log[1], "sound device back after 5500 ms (fake device)");
  ASSERT_EQ(rig.back_outages_us.size(), 1u);
  EXPECT_EQ(rig.back_outages_us[0], rig.watch.status().last_outage_us);
  // A second loss starts the backoff again from its first step.
  rig.device.running = false;
  rig.run(0.05);
  rig.run(0.1);
  EXPECT_EQ(rig.watch.status().recoveries, 2);
  EXPECT_EQ(rig.watch.status().losses, 2);
  EXPECT_EQ(rig.lost_calls, 2);
}

TEST(DeviceWatchTest, ADeviceThatThrowsDoesNotEscapePoll) {
  WatchRig rig;
  rig.device.start();
  rig.run(0.1);
  rig.device.running = false;
  rig.device.throw_on_recover = true;
  EXPECT_NO_THROW(rig.run(1.0));
  EXPECT_TRUE(rig.watch.status().lost);
  ASSERT_GE(rig.log.size(), 2u);
  EXPECT_EQ(rig.log[1], "sound device watch: driver exploded");
  rig.device.throw_on_recover = false;
  rig.run(1.1);
  EXPECT_FALSE(rig.watch.status().lost);
}

}  // namespace
}  // namespace parley::assistant

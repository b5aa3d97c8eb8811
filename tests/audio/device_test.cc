// Devices: the shared real-time path (process_block via the simulated device), pacing modes,
// counters, barge-in flush, far-end reference, config validation, and PortAudio's behaviour on
// this machine (which has no sound hardware: it must say so clearly).
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "audio/error.h"
#include "audio/portaudio_device.h"
#include "audio/simulated_device.h"

namespace parley::audio {
namespace {

std::vector<float> ramp(size_t count) {
  std::vector<float> samples(count);
  for (size_t i = 0; i < count; ++i) samples[i] = static_cast<float>(i) * 1e-4f;
  return samples;
}

StreamConfig small_config() {
  StreamConfig config;
  config.sample_rate_hz = 16000;
  config.frames_per_block = 160;  // 10 ms
  config.ring_capacity_ms = 100;  // 1600 frames -> 2048-sample rings
  return config;
}

TEST(StreamConfig, ValidateNamesTheField) {
  StreamConfig config = small_config();
  EXPECT_NO_THROW(config.validate());
  config.sample_rate_hz = 12;
  try {
    config.validate();
    ADD_FAILURE();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("sample_rate_hz"), std::string::npos);
  }
  config = small_config();
  config.capture_channels = config.playback_channels = 0;
  EXPECT_THROW(config.validate(), Error);
  config = small_config();
  config.ring_capacity_ms = 15;  // less than two 10 ms blocks
  EXPECT_THROW(config.validate(), Error);
  config = small_config();
  config.playback_channels = 0;
  config.keep_far_end_reference = true;
  EXPECT_THROW(config.validate(), Error);
}

TEST(SimulatedStream, ManualCaptureDeliversInputThenSilence) {
  const std::vector<float> input = ramp(400);  // 2.5 blocks
  SimulatedStream device(small_config(), {.capture_input = input, .pacing = Pacing::kManual});
  device.start();
  EXPECT_FALSE(device.capture_input_finished());
  device.pump(2);
  EXPECT_FALSE(device.capture_input_finished());
  device.pump(2);
  EXPECT_TRUE(device.capture_input_finished());
  std::vector<float> captured(1000, -1.0f);
  ASSERT_EQ(device.capture().try_read(captured), 640u);
  for (size_t i = 0; i < 400; ++i) ASSERT_EQ(captured[i], input[i]) << i;
  for (size_t i = 400; i < 640; ++i) ASSERT_EQ(captured[i], 0.0f) << i;
  EXPECT_EQ(device.counters().captured_samples, 640u);
  EXPECT_EQ(device.counters().blocks, 4u);
  EXPECT_THROW(SimulatedStream(small_config(), {.pacing = Pacing::kRealTime}).pump(1), Error);
}

TEST(SimulatedStream, CaptureOverflowIsCountedNotBlocking) {
  SimulatedStream device(small_config(), {.loop_capture_input = true, .pacing = Pacing::kManual});
  device.pump(20);  // 3200 samples into a 2048-sample ring, nobody reading
  const StreamCounters counters = device.counters();
  EXPECT_EQ(counters.captured_samples, 2048u);
  EXPECT_EQ(counters.capture_overflow_samples, 3200u - 2048u);
}

TEST(SimulatedStream, PlaybackRecordingUnderrunsFlushAndFarEnd) {
  StreamConfig config = small_config();
  config.keep_far_end_reference = true;
  SimulatedStream device(config, {.pacing = Pacing::kManual, .max_recorded_playback_frames = 2000});
  const std::vector<float> speech = ramp(250);  // 1.5625 blocks
  ASSERT_EQ(device.playback().try_write(speech), 250u);
  device.pump(3);
  const std::vector<float>& played = device.recorded_playback();
  ASSERT_EQ(played.size(), 480u);
  for (size_t i = 0; i < 250; ++i) ASSERT_EQ(played[i], speech[i]);
  for (size_t i = 250; i < 480; ++i) ASSERT_EQ(played[i], 0.0f);
  StreamCounters counters = device.counters();
  EXPECT_EQ(counters.played_samples, 250u);
  EXPECT_EQ(counters.playback_underruns, 1u);  // block 2 half full; block 3 empty = idle

  // The far-end ring holds exactly what went to the speaker, silence included.
  std::vector<float> far_end(1000);
  ASSERT_EQ(device.far_end().try_read(far_end), 480u);
  EXPECT_TRUE(std::equal(played.begin(), played.end(), far_end.begin()));

  // Barge-in: queued playback is dropped at the next block.
  ASSERT_EQ(device.playback().try_write(ramp(1000)), 1000u);
  device.pump(1);
  device.request_playback_flush();
  device.pump(1);
  counters = device.counters();
  EXPECT_EQ(counters.playback_flushed_samples, 1000u - 160u);
  EXPECT_EQ(counters.played_samples, 250u + 160u);
  EXPECT_EQ(device.playback().write_available(), device.playback().capacity());
}

TEST(SimulatedStream, RecordingNeverGrowsPastItsReservation) {
  SimulatedStream device(small_config(),
                         {.pacing = Pacing::kManual, .max_recorded_playback_frames = 200});
  device.pump(5);
  EXPECT_EQ(device.recorded_playback().size(), 200u);
}

TEST(SimulatedStream, RejectsPartialFrames) {
  StreamConfig config = small_config();
  config.capture_channels = 2;
  EXPECT_THROW(SimulatedStream(config, {.capture_input = std::vector<float>(3)}), Error);
}

// The consumer reads on its own schedule; the lossless device must deliver every sample in order.
TEST(SimulatedStream, AsFastAsPossibleIsLossless) {
  const std::vector<float> input = ramp(16000 * 3);  // 3 s, far more than the 2048-sample ring
  SimulatedStream device(small_config(),
                         {.capture_input = input, .pacing = Pacing::kAsFastAsPossible});
  device.start();
  std::vector<float> received;
  std::vector<float> chunk(333);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (received.size() < input.size() && std::chrono::steady_clock::now() < deadline) {
    const size_t got = device.capture().try_read(chunk);
    received.insert(received.end(), chunk.begin(), chunk.begin() + got);
    if (got == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  device.stop();
  ASSERT_GE(received.size(), input.size());
  EXPECT_TRUE(std::equal(input.begin(), input.end(), received.begin()));
  EXPECT_EQ(device.counters().capture_overflow_samples, 0u);
  EXPECT_TRUE(device.capture_input_finished());
}

TEST(SimulatedStream, RealTimePacingFollowsTheClock) {
  SimulatedStream device(small_config(), {.loop_capture_input = true, .pacing = Pacing::kRealTime});
  const auto begin = std::chrono::steady_clock::now();
  device.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  device.stop();
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
  const double blocks = static_cast<double>(device.counters().blocks);
  // One 10 ms block per 10 ms (loose bounds: the machine is shared).
  EXPECT_GT(blocks, elapsed_ms / 10 * 0.5);
  EXPECT_LT(blocks, elapsed_ms / 10 * 1.5 + 2);
  EXPECT_FALSE(device.is_running());
}

// This machine has no sound hardware. Either PortAudio lists devices (then we only check the
// listing is sane) or it has none and opening a stream must fail with a clear message.
TEST(PortAudio, NoHardwareIsReportedClearly) {
  std::vector<SoundDeviceInfo> devices;
  try {
    devices = list_sound_devices();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("PortAudio"), std::string::npos) << error.what();
    return;
  }
  for (const SoundDeviceInfo& device : devices) {
    EXPECT_FALSE(device.name.empty());
    EXPECT_GE(device.max_input_channels + device.max_output_channels, 1);
  }
  const bool has_input = std::any_of(devices.begin(), devices.end(),
                                     [](const auto& d) { return d.max_input_channels > 0; });
  if (has_input) GTEST_SKIP() << "this machine has sound hardware";
  std::vector<std::string> log_lines;
  PortAudioStream stream(small_config(), RetryPolicy{.open_attempts = 2, .initial_backoff_ms = 1},
                         [&](const std::string& line) { log_lines.push_back(line); });
  try {
    stream.start();
    ADD_FAILURE() << "a stream opened without capture hardware";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_TRUE(message.find("no sound hardware") != std::string::npos ||
                message.find("no default capture device") != std::string::npos)
        << message;
  }
  EXPECT_EQ(log_lines.size(), 2u);  // one line per failed attempt
  EXPECT_FALSE(stream.is_running());
  EXPECT_FALSE(stream.check_and_recover());  // not wanted running: nothing to recover
}

}  // namespace
}  // namespace parley::audio

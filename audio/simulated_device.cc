#include "audio/simulated_device.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "audio/error.h"

namespace parley::audio {

SimulatedStream::SimulatedStream(const StreamConfig& config, SimulatedStreamOptions options)
    : AudioStream(config), options_(std::move(options)) {
  const size_t frames = static_cast<size_t>(config.frames_per_block);
  const size_t capture_channels = static_cast<size_t>(config.capture_channels);
  if (capture_channels > 0 && options_.capture_input.size() % capture_channels != 0) {
    throw Error("simulated device '" + options_.name + "': capture_input has " +
                std::to_string(options_.capture_input.size()) + " samples, not a whole number of " +
                std::to_string(capture_channels) + "-channel frames");
  }
  input_block_.assign(frames * capture_channels, 0.0f);
  output_block_.assign(frames * static_cast<size_t>(config.playback_channels), 0.0f);
  recorded_playback_.reserve(options_.max_recorded_playback_frames *
                             static_cast<size_t>(config.playback_channels));
  if (options_.capture_input.empty() || capture_channels == 0) input_finished_ = true;
}

SimulatedStream::~SimulatedStream() {
  stop();
}

std::string SimulatedStream::description() const {
  const char* pacing = options_.pacing == Pacing::kRealTime           ? "real time"
                       : options_.pacing == Pacing::kAsFastAsPossible ? "as fast as possible"
                                                                      : "manual";
  return options_.name + " (simulated device, " + pacing + ", " + config().to_string() + ")";
}

void SimulatedStream::start() {
  wanted_ = true;
  if (is_running()) return;
  if (device_thread_.joinable()) device_thread_.join();  // stopped by an injected outage
  stop_requested_.store(false, std::memory_order_relaxed);
  running_.store(true, std::memory_order_release);
  if (options_.pacing != Pacing::kManual) {
    device_thread_ = std::thread([this] { device_thread_main(); });
  }
}

void SimulatedStream::stop() {
  wanted_ = false;
  stop_requested_.store(true, std::memory_order_release);
  if (device_thread_.joinable()) device_thread_.join();
  running_.store(false, std::memory_order_release);
}

bool SimulatedStream::check_and_recover() {
  if (!wanted_) return false;
  if (is_running()) return true;
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  if (std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() <
      outage_until_ns_.load(std::memory_order_acquire))
    return false;
  if (device_thread_.joinable()) device_thread_.join();
  // What the microphone heard while it was gone is lost.
  const auto lost_frames = static_cast<size_t>(options_.outage_s * config().sample_rate_hz);
  if (!options_.capture_input.empty() && !input_finished_.load()) {
    input_position_ += lost_frames * static_cast<size_t>(config().capture_channels);
    if (options_.loop_capture_input) {
      input_position_ %= options_.capture_input.size();
    } else if (input_position_ >= options_.capture_input.size()) {
      input_position_ = options_.capture_input.size();
      input_finished_.store(true, std::memory_order_release);
    }
  }
  start();
  note_recovery();
  return true;
}

void SimulatedStream::pump(size_t blocks) {
  if (options_.pacing != Pacing::kManual) {
    throw Error("simulated device '" + options_.name + "': pump() needs Pacing::kManual");
  }
  for (size_t i = 0; i < blocks; ++i) run_block();
}

void SimulatedStream::run_block() noexcept {
  const std::vector<float>& input = options_.capture_input;
  if (!input_block_.empty()) {
    size_t filled = 0;
    while (filled < input_block_.size() && !input.empty() && !input_finished_.load()) {
      const size_t count = std::min(input_block_.size() - filled, input.size() - input_position_);
      std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(input_position_), count,
                  input_block_.begin() + static_cast<std::ptrdiff_t>(filled));
      filled += count;
      input_position_ += count;
      if (input_position_ == input.size()) {
        if (options_.loop_capture_input) {
          input_position_ = 0;
        } else {
          input_finished_.store(true, std::memory_order_release);
        }
      }
    }
    std::fill(input_block_.begin() + static_cast<std::ptrdiff_t>(filled), input_block_.end(), 0.0f);
  }
  process_block(input_block_.empty() ? nullptr : input_block_.data(),
                output_block_.empty() ? nullptr : output_block_.data(),
                static_cast<size_t>(config().frames_per_block));
  // Within the reserved capacity only, so this never allocates.
  const size_t room = recorded_playback_.capacity() - recorded_playback_.size();
  const size_t keep = std::min(room, output_block_.size());
  recorded_playback_.insert(recorded_playback_.end(), output_block_.begin(),
                            output_block_.begin() + static_cast<std::ptrdiff_t>(keep));
}

void SimulatedStream::device_thread_main() noexcept {
  using Clock = std::chrono::steady_clock;
  const auto block_period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          static_cast<double>(config().frames_per_block) / config().sample_rate_hz));
  auto next_block_time = Clock::now();
  const auto outage_block = static_cast<uint64_t>(options_.outage_after_s * config().sample_rate_hz /
                                                  config().frames_per_block);
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (options_.outage_s > 0 && !outage_done_ && blocks_run_ >= outage_block) {
      // The injected fault: the device goes away by itself.
      outage_done_ = true;
      const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options_.outage_s));
      outage_until_ns_.store(
          std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count(),
          std::memory_order_release);
      running_.store(false, std::memory_order_release);
      return;
    }
    if (options_.pacing == Pacing::kAsFastAsPossible && has_capture()) {
      // Lossless: wait until the whole block fits in the capture ring.
      if (capture().write_available() < input_block_.size()) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
    }
    run_block();
    ++blocks_run_;
    if (options_.pacing == Pacing::kRealTime) {
      next_block_time += block_period;
      std::this_thread::sleep_until(next_block_time);
    }
  }
}

}  // namespace parley::audio

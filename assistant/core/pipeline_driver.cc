#include "assistant/core/pipeline_driver.h"

#include <algorithm>
#include <thread>

#include "kernels/error.h"

namespace parley::assistant {

ScriptedMicStream::ScriptedMicStream(const audio::StreamConfig& config, size_t max_recorded_frames)
    : AudioStream(config), max_recorded_(max_recorded_frames * static_cast<size_t>(
                                                                   config.playback_channels)) {
  output_.resize(static_cast<size_t>(config.frames_per_block) *
                 static_cast<size_t>(config.playback_channels));
  recorded_.reserve(max_recorded_);
}

void ScriptedMicStream::run_block(std::span<const float> input) {
  const auto frames = static_cast<size_t>(config().frames_per_block);
  if (input.size() != frames * static_cast<size_t>(config().capture_channels))
    throw Error("ScriptedMicStream::run_block: expected one block of " + std::to_string(frames) +
                " frames");
  process_block(input.data(), output_.data(), frames);
  const size_t room = max_recorded_ - std::min(max_recorded_, recorded_.size());
  recorded_.insert(recorded_.end(), output_.begin(),
                   output_.begin() + static_cast<std::ptrdiff_t>(std::min(room, output_.size())));
}

bool ScriptedMicStream::check_and_recover() {
  if (!wanted_ || !present_) return false;
  if (!running_) {
    running_ = true;
    note_recovery();
  }
  return true;
}

ConversationDriver::ConversationDriver(Pipeline& pipeline, ScriptedMicStream& stream,
                                       SimulatedClock& clock, DrivePacing pacing)
    : pipeline_(pipeline), stream_(stream), clock_(clock), pacing_(pacing) {
  const audio::StreamConfig& config = stream.config();
  block_.resize(static_cast<size_t>(config.frames_per_block));
  block_us_ = int64_t{config.frames_per_block} * 1'000'000 / config.sample_rate_hz;
  next_block_ = std::chrono::steady_clock::now();
}

void ConversationDriver::say(std::span<const float> clip) {
  queued_.insert(queued_.end(), clip.begin(), clip.end());
}

void ConversationDriver::step() {
  using namespace std::chrono;
  switch (pacing_) {
    case DrivePacing::kLockstep:
      if (!pipeline_.wait_idle(seconds(10))) ++idle_timeouts_;
      break;
    case DrivePacing::kComputeCounts:
      if (!pipeline_.wait_idle(microseconds(block_us_))) ++idle_timeouts_;
      break;
    case DrivePacing::kRealTime:
      next_block_ += microseconds(block_us_);
      std::this_thread::sleep_until(next_block_);
      break;
  }
  const size_t take = std::min(queued_.size(), block_.size());
  std::copy_n(queued_.begin(), take, block_.begin());
  std::fill(block_.begin() + static_cast<std::ptrdiff_t>(take), block_.end(), 0.0f);
  queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
  if (stream_.delivering()) stream_.run_block(block_);
  clock_.advance_us(block_us_);
  pipeline_.notify();
}

bool ConversationDriver::run_until(const std::function<bool()>& done, double max_seconds) {
  const int64_t end_us = clock_.now_us() + static_cast<int64_t>(max_seconds * 1e6);
  while (clock_.now_us() < end_us) {
    if (pacing_ == DrivePacing::kLockstep) pipeline_.wait_idle(std::chrono::seconds(10));
    if (done()) return true;
    step();
  }
  return done();
}

void ConversationDriver::run_for(double seconds) {
  const int64_t end_us = clock_.now_us() + static_cast<int64_t>(seconds * 1e6);
  while (clock_.now_us() < end_us) step();
}

}  // namespace parley::assistant

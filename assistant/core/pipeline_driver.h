// Running the Pipeline on files: a scripted microphone device and a driver that steps it on a
// SimulatedClock — what `parley converse` and the pipeline tests use.
//
//   ScriptedMicStream  an AudioStream (audio/device.h) whose blocks are run by the caller with
//                      the microphone samples of that block; every block sent to the speaker is
//                      recorded (silence included), so the recording is the speaker's timeline.
//   ConversationDriver queues clips on the microphone (say()), and runs one device block at a
//                      time: the clock advances by the block's duration after each block.
//
// Pacing
//   kLockstep       before each block, wait until every pipeline stage is idle: processing
//                   takes no simulated time, so a run is deterministic (tests).
//   kComputeCounts  wait for idle at most one block of real time: time spent computing is
//                   counted on the simulated clock (at the device's rate), idle time is skipped —
//                   as fast as possible, with latencies as on a real device.
//   kRealTime       one block per block duration of real time, like hardware.
//
// Contracts: one thread (the caller's) runs the driver; the stream's device side runs on it.
//
// Usage
//   SimulatedClock clock;
//   ScriptedMicStream mic(StreamConfig{.sample_rate_hz = 16000}, 16000 * 600);
//   Pipeline pipeline(mic, clock, engines, options);
//   pipeline.start();
//   ConversationDriver driver(pipeline, mic, clock, DrivePacing::kLockstep);
//   driver.say(question);
//   driver.run_until([&] { return pipeline.status().turns_ended == 1; }, 60.0);
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "assistant/core/clock.h"
#include "assistant/core/pipeline.h"
#include "audio/device.h"

namespace parley::assistant {

enum class DrivePacing { kLockstep, kComputeCounts, kRealTime };

class ScriptedMicStream final : public audio::AudioStream {
 public:
  // Throws parley::audio::Error for an invalid config.
  ScriptedMicStream(const audio::StreamConfig& config, size_t max_recorded_frames);

  void start() override { wanted_ = running_ = true; }
  void stop() override { wanted_ = running_ = false; }
  bool is_running() const override { return running_; }
  std::string description() const override { return "scripted microphone (simulated)"; }
  // Reopens the device after unplug() once plug_in() made it present again.
  bool check_and_recover() override;

  // Fault injection: the device vanishes (stops by itself, blocks stop running, reopening fails)
  // until plug_in() makes it present again; only check_and_recover() restarts it.
  void unplug() { present_ = false, running_ = false; }
  void plug_in() { present_ = true; }
  // Blocks run: the device is present and not waiting to be reopened (a stream that was never
  // started runs too, as the driver's tests expect).
  bool delivering() const { return present_ && (running_ || !wanted_); }

  // One device block: `input` holds frames_per_block samples (capture channels interleaved).
  void run_block(std::span<const float> input);
  // What the speaker played, block by block. Read on the driver's thread.
  const std::vector<float>& recorded_playback() const { return recorded_; }

 private:
  bool running_ = false;
  bool wanted_ = false;
  bool present_ = true;
  size_t max_recorded_;
  std::vector<float> output_;
  std::vector<float> recorded_;
};

class ConversationDriver {
 public:
  ConversationDriver(Pipeline& pipeline, ScriptedMicStream& stream, SimulatedClock& clock,
                     DrivePacing pacing);

  // Queues a clip (mono, the stream's rate) after what is already queued on the microphone.
  void say(std::span<const float> clip);
  bool microphone_idle() const { return queued_.empty(); }

  // Runs one device block; while the stream is not delivering (unplugged), only the clock moves and
  // what was queued on the microphone is lost, as a person's words are while a mic is unplugged.
  void step();
  // Runs blocks until done() is true (checked before each block); false after max_seconds of
  // simulated time without it.
  bool run_until(const std::function<bool()>& done, double max_seconds);
  void run_for(double seconds);

  double now_seconds() const { return static_cast<double>(clock_.now_us()) * 1e-6; }
  // Blocks for which the pipeline was not idle within the wait (kLockstep: 10 s).
  int64_t idle_timeouts() const { return idle_timeouts_; }

 private:
  Pipeline& pipeline_;
  ScriptedMicStream& stream_;
  SimulatedClock& clock_;
  DrivePacing pacing_;
  std::deque<float> queued_;
  std::vector<float> block_;
  int64_t block_us_;
  std::chrono::steady_clock::time_point next_block_;
  int64_t idle_timeouts_ = 0;
};

}  // namespace parley::assistant

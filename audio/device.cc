#include "audio/device.h"

#include <algorithm>
#include <span>

#include "audio/error.h"

namespace parley::audio {

void StreamConfig::validate() const {
  auto bad = [](const std::string& field, const std::string& why) {
    throw Error("audio stream config: " + field + " " + why);
  };
  if (sample_rate_hz < 1000 || sample_rate_hz > 384000) {
    bad("sample_rate_hz", "must be 1000..384000, got " + std::to_string(sample_rate_hz));
  }
  if (capture_channels < 0 || capture_channels > 32) {
    bad("capture_channels", "must be 0..32, got " + std::to_string(capture_channels));
  }
  if (playback_channels < 0 || playback_channels > 32) {
    bad("playback_channels", "must be 0..32, got " + std::to_string(playback_channels));
  }
  if (capture_channels == 0 && playback_channels == 0) {
    bad("capture_channels/playback_channels", "are both 0: nothing to open");
  }
  if (frames_per_block < 16 || frames_per_block > 65536) {
    bad("frames_per_block", "must be 16..65536, got " + std::to_string(frames_per_block));
  }
  if (ring_capacity_ms < 10 || ring_capacity_ms > 600000) {
    bad("ring_capacity_ms", "must be 10..600000, got " + std::to_string(ring_capacity_ms));
  }
  if (keep_far_end_reference && playback_channels == 0) {
    bad("keep_far_end_reference", "needs playback_channels > 0");
  }
  const int64_t block_ms = int64_t{1000} * frames_per_block / sample_rate_hz;
  if (ring_capacity_ms < 2 * block_ms) {
    bad("ring_capacity_ms", "must hold at least two blocks (" + std::to_string(2 * block_ms) +
                                " ms), got " + std::to_string(ring_capacity_ms));
  }
}

std::string StreamConfig::to_string() const {
  return std::to_string(sample_rate_hz) + " Hz, capture " + std::to_string(capture_channels) +
         " ch" + (capture_device.empty() ? "" : " [" + capture_device + "]") + ", playback " +
         std::to_string(playback_channels) + " ch" +
         (playback_device.empty() ? "" : " [" + playback_device + "]") + ", block " +
         std::to_string(frames_per_block) + " frames, rings " + std::to_string(ring_capacity_ms) +
         " ms" + (keep_far_end_reference ? ", far-end reference" : "");
}

size_t StreamConfig::ring_capacity_samples(int channels) const {
  const int64_t frames = int64_t{sample_rate_hz} * ring_capacity_ms / 1000;
  return static_cast<size_t>(std::max<int64_t>(frames, 2 * int64_t{frames_per_block})) *
         static_cast<size_t>(channels);
}

AudioStream::AudioStream(const StreamConfig& config) : config_(config) {
  config_.validate();
  if (config_.capture_channels > 0) {
    capture_ring_ =
        std::make_unique<SpscRing<float>>(config_.ring_capacity_samples(config_.capture_channels));
  }
  if (config_.playback_channels > 0) {
    playback_ring_ =
        std::make_unique<SpscRing<float>>(config_.ring_capacity_samples(config_.playback_channels));
  }
  if (config_.keep_far_end_reference) {
    far_end_ring_ =
        std::make_unique<SpscRing<float>>(config_.ring_capacity_samples(config_.playback_channels));
  }
}

void AudioStream::process_block(const float* input, float* output, size_t frames) noexcept {
  add(blocks_, 1);
  if (input != nullptr && capture_ring_ != nullptr) {
    const size_t samples = frames * static_cast<size_t>(config_.capture_channels);
    const size_t written = capture_ring_->try_write(std::span<const float>(input, samples));
    add(captured_samples_, written);
    if (written < samples) add(capture_overflow_samples_, samples - written);
  }
  if (output != nullptr && playback_ring_ != nullptr) {
    const size_t samples = frames * static_cast<size_t>(config_.playback_channels);
    if (flush_requested_.exchange(false, std::memory_order_acq_rel)) {
      add(playback_flushed_samples_, playback_ring_->flush());
    }
    const size_t read = playback_ring_->try_read(std::span<float>(output, samples));
    std::fill(output + read, output + samples, 0.0f);
    add(played_samples_, read);
    if (read > 0 && read < samples) add(playback_underruns_, 1);
    if (far_end_ring_ != nullptr) {
      const size_t mirrored = far_end_ring_->try_write(std::span<const float>(output, samples));
      if (mirrored < samples) add(far_end_overflow_samples_, samples - mirrored);
    }
  }
}

StreamCounters AudioStream::counters() const {
  auto get = [](const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  StreamCounters counters;
  counters.blocks = get(blocks_);
  counters.captured_samples = get(captured_samples_);
  counters.capture_overflow_samples = get(capture_overflow_samples_);
  counters.played_samples = get(played_samples_);
  counters.playback_underruns = get(playback_underruns_);
  counters.playback_flushed_samples = get(playback_flushed_samples_);
  counters.far_end_overflow_samples = get(far_end_overflow_samples_);
  counters.backend_input_overflows = get(backend_input_overflows_);
  counters.backend_output_underflows = get(backend_output_underflows_);
  counters.recoveries = get(recoveries_);
  return counters;
}

}  // namespace parley::audio

#include "audio/resampler.h"

#include <soxr.h>

#include <cmath>
#include <string>
#include <utility>

#include "audio/error.h"

namespace parley::audio {
namespace {

soxr_t as_soxr(void* handle) {
  return static_cast<soxr_t>(handle);
}

unsigned long soxr_recipe(ResamplerQuality quality) {
  switch (quality) {
    case ResamplerQuality::kQuick:
      return SOXR_QQ;
    case ResamplerQuality::kLow:
      return SOXR_LQ;
    case ResamplerQuality::kMedium:
      return SOXR_MQ;
    case ResamplerQuality::kHigh:
      return SOXR_HQ;
    case ResamplerQuality::kVeryHigh:
      return SOXR_VHQ;
  }
  return SOXR_HQ;
}

}  // namespace

Resampler::Resampler(double input_rate_hz, double output_rate_hz, int channel_count,
                     ResamplerQuality quality)
    : input_rate_hz_(input_rate_hz),
      output_rate_hz_(output_rate_hz),
      channel_count_(channel_count) {
  const auto valid_rate = [](double rate_hz) {
    return std::isfinite(rate_hz) && rate_hz >= 1.0 && rate_hz <= 1e7;
  };
  if (!valid_rate(input_rate_hz) || !valid_rate(output_rate_hz)) {
    throw Error("Resampler: rates must be 1 Hz .. 10 MHz, got input_rate_hz=" +
                std::to_string(input_rate_hz) +
                " output_rate_hz=" + std::to_string(output_rate_hz));
  }
  if (channel_count <= 0 || channel_count > 256) {
    throw Error("Resampler: channel_count must be 1..256, got " + std::to_string(channel_count));
  }
  const soxr_io_spec_t io_spec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality_spec = soxr_quality_spec(soxr_recipe(quality), 0);
  const soxr_runtime_spec_t runtime_spec = soxr_runtime_spec(1);  // never spawn threads
  soxr_error_t error = nullptr;
  soxr_ = soxr_create(input_rate_hz, output_rate_hz, static_cast<unsigned>(channel_count), &error,
                      &io_spec, &quality_spec, &runtime_spec);
  if (soxr_ == nullptr || error != nullptr) {
    throw Error(std::string("Resampler: libsoxr refused the configuration (") +
                (error ? error : "unknown error") + ")");
  }
}

Resampler::~Resampler() {
  if (soxr_ != nullptr) soxr_delete(as_soxr(soxr_));
}

Resampler::Resampler(Resampler&& other) noexcept
    : soxr_(std::exchange(other.soxr_, nullptr)),
      input_rate_hz_(other.input_rate_hz_),
      output_rate_hz_(other.output_rate_hz_),
      channel_count_(other.channel_count_),
      draining_(other.draining_) {}

Resampler& Resampler::operator=(Resampler&& other) noexcept {
  if (this != &other) {
    if (soxr_ != nullptr) soxr_delete(as_soxr(soxr_));
    soxr_ = std::exchange(other.soxr_, nullptr);
    input_rate_hz_ = other.input_rate_hz_;
    output_rate_hz_ = other.output_rate_hz_;
    channel_count_ = other.channel_count_;
    draining_ = other.draining_;
  }
  return *this;
}

Resampler::Progress Resampler::process(std::span<const float> input,
                                       std::span<float> output) noexcept {
  Progress progress;
  if (soxr_ == nullptr || draining_) return progress;
  const size_t channels = static_cast<size_t>(channel_count_);
  const size_t input_frames = input.size() / channels;
  const size_t output_frames = output.size() / channels;
  if (input_frames == 0 || output_frames == 0) return progress;
  soxr_process(as_soxr(soxr_), input.data(), input_frames, &progress.input_frames_consumed,
               output.data(), output_frames, &progress.output_frames_produced);
  return progress;
}

size_t Resampler::drain(std::span<float> output) noexcept {
  if (soxr_ == nullptr) return 0;
  const size_t output_frames = output.size() / static_cast<size_t>(channel_count_);
  if (output_frames == 0) return 0;
  draining_ = true;
  size_t produced = 0;
  soxr_process(as_soxr(soxr_), nullptr, 0, nullptr, output.data(), output_frames, &produced);
  return produced;
}

void Resampler::reset() noexcept {
  if (soxr_ != nullptr) soxr_clear(as_soxr(soxr_));
  draining_ = false;
}

size_t Resampler::max_output_frames(size_t input_frames) const {
  // What the input yields at the output rate, plus the filter delay soxr may release at once.
  const double ratio = output_rate_hz_ / input_rate_hz_;
  return static_cast<size_t>(
             std::ceil(static_cast<double>(input_frames) * ratio + delay_output_frames())) +
         16;
}

double Resampler::delay_output_frames() const noexcept {
  return soxr_ != nullptr ? soxr_delay(as_soxr(soxr_)) : 0.0;
}

std::vector<float> resample(std::span<const float> input, double input_rate_hz,
                            double output_rate_hz, int channel_count, ResamplerQuality quality) {
  Resampler resampler(input_rate_hz, output_rate_hz, channel_count, quality);
  const size_t channels = static_cast<size_t>(channel_count);
  std::vector<float> output;
  std::vector<float> block(4096 * channels);
  size_t offset = 0;  // in samples
  while (offset < input.size()) {
    const Resampler::Progress progress = resampler.process(input.subspan(offset), block);
    offset += progress.input_frames_consumed * channels;
    output.insert(
        output.end(), block.begin(),
        block.begin() + static_cast<std::ptrdiff_t>(progress.output_frames_produced * channels));
    if (progress.input_frames_consumed == 0 && progress.output_frames_produced == 0) break;
  }
  while (const size_t produced = resampler.drain(block)) {
    output.insert(output.end(), block.begin(),
                  block.begin() + static_cast<std::ptrdiff_t>(produced * channels));
  }
  return output;
}

}  // namespace parley::audio

// Resampler — streaming sample-rate conversion of interleaved float audio through libsoxr, for any
// pair of rates (48 kHz device -> 16 kHz ASR, 22.05 kHz TTS -> 48 kHz device, ...).
//
// Contracts
//   * Streaming: feed input in chunks of any size (even 1 frame); the concatenated output is the
//     same as converting the whole signal at once (no clicks at chunk borders). Output is aligned
//     with the input (soxr removes the filter delay), so after drain() the total output length is
//     round(input_frames * output_rate_hz / input_rate_hz) frames (within one frame).
//   * process() consumes as much input as it can and writes at most output.size() / channels
//     frames; size `output` with max_output_frames() to consume everything in one call.
//   * After the last input, call drain() until it returns 0 to flush the filter tail, then reset()
//     before converting an unrelated signal.
//   * Quality kHigh (soxr HQ, 20-bit) keeps the passband flat to well under 0.1 dB up to ~0.9 of
//   the
//     lower Nyquist rate and attenuates the stopband by > 100 dB (measured in resampler_test).
//   * Construction throws parley::audio::Error for invalid rates or channel counts. process()
//     and drain() do not throw; soxr may allocate inside its first process() call only.
//   * Not thread-safe: one Resampler per stream, used from one thread at a time.
//
// Usage
//   parley::audio::Resampler to_asr(48000, 16000, /*channel_count=*/1);
//   std::vector<float> out(to_asr.max_output_frames(480));
//   auto [consumed_frames, produced_frames] = to_asr.process(capture_block_480, out);
//   ...                                   // on end of stream:
//   while (size_t n = to_asr.drain(out)) consume(out.data(), n);
//
//   std::vector<float> speech_48k = parley::audio::resample(speech_22k, 22050, 48000, 1);
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace parley::audio {

enum class ResamplerQuality {
  kQuick,     // cubic interpolation: cheap, audible aliasing; previews only
  kLow,       // soxr LQ, 16-bit
  kMedium,    // soxr MQ, 16-bit
  kHigh,      // soxr HQ, 20-bit (default)
  kVeryHigh,  // soxr VHQ, 28-bit
};

class Resampler {
 public:
  struct Progress {
    size_t input_frames_consumed = 0;
    size_t output_frames_produced = 0;
  };

  Resampler(double input_rate_hz, double output_rate_hz, int channel_count,
            ResamplerQuality quality = ResamplerQuality::kHigh);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;
  Resampler(Resampler&& other) noexcept;
  Resampler& operator=(Resampler&& other) noexcept;

  // Converts interleaved input; see the contract above.
  Progress process(std::span<const float> input, std::span<float> output) noexcept;
  // Signals end of input and writes up to output.size() / channels frames of the filter tail.
  // Returns the frames written; 0 means fully drained.
  size_t drain(std::span<float> output) noexcept;
  // Forgets all state (keeps rates and quality) so a new signal can start.
  void reset() noexcept;

  // Output frames one process() call can produce for `input_frames` of input (an upper bound).
  size_t max_output_frames(size_t input_frames) const;
  // Filter delay currently held inside, in output frames.
  double delay_output_frames() const noexcept;

  double input_rate_hz() const { return input_rate_hz_; }
  double output_rate_hz() const { return output_rate_hz_; }
  int channel_count() const { return channel_count_; }

 private:
  void* soxr_ = nullptr;  // soxr_t
  double input_rate_hz_ = 0;
  double output_rate_hz_ = 0;
  int channel_count_ = 0;
  bool draining_ = false;
};

// Converts a whole interleaved signal in one call (process + drain).
std::vector<float> resample(std::span<const float> input, double input_rate_hz,
                            double output_rate_hz, int channel_count,
                            ResamplerQuality quality = ResamplerQuality::kHigh);

}  // namespace parley::audio

// Resampler: measured with a windowed DFT written here (independent of soxr): passband gain of
// tones stays within +-0.1 dB, stopband tones (aliases when decimating, images when
// interpolating) are attenuated by at least 90 dB, output length matches the rate ratio, and
// chunked conversion equals one-shot conversion (no clicks at chunk borders).
#include "audio/resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <ostream>
#include <vector>

#include "audio/error.h"

namespace parley::audio {
namespace {

constexpr double kPi = std::numbers::pi;

std::vector<float> tone(double frequency_hz, double rate_hz, size_t frames, double amplitude) {
  std::vector<float> samples(frames);
  for (size_t i = 0; i < frames; ++i) {
    samples[i] = static_cast<float>(amplitude * std::sin(2 * kPi * frequency_hz * i / rate_hz));
  }
  return samples;
}

// Exponential sweep from start_hz to end_hz over `frames`, amplitude 0.5.
std::vector<float> sweep(double start_hz, double end_hz, double rate_hz, size_t frames) {
  std::vector<float> samples(frames);
  const double duration = frames / rate_hz;
  const double k = std::log(end_hz / start_hz);
  for (size_t i = 0; i < frames; ++i) {
    const double t = i / rate_hz;
    const double phase = 2 * kPi * start_hz * duration / k * (std::exp(t / duration * k) - 1);
    samples[i] = static_cast<float>(0.5 * std::sin(phase));
  }
  return samples;
}

// Amplitude of the sinusoid at frequency_hz in the middle 80% of `samples`, measured with a
// 4-term Blackman-Harris window (sidelobes < -92 dB, falling further away from the tone).
double amplitude_at(const std::vector<float>& samples, double rate_hz, double frequency_hz) {
  const size_t begin = samples.size() / 10;
  const size_t count = samples.size() * 8 / 10;
  std::complex<double> sum = 0;
  double window_sum = 0;
  for (size_t n = 0; n < count; ++n) {
    const double x = 2 * kPi * n / (count - 1);
    const double w =
        0.35875 - 0.48829 * std::cos(x) + 0.14128 * std::cos(2 * x) - 0.01168 * std::cos(3 * x);
    const double angle = -2 * kPi * frequency_hz * static_cast<double>(begin + n) / rate_hz;
    sum += w * samples[begin + n] * std::polar(1.0, angle);
    window_sum += w;
  }
  return 2 * std::abs(sum) / window_sum;
}

double decibels(double ratio) {
  return 20 * std::log10(std::max(ratio, 1e-30));
}

// Expected output length of a whole-signal conversion.
double expected_frames(size_t input_frames, double in_hz, double out_hz) {
  return input_frames * out_hz / in_hz;
}

struct RatePair {
  double input_rate_hz;
  double output_rate_hz;
};
void PrintTo(const RatePair& pair, std::ostream* out) {
  *out << pair.input_rate_hz << " Hz -> " << pair.output_rate_hz << " Hz";
}

class ResamplerRates : public ::testing::TestWithParam<RatePair> {};

TEST_P(ResamplerRates, PassbandIsFlat) {
  const auto [in_hz, out_hz] = GetParam();
  const double lower_nyquist_hz = std::min(in_hz, out_hz) / 2;
  const size_t frames = static_cast<size_t>(in_hz);  // one second
  for (double fraction : {0.01, 0.1, 0.3, 0.6, 0.85}) {
    const double frequency_hz = fraction * lower_nyquist_hz;
    const std::vector<float> out =
        resample(tone(frequency_hz, in_hz, frames, 0.5), in_hz, out_hz, 1);
    EXPECT_NEAR(static_cast<double>(out.size()), expected_frames(frames, in_hz, out_hz), 1.0);
    const double gain_db = decibels(amplitude_at(out, out_hz, frequency_hz) / 0.5);
    EXPECT_LT(std::abs(gain_db), 0.1) << frequency_hz << " Hz, " << in_hz << " -> " << out_hz;
  }
}

TEST_P(ResamplerRates, StopbandIsAttenuated) {
  const auto [in_hz, out_hz] = GetParam();
  const size_t frames = static_cast<size_t>(in_hz);
  if (out_hz < in_hz) {
    // Decimation: tones above the output Nyquist must not alias into the output.
    for (double fraction : {1.1, 1.5, 2.5}) {
      const double frequency_hz = fraction * out_hz / 2;
      if (frequency_hz >= in_hz / 2) continue;
      const std::vector<float> out =
          resample(tone(frequency_hz, in_hz, frames, 0.5), in_hz, out_hz, 1);
      double alias_hz = std::fmod(frequency_hz, out_hz);
      if (alias_hz > out_hz / 2) alias_hz = out_hz - alias_hz;
      const double alias_db = decibels(amplitude_at(out, out_hz, alias_hz) / 0.5);
      EXPECT_LT(alias_db, -90.0) << frequency_hz << " Hz aliases to " << alias_hz;
    }
  } else {
    // Interpolation: a passband tone must not leave images at in_hz - f, in_hz + f, ...
    for (double frequency_hz : {440.0, 0.3 * in_hz / 2, 0.7 * in_hz / 2}) {
      const std::vector<float> out =
          resample(tone(frequency_hz, in_hz, frames, 0.5), in_hz, out_hz, 1);
      for (double image_hz : {in_hz - frequency_hz, in_hz + frequency_hz}) {
        if (image_hz >= out_hz / 2) continue;
        const double image_db = decibels(amplitude_at(out, out_hz, image_hz) / 0.5);
        EXPECT_LT(image_db, -90.0) << frequency_hz << " Hz imaged at " << image_hz;
      }
    }
  }
}

TEST_P(ResamplerRates, SweepChunkedEqualsOneShot) {
  const auto [in_hz, out_hz] = GetParam();
  const double top_hz = 0.85 * std::min(in_hz, out_hz) / 2;
  const size_t frames = static_cast<size_t>(in_hz * 2);
  const std::vector<float> input = sweep(30, top_hz, in_hz, frames);
  const std::vector<float> one_shot = resample(input, in_hz, out_hz, 1);
  EXPECT_NEAR(static_cast<double>(one_shot.size()), expected_frames(frames, in_hz, out_hz), 1.0);

  // Energy is preserved for an in-band sweep (to within the passband flatness).
  auto rms = [](const std::vector<float>& x, size_t begin, size_t end) {
    double sum = 0;
    for (size_t i = begin; i < end; ++i) sum += double(x[i]) * x[i];
    return std::sqrt(sum / (end - begin));
  };
  const double in_rms = rms(input, frames / 10, frames * 9 / 10);
  const double out_rms = rms(one_shot, one_shot.size() / 10, one_shot.size() * 9 / 10);
  EXPECT_LT(std::abs(decibels(out_rms / in_rms)), 0.1);

  // Irregular chunk sizes, including single frames, and a small output buffer.
  Resampler resampler(in_hz, out_hz, 1);
  std::vector<float> chunked;
  std::vector<float> block(resampler.max_output_frames(1000));
  const size_t chunk_sizes[] = {1, 7, 160, 333, 1000, 2, 480, 999};
  size_t offset = 0;
  for (size_t chunk_index = 0; offset < input.size(); ++chunk_index) {
    const size_t size = std::min(chunk_sizes[chunk_index % 8], input.size() - offset);
    std::span<const float> chunk(input.data() + offset, size);
    while (!chunk.empty()) {
      const Resampler::Progress progress = resampler.process(chunk, block);
      chunked.insert(chunked.end(), block.begin(), block.begin() + progress.output_frames_produced);
      chunk = chunk.subspan(progress.input_frames_consumed);
      ASSERT_TRUE(progress.input_frames_consumed > 0 || progress.output_frames_produced > 0);
    }
    offset += size;
  }
  while (const size_t produced = resampler.drain(block)) {
    chunked.insert(chunked.end(), block.begin(), block.begin() + produced);
  }
  ASSERT_EQ(chunked.size(), one_shot.size());
  float worst = 0;
  size_t worst_index = 0;
  for (size_t i = 0; i < chunked.size(); ++i) {
    const float difference = std::abs(chunked[i] - one_shot[i]);
    if (difference > worst) worst = difference, worst_index = i;
  }
  EXPECT_LT(worst, 1e-5f) << "at output frame " << worst_index;

  // A click would show as a large jump between neighbours; a sweep below 0.85 Nyquist at amplitude
  // 0.5 moves at most 2*pi*0.425*0.5 per sample.
  float largest_step = 0;
  for (size_t i = 1; i < chunked.size(); ++i) {
    largest_step = std::max(largest_step, std::abs(chunked[i] - chunked[i - 1]));
  }
  EXPECT_LT(largest_step, 2 * kPi * 0.425 * 0.5 * 1.05);
}

INSTANTIATE_TEST_SUITE_P(Rates, ResamplerRates,
                         ::testing::Values(RatePair{48000, 16000}, RatePair{16000, 48000},
                                           RatePair{22050, 48000}, RatePair{44100, 16000}),
                         [](const auto& info) {
                           return std::to_string(int(info.param.input_rate_hz)) + "_to_" +
                                  std::to_string(int(info.param.output_rate_hz));
                         });

TEST(Resampler, StereoChannelsStaySeparate) {
  const size_t frames = 48000;
  std::vector<float> stereo(frames * 2);
  const std::vector<float> left = tone(1000, 48000, frames, 0.5);
  const std::vector<float> right = tone(3000, 48000, frames, 0.25);
  for (size_t i = 0; i < frames; ++i) stereo[2 * i] = left[i], stereo[2 * i + 1] = right[i];
  const std::vector<float> out = resample(stereo, 48000, 16000, 2);
  ASSERT_EQ(out.size() % 2, 0u);
  std::vector<float> out_left(out.size() / 2), out_right(out.size() / 2);
  for (size_t i = 0; i < out_left.size(); ++i)
    out_left[i] = out[2 * i], out_right[i] = out[2 * i + 1];
  EXPECT_NEAR(amplitude_at(out_left, 16000, 1000), 0.5, 0.01);
  EXPECT_LT(amplitude_at(out_left, 16000, 3000), 1e-4);
  EXPECT_NEAR(amplitude_at(out_right, 16000, 3000), 0.25, 0.005);
  EXPECT_LT(amplitude_at(out_right, 16000, 1000), 1e-4);
}

TEST(Resampler, ResetStartsAFreshSignal) {
  const std::vector<float> input = tone(1000, 48000, 4800, 0.5);
  Resampler resampler(48000, 16000, 1);
  std::vector<float> block(resampler.max_output_frames(input.size()));
  auto run = [&] {
    std::vector<float> all;
    const auto progress = resampler.process(input, block);
    EXPECT_EQ(progress.input_frames_consumed, input.size());
    all.insert(all.end(), block.begin(), block.begin() + progress.output_frames_produced);
    while (size_t n = resampler.drain(block))
      all.insert(all.end(), block.begin(), block.begin() + n);
    return all;
  };
  const std::vector<float> first = run();
  resampler.reset();
  const std::vector<float> second = run();
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 1600u);
}

TEST(Resampler, RejectsInvalidConfiguration) {
  EXPECT_THROW(Resampler(0, 16000, 1), Error);
  EXPECT_THROW(Resampler(48000, -1, 1), Error);
  EXPECT_THROW(Resampler(48000, 16000, 0), Error);
  EXPECT_THROW(Resampler(std::nan(""), 16000, 1), Error);
}

}  // namespace
}  // namespace parley::audio

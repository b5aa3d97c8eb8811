#include "asr/fbank.h"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <numbers>
#include <sstream>

#include "audio/resampler.h"
#include "kernels/error.h"

namespace parley::asr {
namespace {

double mel_scale(double freq_hz) {
  return 1127.0 * std::log(1.0 + freq_hz / 700.0);
}

const char* window_name(FbankWindow window) {
  switch (window) {
    case FbankWindow::kPovey:
      return "povey";
    case FbankWindow::kHann:
      return "hann";
    case FbankWindow::kHamming:
      return "hamming";
    case FbankWindow::kRectangular:
      return "rectangular";
  }
  return "unknown";
}

[[noreturn]] void fail(const std::string& field, const std::string& what) {
  throw Error("FbankConfig." + field + ": " + what);
}

}  // namespace

int FbankConfig::frame_length_samples() const {
  return static_cast<int>(std::lround(sample_rate_hz * 0.001 * frame_length_ms));
}
int FbankConfig::frame_shift_samples() const {
  return static_cast<int>(std::lround(sample_rate_hz * 0.001 * frame_shift_ms));
}
int FbankConfig::fft_size() const {
  int size = 1;
  while (size < frame_length_samples()) size *= 2;
  return size;
}

void FbankConfig::validate() const {
  if (sample_rate_hz < 1000 || sample_rate_hz > 384000) {
    fail("sample_rate_hz", std::to_string(sample_rate_hz) + " is outside [1000, 384000]");
  }
  if (mel_bin_count < 1 || mel_bin_count > 1024) {
    fail("mel_bin_count", std::to_string(mel_bin_count) + " is outside [1, 1024]");
  }
  if (!(frame_length_ms > 0.0f) || frame_length_samples() < 4 || frame_length_samples() > 65536) {
    fail("frame_length_ms", std::to_string(frame_length_ms) + " gives " +
                                std::to_string(frame_length_samples()) +
                                " samples; need 4 to 65536");
  }
  if (!(frame_shift_ms > 0.0f) || frame_shift_samples() < 1) {
    fail("frame_shift_ms", std::to_string(frame_shift_ms) + " gives no whole sample");
  }
  const double nyquist_hz = 0.5 * sample_rate_hz;
  if (!(low_freq_hz >= 0.0f) || low_freq_hz >= nyquist_hz) {
    fail("low_freq_hz", std::to_string(low_freq_hz) + " is outside [0, nyquist)");
  }
  const double high_hz = high_freq_hz > 0.0f ? high_freq_hz : nyquist_hz + high_freq_hz;
  if (!std::isfinite(high_freq_hz) || high_hz <= low_freq_hz || high_hz > nyquist_hz) {
    fail("high_freq_hz", std::to_string(high_freq_hz) + " resolves to " + std::to_string(high_hz) +
                             " Hz; need low_freq_hz < high <= nyquist");
  }
  if (!(preemphasis >= 0.0f && preemphasis <= 1.0f)) {
    fail("preemphasis", std::to_string(preemphasis) + " is outside [0, 1]");
  }
}

std::string FbankConfig::to_string() const {
  std::ostringstream out;
  out << "FbankConfig(sample_rate_hz=" << sample_rate_hz << ", mel_bin_count=" << mel_bin_count
      << ", frame_length_ms=" << frame_length_ms << ", frame_shift_ms=" << frame_shift_ms
      << ", low_freq_hz=" << low_freq_hz << ", high_freq_hz=" << high_freq_hz
      << ", preemphasis=" << preemphasis
      << ", remove_dc_offset=" << (remove_dc_offset ? "true" : "false")
      << ", snip_edges=" << (snip_edges ? "true" : "false") << ", window=" << window_name(window)
      << ")";
  return out.str();
}

int64_t fbank_first_sample(int64_t frame_index, const FbankConfig& config) {
  const int64_t shift = config.frame_shift_samples();
  if (config.snip_edges) return frame_index * shift;
  return frame_index * shift + shift / 2 - config.frame_length_samples() / 2;
}

int64_t fbank_frame_count(int64_t sample_count, const FbankConfig& config, bool flush) {
  const int64_t shift = config.frame_shift_samples();
  const int64_t length = config.frame_length_samples();
  if (config.snip_edges) {
    return sample_count < length ? 0 : 1 + (sample_count - length) / shift;
  }
  int64_t count = (sample_count + shift / 2) / shift;
  if (flush) return count;
  // Before the end is known, a frame is ready only when its whole window has arrived.
  while (count > 0 && fbank_first_sample(count - 1, config) + length > sample_count) --count;
  return count;
}

// ---------------------------------------------------------------------------------------------

FbankComputer::FbankComputer(const FbankConfig& config)
    : config_((config.validate(), config)), fft_(static_cast<size_t>(config.fft_size())) {
  const int length = config_.frame_length_samples();
  window_.resize(static_cast<size_t>(length));
  const double step = 2.0 * std::numbers::pi / (length - 1);
  for (int i = 0; i < length; ++i) {
    const double hann = 0.5 - 0.5 * std::cos(step * i);
    double value = 1.0;
    switch (config_.window) {
      case FbankWindow::kPovey:
        value = std::pow(hann, 0.85);
        break;
      case FbankWindow::kHann:
        value = hann;
        break;
      case FbankWindow::kHamming:
        value = 0.54 - 0.46 * std::cos(step * i);
        break;
      case FbankWindow::kRectangular:
        value = 1.0;
        break;
    }
    window_[static_cast<size_t>(i)] = value;
  }

  // Triangular filters equally spaced on the mel scale; FFT bins 0 .. fft_size/2 - 1 (the
  // nyquist bin always gets weight 0, as in Kaldi).
  const double nyquist_hz = 0.5 * config_.sample_rate_hz;
  const double high_hz =
      config_.high_freq_hz > 0.0f ? config_.high_freq_hz : nyquist_hz + config_.high_freq_hz;
  const double mel_low = mel_scale(config_.low_freq_hz);
  const double mel_high = mel_scale(high_hz);
  const double mel_step = (mel_high - mel_low) / (config_.mel_bin_count + 1);
  const size_t fft_bins = static_cast<size_t>(config_.fft_size()) / 2;
  const double bin_width_hz = static_cast<double>(config_.sample_rate_hz) / config_.fft_size();
  filters_.resize(static_cast<size_t>(config_.mel_bin_count));
  for (int m = 0; m < config_.mel_bin_count; ++m) {
    const double left = mel_low + m * mel_step;
    const double center = left + mel_step;
    const double right = center + mel_step;
    MelFilter& filter = filters_[static_cast<size_t>(m)];
    for (size_t k = 0; k < fft_bins; ++k) {
      const double mel = mel_scale(bin_width_hz * static_cast<double>(k));
      if (mel <= left || mel >= right) continue;
      const double weight =
          mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center);
      if (filter.weights.empty()) filter.first_bin = k;
      // Bins inside one triangle are consecutive, so the weights stay contiguous.
      filter.weights.resize(k - filter.first_bin + 1, 0.0);
      filter.weights.back() = weight;
    }
    if (filter.weights.empty()) {
      fail("mel_bin_count", "mel filter " + std::to_string(m) + " of " +
                                std::to_string(config_.mel_bin_count) +
                                " covers no FFT bin; use fewer bins or a longer frame");
    }
  }
}

size_t FbankComputer::work_size() const {
  // Padded frame + FFT scratch + power spectrum.
  return fft_.size() + fft_.work_size() + fft_.bin_count();
}

void FbankComputer::compute(std::span<const float> frame_samples, std::span<double> work,
                            std::span<float> features) const {
  const size_t length = window_.size();
  assert(frame_samples.size() == length && work.size() >= work_size() &&
         features.size() == filters_.size());
  std::span<double> padded = work.first(fft_.size());
  std::span<double> fft_work = work.subspan(fft_.size(), fft_.work_size());
  std::span<double> power = work.subspan(fft_.size() + fft_.work_size(), fft_.bin_count());

  std::copy(frame_samples.begin(), frame_samples.end(), padded.begin());
  if (config_.remove_dc_offset) {
    double sum = 0.0;
    for (size_t i = 0; i < length; ++i) sum += padded[i];
    const double mean = sum / static_cast<double>(length);
    for (size_t i = 0; i < length; ++i) padded[i] -= mean;
  }
  if (config_.preemphasis != 0.0f) {
    const double coefficient = config_.preemphasis;
    for (size_t i = length - 1; i > 0; --i) padded[i] -= coefficient * padded[i - 1];
    padded[0] -= coefficient * padded[0];
  }
  for (size_t i = 0; i < length; ++i) padded[i] *= window_[i];
  std::fill(padded.begin() + static_cast<std::ptrdiff_t>(length), padded.end(), 0.0);

  fft_.power_spectrum(padded, fft_work, power);

  for (size_t m = 0; m < filters_.size(); ++m) {
    const MelFilter& filter = filters_[m];
    double energy = 0.0;
    for (size_t j = 0; j < filter.weights.size(); ++j) {
      energy += filter.weights[j] * power[filter.first_bin + j];
    }
    features[m] = static_cast<float>(std::log(std::max(energy, double{FLT_EPSILON})));
  }
}

// ---------------------------------------------------------------------------------------------

OnlineFbank::OnlineFbank(const FbankConfig& config)
    : computer_(std::make_unique<FbankComputer>(config)) {
  frame_scratch_.resize(static_cast<size_t>(config.frame_length_samples()));
  work_.resize(computer_->work_size());
}

OnlineFbank::~OnlineFbank() = default;
OnlineFbank::OnlineFbank(OnlineFbank&&) noexcept = default;
OnlineFbank& OnlineFbank::operator=(OnlineFbank&&) noexcept = default;

void OnlineFbank::accept_waveform(std::span<const float> samples, int input_rate_hz) {
  if (finished_) throw Error("OnlineFbank: samples arrived after input_finished()");
  if (input_rate_hz <= 0) {
    throw Error("OnlineFbank: input_rate_hz " + std::to_string(input_rate_hz) + " is not positive");
  }
  if (input_rate_hz_ == 0) {
    input_rate_hz_ = input_rate_hz;
    if (input_rate_hz != config().sample_rate_hz) {
      resampler_ = std::make_unique<audio::Resampler>(input_rate_hz, config().sample_rate_hz, 1);
    }
  } else if (input_rate_hz != input_rate_hz_) {
    throw Error("OnlineFbank: input_rate_hz changed from " + std::to_string(input_rate_hz_) +
                " to " + std::to_string(input_rate_hz) + " without reset()");
  }
  if (!resampler_) {
    append_samples(samples);
    return;
  }
  while (!samples.empty()) {
    resampled_.resize(resampler_->max_output_frames(samples.size()));
    const auto progress = resampler_->process(samples, resampled_);
    append_samples(std::span<const float>(resampled_).first(progress.output_frames_produced));
    samples = samples.subspan(progress.input_frames_consumed);
    if (progress.input_frames_consumed == 0 && progress.output_frames_produced == 0) break;
  }
}

void OnlineFbank::input_finished() {
  if (finished_) return;
  if (resampler_) {
    resampled_.resize(std::max<size_t>(resampled_.size(), 4096));
    while (size_t produced = resampler_->drain(resampled_)) {
      append_samples(std::span<const float>(resampled_).first(produced));
    }
  }
  finished_ = true;
  compute_ready_frames();
  samples_offset_ += static_cast<int64_t>(samples_.size());
  samples_.clear();
}

void OnlineFbank::append_samples(std::span<const float> samples) {
  if (samples.empty()) return;
  samples_.insert(samples_.end(), samples.begin(), samples.end());
  samples_received_ += static_cast<int64_t>(samples.size());
  compute_ready_frames();
}

void OnlineFbank::compute_ready_frames() {
  const FbankConfig& cfg = config();
  const int64_t target = fbank_frame_count(samples_received_, cfg, finished_);
  const int64_t length = cfg.frame_length_samples();
  const size_t dim = static_cast<size_t>(feature_dim());
  for (int64_t f = static_cast<int64_t>(frames_ready()); f < target; ++f) {
    const int64_t start = fbank_first_sample(f, cfg);
    for (int64_t s = 0; s < length; ++s) {
      int64_t g = start + s;
      // Mirror at both ends of the signal seen so far (only the first frame can reach below 0;
      // only frames computed after input_finished() reach past the end).
      while (g < 0 || g >= samples_received_) g = g < 0 ? -g - 1 : 2 * samples_received_ - 1 - g;
      assert(g >= samples_offset_);
      frame_scratch_[static_cast<size_t>(s)] = samples_[static_cast<size_t>(g - samples_offset_)];
    }
    kept_features_.resize(kept_features_.size() + dim);
    computer_->compute(frame_scratch_, work_, std::span<float>(kept_features_).last(dim));
  }
  // Drop samples no future frame needs.
  const int64_t keep_from = std::max<int64_t>(0, fbank_first_sample(target, cfg));
  if (keep_from > samples_offset_) {
    const auto drop =
        std::min<int64_t>(keep_from - samples_offset_, static_cast<int64_t>(samples_.size()));
    samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(drop));
    samples_offset_ += drop;
  }
}

std::span<const float> OnlineFbank::frame(size_t index) const {
  assert(index >= first_kept_frame_ && index < frames_ready());
  const size_t dim = static_cast<size_t>(feature_dim());
  return std::span<const float>(kept_features_).subspan((index - first_kept_frame_) * dim, dim);
}

void OnlineFbank::discard_frames_before(size_t index) {
  index = std::min(index, frames_ready());
  if (index <= first_kept_frame_) return;
  const size_t dim = static_cast<size_t>(feature_dim());
  kept_features_.erase(
      kept_features_.begin(),
      kept_features_.begin() + static_cast<std::ptrdiff_t>((index - first_kept_frame_) * dim));
  first_kept_frame_ = index;
}

void OnlineFbank::reset() {
  resampler_.reset();
  input_rate_hz_ = 0;
  finished_ = false;
  samples_.clear();
  samples_offset_ = 0;
  samples_received_ = 0;
  kept_features_.clear();
  first_kept_frame_ = 0;
}

// ---------------------------------------------------------------------------------------------

std::vector<float> compute_fbank(std::span<const float> samples, int input_rate_hz,
                                 const FbankConfig& config) {
  FbankComputer computer(config);
  if (input_rate_hz <= 0) {
    throw Error("compute_fbank: input_rate_hz " + std::to_string(input_rate_hz) +
                " is not positive");
  }
  std::vector<float> resampled;
  if (input_rate_hz != config.sample_rate_hz) {
    resampled = audio::resample(samples, input_rate_hz, config.sample_rate_hz, 1);
    samples = resampled;
  }
  const auto total = static_cast<int64_t>(samples.size());
  const int64_t frame_count = fbank_frame_count(total, config, /*flush=*/true);
  const size_t dim = static_cast<size_t>(config.mel_bin_count);
  const int64_t length = config.frame_length_samples();
  std::vector<float> features(static_cast<size_t>(frame_count) * dim);
  std::vector<float> frame(static_cast<size_t>(length));
  std::vector<double> work(computer.work_size());
  for (int64_t f = 0; f < frame_count; ++f) {
    const int64_t start = fbank_first_sample(f, config);
    for (int64_t s = 0; s < length; ++s) {
      int64_t g = start + s;
      while (g < 0 || g >= total) g = g < 0 ? -g - 1 : 2 * total - 1 - g;
      frame[static_cast<size_t>(s)] = samples[static_cast<size_t>(g)];
    }
    computer.compute(frame, work,
                     std::span<float>(features).subspan(static_cast<size_t>(f) * dim, dim));
  }
  return features;
}

}  // namespace parley::asr

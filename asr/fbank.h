// Kaldi-compatible log-mel filterbank features, computed incrementally — the input of every
// sherpa-onnx-style speech model (Zipformer2, LSTM transducers, Silero does not use it).
//
// What is computed (FbankConfig defaults = what sherpa-onnx hands kaldi-native-fbank):
//   16 kHz input in [-1, 1] (not scaled to int16 range), 25 ms frames (400 samples) every 10 ms
//   (160 samples), snip_edges = false (frame i is centred on sample 160 i + 80; samples outside
//   the signal are mirrored: x[-1-k] = x[k], x[N+k] = x[N-1-k]), dither 0, per frame: subtract
//   the mean, pre-emphasis 0.97 (x[0] -= 0.97 x[0]), povey window (hann^0.85, symmetric), zero pad
//   to 512, power spectrum, 80 triangular mel filters between 20 Hz and 7600 Hz (high = nyquist -
//   400 Hz; Kaldi mel scale 1127 ln(1 + f/700), the nyquist bin has weight 0), then
//   log(max(energy, FLT_EPSILON)). No energy coefficient, no CMVN. The per-frame arithmetic is done
//   in double (see real_fft.h for why); features are stored as float. This is what
//   torchaudio.compliance.kaldi.fbank computes with the same options (golden test:
//   tests/asr/make_fbank_golden.py, max abs error <= 1e-3).
//
// Contracts
//   * Streaming: OnlineFbank fed the same audio in chunks of any size yields bit-identical frames
//     to compute_fbank() on the whole signal. Frames whose window reaches past the samples seen so
//     far wait; input_finished() releases the last ones (mirrored at the end).
//   * Other input rates are converted to config.sample_rate_hz through audio::Resampler (soxr HQ)
//     inside OnlineFbank; the rate must stay the same until reset().
//   * accept_waveform() allocates only while its buffers grow (first chunks, larger chunks); the
//     per-frame computation never allocates. Bad configs throw parley::Error naming the field.
//   * Not thread-safe: one OnlineFbank per stream. FbankComputer is immutable and shareable.
//
// Usage
//   parley::asr::OnlineFbank fbank;                      // 16 kHz, 80 bins
//   fbank.accept_waveform(chunk_48k, 48000);             // any number of times, any size
//   for (size_t i = fbank.first_available_frame(); i < fbank.frames_ready(); ++i)
//     encoder_input.append(fbank.frame(i));              // 80 floats each
//   fbank.discard_frames_before(fbank.frames_ready());   // free what the model consumed
//   fbank.input_finished();                              // end of stream: last frames
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "asr/real_fft.h"

namespace parley::audio {
class Resampler;
}

namespace parley::asr {

enum class FbankWindow { kPovey, kHann, kHamming, kRectangular };

struct FbankConfig {
  int sample_rate_hz = 16000;     // rate of the feature computation (input is resampled to it)
  int mel_bin_count = 80;         // feature dimension
  float frame_length_ms = 25.0f;  // analysis window
  float frame_shift_ms = 10.0f;   // hop between frames
  float low_freq_hz = 20.0f;      // lowest mel filter edge
  float high_freq_hz = -400.0f;   // highest mel filter edge; <= 0 means nyquist + high_freq_hz
  float preemphasis = 0.97f;      // x[i] -= preemphasis * x[i-1]; 0 disables
  bool remove_dc_offset = true;   // subtract each frame's mean before pre-emphasis
  bool snip_edges = false;        // true: only frames fully inside the signal (Kaldi default)
  FbankWindow window = FbankWindow::kPovey;

  // Throws parley::Error naming the first invalid field.
  void validate() const;
  std::string to_string() const;

  int frame_length_samples() const;  // 400 for the defaults
  int frame_shift_samples() const;   // 160 for the defaults
  int fft_size() const;              // frame length rounded up to a power of two: 512
};

// Number of frames a complete signal of `sample_count` samples yields (Kaldi's NumFrames with
// flush = true) and, with flush = false, how many can be computed before the end is known.
int64_t fbank_frame_count(int64_t sample_count, const FbankConfig& config, bool flush);
// Index of the first sample of frame `frame_index` (negative near the start when !snip_edges).
int64_t fbank_first_sample(int64_t frame_index, const FbankConfig& config);

// The per-frame computation: window, FFT and mel tables built once; immutable and shareable.
class FbankComputer {
 public:
  explicit FbankComputer(const FbankConfig& config);

  const FbankConfig& config() const { return config_; }
  int feature_dim() const { return config_.mel_bin_count; }
  // Doubles of scratch space compute() needs.
  size_t work_size() const;

  // frame_samples.size() == frame_length_samples(); features.size() == feature_dim();
  // work.size() >= work_size(). Never allocates or throws.
  void compute(std::span<const float> frame_samples, std::span<double> work,
               std::span<float> features) const;

 private:
  struct MelFilter {
    size_t first_bin = 0;         // first FFT bin with a non-zero weight
    std::vector<double> weights;  // consecutive bins from first_bin
  };
  FbankConfig config_;
  RealFft fft_;
  std::vector<double> window_;  // frame_length_samples() coefficients
  std::vector<MelFilter> filters_;
};

class OnlineFbank {
 public:
  explicit OnlineFbank(const FbankConfig& config = {});
  ~OnlineFbank();
  OnlineFbank(OnlineFbank&&) noexcept;
  OnlineFbank& operator=(OnlineFbank&&) noexcept;

  // Appends samples in [-1, 1] at `input_rate_hz` and computes every frame that is complete.
  // Throws parley::Error if the rate is not positive, differs from the rate of earlier calls
  // (until reset()), or samples arrive after input_finished().
  void accept_waveform(std::span<const float> samples, int input_rate_hz);
  // No more samples: flushes the resampler and computes the last frames. Idempotent.
  void input_finished();
  bool is_finished() const { return finished_; }

  // Frames computed since the start (or the last reset()); their indices are [0, frames_ready()).
  size_t frames_ready() const { return first_kept_frame_ + kept_frame_count(); }
  // Lowest index still held (frames before it were discarded).
  size_t first_available_frame() const { return first_kept_frame_; }
  // Features of frame `index`, first_available_frame() <= index < frames_ready().
  std::span<const float> frame(size_t index) const;
  // Releases frames with index < `index` (clamped to frames_ready()).
  void discard_frames_before(size_t index);

  // Forgets all audio and frames; the next accept_waveform() may use a different rate.
  void reset();

  int feature_dim() const { return computer_->feature_dim(); }
  const FbankConfig& config() const { return computer_->config(); }

 private:
  size_t kept_frame_count() const { return kept_features_.size() / computer_->feature_dim(); }
  void append_samples(std::span<const float> samples_at_feature_rate);
  void compute_ready_frames();

  std::unique_ptr<FbankComputer> computer_;
  std::unique_ptr<audio::Resampler> resampler_;  // null while input is at the feature rate
  std::vector<float> resampled_;                 // resampler output scratch
  int input_rate_hz_ = 0;                        // 0 until the first accept_waveform()
  bool finished_ = false;

  std::vector<float> samples_;  // samples [samples_offset_, samples_offset_ + size)
  int64_t samples_offset_ = 0;  // global index of samples_[0]
  int64_t samples_received_ = 0;
  std::vector<float> frame_scratch_;  // one frame of samples (with mirroring)
  std::vector<double> work_;          // FbankComputer scratch

  std::vector<float> kept_features_;  // frames [first_kept_frame_, frames_ready()) row-major
  size_t first_kept_frame_ = 0;
};

// Whole-signal reference path: frames x mel_bin_count features, row-major. Resamples first when
// input_rate_hz differs from config.sample_rate_hz.
std::vector<float> compute_fbank(std::span<const float> samples, int input_rate_hz,
                                 const FbankConfig& config = {});

}  // namespace parley::asr

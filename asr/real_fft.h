// RealFft — forward FFT of a real signal whose length is a power of two (the 512-point transform of
// the Kaldi filterbank). Computed as one complex FFT of half the length plus a split step, in
// double precision: log-mel energies just above the FLT_EPSILON floor are ill-conditioned, and a
// float FFT moves them by more than 1e-2 (measured on a chirp; see tests/asr/fbank_test.cc).
//
// Contracts
//   * Twiddle and bit-reversal tables are built once in the constructor; forward() and
//     power_spectrum() never allocate or throw.
//   * forward() writes size()/2 + 1 complex bins X[k] = sum_n x[n] exp(-2 pi i k n / N)
//     (unnormalised, the sign convention of numpy.fft.rfft) as interleaved (re, im) pairs.
//   * Immutable after construction; one object may be shared by threads only if each call uses
//     its own `work` buffer (the member functions are const and take scratch space from the
//     caller).
//
// Usage
//   parley::asr::RealFft fft(512);
//   std::vector<double> work(fft.work_size()), power(fft.bin_count());
//   fft.power_spectrum(frame_512, work, power);   // power[k] = |X[k]|^2, k = 0..256
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace parley::asr {

class RealFft {
 public:
  // Throws parley::Error unless `size` is a power of two in [4, 65536].
  explicit RealFft(size_t size);

  size_t size() const { return size_; }
  // Number of non-redundant output bins: size()/2 + 1.
  size_t bin_count() const { return size_ / 2 + 1; }
  // Doubles of scratch space forward() and power_spectrum() need.
  size_t work_size() const { return size_ + 2; }

  // input.size() == size(), output.size() == 2 * bin_count(), work.size() >= work_size().
  // `input` and `output` may not overlap.
  void forward(std::span<const double> input, std::span<double> output) const;

  // power[k] = re(X[k])^2 + im(X[k])^2 for k < bin_count(); work.size() >= work_size().
  void power_spectrum(std::span<const double> input, std::span<double> work,
                      std::span<double> power) const;

 private:
  size_t size_ = 0;                  // N (real points)
  std::vector<size_t> bit_reverse_;  // permutation of the N/2-point complex FFT
  std::vector<double> twiddle_;      // exp(-2 pi i k / (N/2)), k < N/4, interleaved (re, im)
  std::vector<double> split_;        // exp(-2 pi i k / N), k <= N/2, interleaved (re, im)
};

}  // namespace parley::asr

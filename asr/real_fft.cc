#include "asr/real_fft.h"

#include <cassert>
#include <cmath>
#include <numbers>
#include <string>

#include "kernels/error.h"

namespace parley::asr {

RealFft::RealFft(size_t size) : size_(size) {
  if (size < 4 || size > 65536 || (size & (size - 1)) != 0) {
    throw Error("RealFft: size " + std::to_string(size) + " is not a power of two in [4, 65536]");
  }
  const size_t half = size / 2;
  int bits = 0;
  while ((size_t{1} << bits) < half) ++bits;
  bit_reverse_.resize(half);
  for (size_t i = 0; i < half; ++i) {
    size_t reversed = 0;
    for (int b = 0; b < bits; ++b) reversed |= ((i >> b) & 1) << (bits - 1 - b);
    bit_reverse_[i] = reversed;
  }
  twiddle_.resize(half);  // half/2 complex values
  for (size_t k = 0; k < half / 2; ++k) {
    const double angle =
        -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(half);
    twiddle_[2 * k] = std::cos(angle);
    twiddle_[2 * k + 1] = std::sin(angle);
  }
  split_.resize(2 * (half + 1));
  for (size_t k = 0; k <= half; ++k) {
    const double angle =
        -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(size);
    split_[2 * k] = std::cos(angle);
    split_[2 * k + 1] = std::sin(angle);
  }
}

void RealFft::forward(std::span<const double> input, std::span<double> output) const {
  assert(input.size() == size_ && output.size() == 2 * bin_count());
  const size_t half = size_ / 2;
  // Pack x[2n] + i x[2n+1] into z[n] in bit-reversed order, then run an iterative radix-2
  // decimation-in-time FFT of length N/2 in place (in `output`, which holds N/2 + 1 complex).
  double* z = output.data();
  for (size_t n = 0; n < half; ++n) {
    const size_t r = bit_reverse_[n];
    z[2 * r] = input[2 * n];
    z[2 * r + 1] = input[2 * n + 1];
  }
  for (size_t length = 2; length <= half; length *= 2) {
    const size_t stride = half / length;  // twiddle index step
    for (size_t start = 0; start < half; start += length) {
      for (size_t j = 0; j < length / 2; ++j) {
        const double wr = twiddle_[2 * j * stride];
        const double wi = twiddle_[2 * j * stride + 1];
        double* a = z + 2 * (start + j);
        double* b = z + 2 * (start + j + length / 2);
        const double tr = b[0] * wr - b[1] * wi;
        const double ti = b[0] * wi + b[1] * wr;
        b[0] = a[0] - tr;
        b[1] = a[1] - ti;
        a[0] += tr;
        a[1] += ti;
      }
    }
  }
  // Split: with E[k], O[k] the spectra of the even and odd samples,
  //   E[k] = (Z[k] + conj(Z[N/2-k])) / 2,  O[k] = (Z[k] - conj(Z[N/2-k])) / (2i),
  //   X[k] = E[k] + exp(-2 pi i k / N) O[k].
  // Pairs (k, N/2-k) are updated together so the transform stays in place.
  const double z0r = z[0], z0i = z[1];
  z[0] = z0r + z0i;  // X[0]
  z[1] = 0.0;
  z[2 * half] = z0r - z0i;  // X[N/2]
  z[2 * half + 1] = 0.0;
  for (size_t k = 1; k <= half / 2; ++k) {
    const size_t m = half - k;
    const double ar = z[2 * k], ai = z[2 * k + 1];
    const double br = z[2 * m], bi = z[2 * m + 1];
    // For index k.
    const double er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
    const double or_ = 0.5 * (ai + bi), oi = -0.5 * (ar - br);
    const double wr = split_[2 * k], wi = split_[2 * k + 1];
    const double xkr = er + (or_ * wr - oi * wi);
    const double xki = ei + (or_ * wi + oi * wr);
    // For index m: E[m] = conj(E[k]), O[m] = conj(O[k]), twiddle exp(-2 pi i m / N).
    const double vr = split_[2 * m], vi = split_[2 * m + 1];
    const double xmr = er + (or_ * vr + oi * vi);
    const double xmi = -ei + (or_ * vi - oi * vr);
    z[2 * k] = xkr;
    z[2 * k + 1] = xki;
    z[2 * m] = xmr;
    z[2 * m + 1] = xmi;
  }
}

void RealFft::power_spectrum(std::span<const double> input, std::span<double> work,
                             std::span<double> power) const {
  assert(work.size() >= work_size() && power.size() == bin_count());
  std::span<double> spectrum = work.first(2 * bin_count());
  forward(input, spectrum);
  for (size_t k = 0; k < bin_count(); ++k) {
    power[k] = spectrum[2 * k] * spectrum[2 * k] + spectrum[2 * k + 1] * spectrum[2 * k + 1];
  }
}

}  // namespace parley::asr

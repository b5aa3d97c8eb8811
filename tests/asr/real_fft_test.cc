// RealFft against a naive double-precision DFT written here, at every size the filterbank could
// use, on random and structured (impulse, constant, single tone) inputs.
#include "asr/real_fft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "kernels/error.h"

namespace parley::asr {
namespace {

std::vector<double> naive_dft(const std::vector<double>& x) {
  const size_t n = x.size();
  std::vector<double> out(2 * (n / 2 + 1));
  for (size_t k = 0; k <= n / 2; ++k) {
    double re = 0, im = 0;
    for (size_t t = 0; t < n; ++t) {
      const double angle = -2.0 * std::numbers::pi * static_cast<double>((k * t) % n) / n;
      re += x[t] * std::cos(angle);
      im += x[t] * std::sin(angle);
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

void expect_matches_dft(const std::vector<double>& x, const char* what) {
  RealFft fft(x.size());
  std::vector<double> out(2 * fft.bin_count());
  fft.forward(x, out);
  const std::vector<double> expected = naive_dft(x);
  double scale = 0;
  for (double v : x) scale += std::fabs(v);
  double max_error = 0;
  for (size_t i = 0; i < out.size(); ++i)
    max_error = std::max(max_error, std::fabs(out[i] - expected[i]));
  EXPECT_LE(max_error, 1e-13 * std::max(scale, 1.0)) << what << " size " << x.size();

  std::vector<double> work(fft.work_size()), power(fft.bin_count());
  fft.power_spectrum(x, work, power);
  for (size_t k = 0; k < fft.bin_count(); ++k) {
    const double p = expected[2 * k] * expected[2 * k] + expected[2 * k + 1] * expected[2 * k + 1];
    EXPECT_NEAR(power[k], p, 1e-12 * std::max(scale * scale, 1.0)) << what << " bin " << k;
  }
}

TEST(RealFft, MatchesNaiveDftOnRandomInput) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (size_t n : {4u, 8u, 16u, 64u, 256u, 512u, 1024u}) {
    std::vector<double> x(n);
    for (double& v : x) v = dist(rng);
    expect_matches_dft(x, "random");
  }
}

TEST(RealFft, MatchesNaiveDftOnStructuredInput) {
  const size_t n = 512;
  std::vector<double> impulse(n, 0.0);
  impulse[3] = 1.0;
  expect_matches_dft(impulse, "impulse");
  std::vector<double> constant(n, 0.25);
  expect_matches_dft(constant, "constant");
  std::vector<double> tone(n);
  for (size_t i = 0; i < n; ++i) tone[i] = std::cos(2.0 * std::numbers::pi * 37 * i / n);
  expect_matches_dft(tone, "tone");

  // A bin-centred cosine puts N/2 into bin 37 and (numerically) nothing elsewhere.
  RealFft fft(n);
  std::vector<double> out(2 * fft.bin_count());
  fft.forward(tone, out);
  EXPECT_NEAR(out[2 * 37], n / 2.0, 1e-9);
  EXPECT_NEAR(out[2 * 36], 0.0, 1e-9);
}

TEST(RealFft, RejectsSizesThatAreNotPowersOfTwo) {
  EXPECT_THROW(RealFft(0), Error);
  EXPECT_THROW(RealFft(2), Error);
  EXPECT_THROW(RealFft(400), Error);
  EXPECT_THROW(RealFft(size_t{1} << 17), Error);
  try {
    RealFft bad(400);
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("400"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace parley::asr

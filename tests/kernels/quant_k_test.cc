// Tests for the K-quants (kernels/quant_k*.cc): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K.
//
//  * hand-built blocks (d, dmin, scales and quants set by hand, following the GGUF/ggml block
//    definitions; the 6-bit scale bytes of Q4_K/Q5_K and the Q3_K scale bytes are literal
//    hand-packed bytes) dequantize to exactly the hand-computed values;
//  * quantize -> dequantize round trips of Gaussian data stay within a documented RMS error and
//    a documented maximum error relative to each sub-block's quantization step;
//  * Q8_K quantization is sign-aware like ggml's (the largest magnitude maps to -127) and its
//    bsums are the sums of each 16 quants;
//  * every scalar dot product equals the double-precision dot of the dequantized rows;
//  * every optimized dot product and Q8_K quantizer of every ISA this CPU has matches the scalar
//    reference at n = 256, 512, 7*256, 16*256, 17*256 with block pointers one byte off alignment
//    (float inputs one element off, as a float* must stay 4-byte aligned).
//
// Dot product tolerance: the integer sums of each block are exact in every implementation, so
// results differ only by float rounding of the per-block scale products and the summation; we
// allow 1e-5 * S with S = sum_i (|w_i| + 2 * max_block |w|) * |a_i| (the extra term stands in
// for the scale and min products that cancel inside w_i), far below the effect of one wrong
// quant (one quant step of one element is ~1/256 of a block's share of S).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/dtype.h"
#include "kernels/fp16.h"
#include "kernels/kernel_table.h"
#include "kernels/quant.h"
#include "kernels/quant_blocks.h"

namespace parley::kernels {
namespace {

constexpr int kK = kBlockK;

struct KType {
  DType type;
  ToFloatFn dequantize;
  FromFloatFn quantize;
  VecDotFn dot_scalar;
  // Round-trip bounds for N(0, 1) data (see RoundTrip below for where they come from).
  double max_relative_rms;  // RMS(x - y) / RMS(x)
  double max_error_steps;   // max |x - y| / (sub-block step d * scale)
};

const KType kTypes[] = {
    {DType::Q2_K, dequantize_row_q2_K, quantize_row_q2_K, vec_dot_q2_K_q8_K_scalar, 0.33, 1.25},
    {DType::Q3_K, dequantize_row_q3_K, quantize_row_q3_K, vec_dot_q3_K_q8_K_scalar, 0.18, 1.25},
    {DType::Q4_K, dequantize_row_q4_K, quantize_row_q4_K, vec_dot_q4_K_q8_K_scalar, 0.083, 1.25},
    {DType::Q5_K, dequantize_row_q5_K, quantize_row_q5_K, vec_dot_q5_K_q8_K_scalar, 0.042, 1.5},
    {DType::Q6_K, dequantize_row_q6_K, quantize_row_q6_K, vec_dot_q6_K_q8_K_scalar, 0.021, 0.75},
};

std::string name_of(DType type) {
  return std::string(dtype_name(type));
}

void PrintTo(const KType& t, std::ostream* os) {
  *os << name_of(t.type);
}

std::vector<float> gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

// Bytes whose data() is one byte past a 64-byte boundary (kernels must accept any alignment).
class MisalignedBytes {
 public:
  explicit MisalignedBytes(size_t bytes) : storage_(bytes + 65, 0) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(storage_.data());
    offset_ = static_cast<size_t>((64 - base % 64) % 64 + 1);
  }
  uint8_t* data() { return storage_.data() + offset_; }

 private:
  std::vector<uint8_t> storage_;
  size_t offset_ = 0;
};

std::vector<uint8_t> quantize(const KType& t, const std::vector<float>& x) {
  std::vector<uint8_t> q(row_bytes(t.type, static_cast<int64_t>(x.size())));
  t.quantize(x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

std::vector<float> dequantize(ToFloatFn f, const void* blocks, int64_t n) {
  std::vector<float> y(n);
  f(blocks, y.data(), n);
  return y;
}

// --- Independent readers of the sub-block scales, written from the ggml definitions ----------

// Q4_K/Q5_K get_scale_min_k4: scale and min of 32-element sub-block j from the 12 bytes.
void scale_min_k4(int j, const uint8_t* q, int* scale, int* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q3_K: biased 6-bit scale of 16-element sub-block j.
int scale_q3_K(int j, const uint8_t* q) {
  const int low = j < 8 ? q[j] & 0xf : q[j - 8] >> 4;
  const int high = (q[8 + j % 4] >> (2 * (j / 4))) & 3;
  return low | high << 4;
}

// Sub-block step d * scale (absolute) for element i of block `block` of a row.
double step_of(DType type, const uint8_t* row, int64_t i) {
  const int64_t b = i / kK;
  const int e = static_cast<int>(i % kK);
  switch (type) {
    case DType::Q2_K: {
      const auto* blk = reinterpret_cast<const BlockQ2_K*>(row) + b;
      return fp16_to_fp32(blk->d) * (blk->scales[e / 16] & 0xf);
    }
    case DType::Q3_K: {
      const auto* blk = reinterpret_cast<const BlockQ3_K*>(row) + b;
      return std::fabs(fp16_to_fp32(blk->d) * (scale_q3_K(e / 16, blk->scales) - 32));
    }
    case DType::Q4_K:
    case DType::Q5_K: {
      const uint8_t* scales = type == DType::Q4_K
                                  ? (reinterpret_cast<const BlockQ4_K*>(row) + b)->scales
                                  : (reinterpret_cast<const BlockQ5_K*>(row) + b)->scales;
      const uint16_t d = type == DType::Q4_K ? (reinterpret_cast<const BlockQ4_K*>(row) + b)->d
                                             : (reinterpret_cast<const BlockQ5_K*>(row) + b)->d;
      int scale, min;
      scale_min_k4(e / 32, scales, &scale, &min);
      return fp16_to_fp32(d) * scale;
    }
    case DType::Q6_K: {
      const auto* blk = reinterpret_cast<const BlockQ6_K*>(row) + b;
      return std::fabs(fp16_to_fp32(blk->d) * blk->scales[e / 16]);
    }
    default:
      return 0.0;
  }
}

// --- Hand-built blocks -----------------------------------------------------------------------

constexpr uint16_t kHalfOne = 0x3c00;      // 1.0
constexpr uint16_t kHalfHalf = 0x3800;     // 0.5
constexpr uint16_t kHalfQuarter = 0x3400;  // 0.25

// Hand-packed Q4_K/Q5_K scale bytes for scales {1, 18, 35, 52, 63, 37, 22, 7} and mins
// {5, 62, 32, 0, 27, 48, 12, 58}: bytes 0-3 = scale j | (top 2 bits of scale j+4) << 6,
// bytes 4-7 = min j | (top 2 bits of min j+4) << 6, bytes 8-11 = low 4 bits of scale j+4 |
// low 4 bits of min j+4 << 4.
constexpr uint8_t kScalesK4[12] = {0xC1, 0x92, 0x63, 0x34, 0x45, 0xFE,
                                   0x20, 0xC0, 0xBF, 0x05, 0xC6, 0xA7};
constexpr int kScalesK4Values[8] = {1, 18, 35, 52, 63, 37, 22, 7};
constexpr int kMinsK4Values[8] = {5, 62, 32, 0, 27, 48, 12, 58};

TEST(QuantKHandBuilt, ScaleReadersAgreeWithHandPackedBytes) {
  for (int j = 0; j < 8; ++j) {
    int scale, min;
    scale_min_k4(j, kScalesK4, &scale, &min);
    EXPECT_EQ(scale, kScalesK4Values[j]) << j;
    EXPECT_EQ(min, kMinsK4Values[j]) << j;
  }
}

TEST(QuantKHandBuilt, Q2_K) {
  BlockQ2_K block{};
  block.d = kHalfHalf;
  block.dmin = kHalfQuarter;
  int q[kK];
  for (int k = 0; k < 16; ++k)
    block.scales[k] = static_cast<uint8_t>((k * 7 + 1) % 16 | (15 - k) << 4);
  for (int i = 0; i < kK; ++i) {
    q[i] = (i * 5 + i / 16) % 4;
    // element 128h + 32g + l -> bits 2g of qs[32h + l]
    block.qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>(q[i] << (2 * ((i % 128) / 32)));
  }
  const std::vector<float> y = dequantize(dequantize_row_q2_K, &block, kK);
  for (int i = 0; i < kK; ++i) {
    const int scale = (i / 16 * 7 + 1) % 16, min = 15 - i / 16;
    EXPECT_EQ(y[i], 0.5f * scale * q[i] - 0.25f * min) << i;
  }
}

TEST(QuantKHandBuilt, Q3_K) {
  // Biased scales {0, 63, 32, 31, 1, 47, 16, 48, 5, 60, 33, 2, 15, 40, 62, 17}: bytes 0-7 hold
  // the low nibbles of scales j (bits 0-3) and j + 8 (bits 4-7); byte 8 + m holds the top two
  // bits of scale m + 4k at bits 2k.
  constexpr uint8_t kBytes[12] = {0x50, 0xCF, 0x10, 0x2F, 0xF1, 0x8F,
                                  0xE0, 0x10, 0x00, 0xBB, 0xE6, 0x4D};
  constexpr int kBiased[16] = {0, 63, 32, 31, 1, 47, 16, 48, 5, 60, 33, 2, 15, 40, 62, 17};
  for (int j = 0; j < 16; ++j) EXPECT_EQ(scale_q3_K(j, kBytes), kBiased[j]) << j;

  BlockQ3_K block{};
  block.d = kHalfQuarter;
  std::memcpy(block.scales, kBytes, sizeof kBytes);
  int v[kK];
  for (int i = 0; i < kK; ++i) {
    v[i] = (i * 5 + i / 32) % 8 - 4;  // -4..3, stored as low 2 bits + "high bit set = no -4"
    const int stored = v[i] + 4;
    const int group = (i % 128) / 32;
    block.qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>((stored & 3) << (2 * group));
    if (stored & 4) block.hmask[i % 32] |= static_cast<uint8_t>(1 << (i / 32));
  }
  const std::vector<float> y = dequantize(dequantize_row_q3_K, &block, kK);
  for (int i = 0; i < kK; ++i) EXPECT_EQ(y[i], 0.25f * (kBiased[i / 16] - 32) * v[i]) << i;
}

template <typename Block>
void fill_q4_q5(Block& block, int* q, int nmax) {
  block.d = kHalfOne;
  block.dmin = kHalfHalf;
  std::memcpy(block.scales, kScalesK4, sizeof kScalesK4);
  for (int i = 0; i < kK; ++i) {
    q[i] = (i * 7 + 3 + i / 32) % (nmax + 1);
    // element 32s + l: low nibble of qs[32(s/2) + l] for even s, high nibble for odd s
    const int sub = i / 32, l = i % 32;
    block.qs[32 * (sub / 2) + l] |= static_cast<uint8_t>((q[i] & 0xf) << (sub % 2 ? 4 : 0));
  }
}

TEST(QuantKHandBuilt, Q4_K) {
  BlockQ4_K block{};
  int q[kK];
  fill_q4_q5(block, q, 15);
  const std::vector<float> y = dequantize(dequantize_row_q4_K, &block, kK);
  for (int i = 0; i < kK; ++i) {
    EXPECT_EQ(y[i], 1.0f * kScalesK4Values[i / 32] * q[i] - 0.5f * kMinsK4Values[i / 32]) << i;
  }
}

TEST(QuantKHandBuilt, Q5_K) {
  BlockQ5_K block{};
  int q[kK];
  fill_q4_q5(block, q, 31);
  for (int i = 0; i < kK; ++i) {  // fifth bit of element 32s + l: bit s of qh[l]
    if (q[i] & 16) block.qh[i % 32] |= static_cast<uint8_t>(1 << (i / 32));
  }
  const std::vector<float> y = dequantize(dequantize_row_q5_K, &block, kK);
  for (int i = 0; i < kK; ++i) {
    EXPECT_EQ(y[i], 1.0f * kScalesK4Values[i / 32] * q[i] - 0.5f * kMinsK4Values[i / 32]) << i;
  }
}

TEST(QuantKHandBuilt, Q6_K) {
  BlockQ6_K block{};
  block.d = kHalfQuarter;
  constexpr int8_t kScales[16] = {-128, 127, -1, 0, 5, -77, 64, 3, 1, -2, 100, -100, 33, 9, -9, 2};
  std::memcpy(block.scales, kScales, sizeof kScales);
  int v[kK];
  for (int i = 0; i < kK; ++i) {
    const int stored = (i * 13 + 7 + i / 64) % 64;  // v + 32
    v[i] = stored - 32;
    // element 128h + 32g + l: low nibble in ql[64h + 32(g%2) + l] (g < 2: bits 0-3, else 4-7),
    // top two bits at 2g of qh[32h + l].
    const int h = i / 128, g = (i % 128) / 32, l = i % 32;
    block.ql[64 * h + 32 * (g % 2) + l] |= static_cast<uint8_t>((stored & 0xf) << (g < 2 ? 0 : 4));
    block.qh[32 * h + l] |= static_cast<uint8_t>((stored >> 4) << (2 * g));
  }
  const std::vector<float> y = dequantize(dequantize_row_q6_K, &block, kK);
  for (int i = 0; i < kK; ++i) EXPECT_EQ(y[i], 0.25f * kScales[i / 16] * v[i]) << i;
}

TEST(QuantKHandBuilt, Q8_K) {
  BlockQ8_K block{};
  block.d = -0.125f;
  for (int i = 0; i < kK; ++i) block.qs[i] = static_cast<int8_t>(i - 128 < -127 ? -127 : i - 128);
  const std::vector<float> y = dequantize(dequantize_row_q8_K, &block, kK);
  for (int i = 0; i < kK; ++i) EXPECT_EQ(y[i], -0.125f * block.qs[i]) << i;
}

// --- Q8_K quantization -------------------------------------------------------------------------

const BlockQ8_K& as_q8_K(const std::vector<uint8_t>& bytes, int64_t block) {
  return reinterpret_cast<const BlockQ8_K*>(bytes.data())[block];
}

void expect_bsums_are_group_sums(const BlockQ8_K& block) {
  for (int k = 0; k < 16; ++k) {
    int sum = 0;
    for (int l = 0; l < 16; ++l) sum += block.qs[16 * k + l];
    EXPECT_EQ(block.bsums[k], sum) << "group " << k;
  }
}

TEST(QuantKQ8K, SignAwareScaleAndBsums) {
  std::vector<float> x = gaussian(2 * kK, 7);
  x[37] = 10.0f;         // block 0: largest magnitude positive -> quant -127, d < 0
  x[kK + 200] = -10.0f;  // block 1: largest magnitude negative -> quant -127, d > 0
  std::vector<uint8_t> q(row_bytes(DType::Q8_K, 2 * kK));
  quantize_row_q8_K(x.data(), q.data(), 2 * kK);
  EXPECT_FLOAT_EQ(as_q8_K(q, 0).d, -10.0f / 127.0f);
  EXPECT_EQ(as_q8_K(q, 0).qs[37], -127);
  EXPECT_FLOAT_EQ(as_q8_K(q, 1).d, 10.0f / 127.0f);
  EXPECT_EQ(as_q8_K(q, 1).qs[200], -127);
  for (int b = 0; b < 2; ++b) {
    const BlockQ8_K& block = as_q8_K(q, b);
    expect_bsums_are_group_sums(block);
    for (int i = 0; i < kK; ++i) {
      EXPECT_NEAR(block.d * block.qs[i], x[b * kK + i], std::fabs(block.d) * 0.5f + 1e-7f);
    }
  }
}

TEST(QuantKQ8K, OppositeSignOfMaxClampsTo127AndZeroBlockIsZero) {
  std::vector<float> x(2 * kK, 0.0f);
  x[3] = 1.0f;   // largest magnitude, first: maps to -127
  x[9] = -1.0f;  // same magnitude, opposite sign, later: +127
  std::vector<uint8_t> q(row_bytes(DType::Q8_K, 2 * kK), 0xAB);
  quantize_row_q8_K(x.data(), q.data(), 2 * kK);
  EXPECT_EQ(as_q8_K(q, 0).qs[3], -127);
  EXPECT_EQ(as_q8_K(q, 0).qs[9], 127);
  EXPECT_EQ(as_q8_K(q, 1).d, 0.0f);
  for (int i = 0; i < kK; ++i) EXPECT_EQ(as_q8_K(q, 1).qs[i], 0);
  for (int k = 0; k < 16; ++k) EXPECT_EQ(as_q8_K(q, 1).bsums[k], 0);
}

// --- Round trips -------------------------------------------------------------------------------

class QuantKTypeTest : public ::testing::TestWithParam<KType> {};

// Bounds, for N(0, 1) data in 64 super-blocks (deterministic seed). A uniform quantizer with
// step D has RMS error D / sqrt(12). A sub-block of 16 (32) Gaussian values spans about 3.5
// (4.1) sigma, covered by 2^bits - 1 steps (for the symmetric Q3_K/Q6_K, 2^bits steps over
// twice the largest magnitude); the weighted least-squares fit trims the range a little, so
// e.g. Q4_K expects about 4.1 / 15 / sqrt(12) = 0.079. Measured relative RMS of our quantizers:
// Q2_K 0.288, Q3_K 0.154, Q4_K 0.072, Q5_K 0.036, Q6_K 0.018; each bound allows ~15%.
// The maximum error is half a step for values inside the grid. Values that the fit clips (an
// outlier traded for a finer grid) or that fall just outside the grid once the sub-block scale
// is rounded to 4/6/8 bits can be further off; measured worst cases in steps: Q2_K 0.86,
// Q3_K 0.73, Q4_K 0.81, Q5_K 1.09, Q6_K 0.50 (its 8-bit scales are fine enough not to clip).
TEST_P(QuantKTypeTest, RoundTripGaussian) {
  const KType& t = GetParam();
  const int64_t n = 64 * kK;
  const std::vector<float> x = gaussian(n, 1234);
  const std::vector<uint8_t> q = quantize(t, x);
  const std::vector<float> y = dequantize(t.dequantize, q.data(), n);
  double err2 = 0.0, x2 = 0.0, worst_steps = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::fabs(static_cast<double>(x[i]) - y[i]);
    err2 += e * e;
    x2 += static_cast<double>(x[i]) * x[i];
    const double step = step_of(t.type, q.data(), i);
    worst_steps = std::max(worst_steps, step > 0.0 ? e / step : (e > 0.0 ? 1e9 : 0.0));
  }
  const double relative_rms = std::sqrt(err2 / x2);
  std::printf("%s: relative RMS %.4f, max error %.3f steps\n", name_of(t.type).c_str(),
              relative_rms, worst_steps);  // the figures quoted above
  EXPECT_LE(relative_rms, t.max_relative_rms);
  EXPECT_LE(worst_steps, t.max_error_steps);
}

TEST_P(QuantKTypeTest, ZerosAndConstantsRoundTrip) {
  const KType& t = GetParam();
  std::vector<float> x(2 * kK, 0.0f);
  std::fill(x.begin() + kK, x.end(), -0.75f);  // constant block: representable up to d rounding
  const std::vector<uint8_t> q = quantize(t, x);
  const std::vector<float> y = dequantize(t.dequantize, q.data(), 2 * kK);
  for (int i = 0; i < kK; ++i) EXPECT_EQ(y[i], 0.0f) << i;
  for (int i = kK; i < 2 * kK; ++i) EXPECT_NEAR(y[i], -0.75f, 0.75f * 2e-3f) << i;
}

// Dequantized weights and activations, and S = sum |w_i| * |a_i| for the tolerance.
double dot_of_dequantized(const KType& t, const void* w, const void* a, int64_t n,
                          double* magnitude) {
  const std::vector<float> wf = dequantize(t.dequantize, w, n);
  const std::vector<float> af = dequantize(dequantize_row_q8_K, a, n);
  double dot = 0.0;
  *magnitude = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    dot += static_cast<double>(wf[i]) * af[i];
    *magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
  }
  return dot;
}

// 1e-5 * S, S as in the file comment.
double tolerance_for(const KType& t, const void* w, const void* a, int64_t n) {
  const std::vector<float> wf = dequantize(t.dequantize, w, n);
  const std::vector<float> af = dequantize(dequantize_row_q8_K, a, n);
  double magnitude = 0.0;
  for (int64_t b = 0; b < n / kK; ++b) {
    double wmax = 0.0;
    for (int i = 0; i < kK; ++i) wmax = std::max(wmax, std::fabs(double{wf[b * kK + i]}));
    for (int i = 0; i < kK; ++i) {
      magnitude += (std::fabs(wf[b * kK + i]) + 2.0 * wmax) * std::fabs(af[b * kK + i]);
    }
  }
  return 1e-5 * magnitude + 1e-12;
}

TEST_P(QuantKTypeTest, ScalarDotMatchesDequantizedDot) {
  const KType& t = GetParam();
  for (int64_t n : {kK, 7 * kK, 17 * kK}) {
    const std::vector<float> wx = gaussian(n, 11 + static_cast<uint32_t>(n), 0.02f);
    const std::vector<float> ax = gaussian(n, 12 + static_cast<uint32_t>(n), 3.0f);
    const std::vector<uint8_t> w = quantize(t, wx);
    std::vector<uint8_t> a(row_bytes(DType::Q8_K, n));
    quantize_row_q8_K(ax.data(), a.data(), n);
    double magnitude;
    const double expected = dot_of_dequantized(t, w.data(), a.data(), n, &magnitude);
    EXPECT_NEAR(t.dot_scalar(n, w.data(), a.data()), expected,
                tolerance_for(t, w.data(), a.data(), n))
        << name_of(t.type) << " n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(KTypes, QuantKTypeTest, ::testing::ValuesIn(kTypes),
                         [](const auto& info) { return name_of(info.param.type); });

// --- Optimized kernels vs the scalar reference -------------------------------------------------

struct IsaType {
  Isa isa;
  KType type;
};

std::vector<IsaType> isa_types() {
  std::vector<IsaType> all;
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    for (const KType& t : kTypes) all.push_back({isa, t});
  }
  return all;
}

void PrintTo(const IsaType& p, std::ostream* os) {
  *os << isa_name(p.isa) << " " << name_of(p.type.type);
}

class QuantKIsaTest : public ::testing::TestWithParam<IsaType> {
 protected:
  void SetUp() override {
    table_ = kernels_for(GetParam().isa);
    if (table_ == nullptr) {
      GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam().isa);
    }
  }
  const KernelTable* table_ = nullptr;
};

// Random bytes in every field make a valid block of any K type (all bits are meaningful); the
// scales d/dmin are replaced by sane halves so the dot stays finite.
std::vector<uint8_t> random_blocks(DType type, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(row_bytes(type, n));
  for (uint8_t& v : bytes) v = static_cast<uint8_t>(rng());
  const int64_t block_bytes = dtype_traits(type).block_bytes;
  for (int64_t b = 0; b < n / kK; ++b) {
    uint8_t* block = bytes.data() + b * block_bytes;
    const uint16_t d = fp32_to_fp16(std::ldexp(1.0f + (rng() % 64) / 64.0f, -8));
    const uint16_t dmin = fp32_to_fp16(std::ldexp(1.0f + (rng() % 64) / 64.0f, -9));
    switch (type) {  // d (and dmin) offsets from quant_blocks.h
      case DType::Q2_K:
        std::memcpy(block + offsetof(BlockQ2_K, d), &d, 2);
        std::memcpy(block + offsetof(BlockQ2_K, dmin), &dmin, 2);
        break;
      case DType::Q3_K:
        std::memcpy(block + offsetof(BlockQ3_K, d), &d, 2);
        break;
      case DType::Q4_K:
      case DType::Q5_K:
        std::memcpy(block, &d, 2);
        std::memcpy(block + 2, &dmin, 2);
        break;
      case DType::Q6_K:
        std::memcpy(block + offsetof(BlockQ6_K, d), &d, 2);
        break;
      default:
        break;
    }
  }
  return bytes;
}

void check_against_scalar(const KernelTable& table, const KType& t, const std::vector<uint8_t>& w,
                          const std::vector<uint8_t>& a, int64_t n) {
  MisalignedBytes w_off(w.size()), a_off(a.size());
  std::memcpy(w_off.data(), w.data(), w.size());
  std::memcpy(a_off.data(), a.data(), a.size());
  const VecDotFn dot = table.vec_dot[static_cast<int>(t.type)];
  ASSERT_NE(dot, nullptr);
  const float expected = t.dot_scalar(n, w.data(), a.data());
  const float got = dot(n, w_off.data(), a_off.data());
  EXPECT_NEAR(got, expected, tolerance_for(t, w.data(), a.data(), n))
      << name_of(t.type) << " on " << isa_name(table.isa) << " n=" << n;
}

TEST_P(QuantKIsaTest, DotMatchesScalarOnQuantizedGaussian) {
  const KType& t = GetParam().type;
  for (int64_t n : {kK, 2 * kK, 7 * kK, 16 * kK, 17 * kK}) {
    const std::vector<uint8_t> w = quantize(t, gaussian(n, 21 + static_cast<uint32_t>(n)));
    std::vector<uint8_t> a(row_bytes(DType::Q8_K, n));
    quantize_row_q8_K(gaussian(n, 22 + static_cast<uint32_t>(n), 5.0f).data(), a.data(), n);
    check_against_scalar(*table_, t, w, a, n);
  }
}

TEST_P(QuantKIsaTest, DotMatchesScalarOnRandomBits) {
  const KType& t = GetParam().type;
  for (int64_t n : {kK, 2 * kK, 7 * kK, 16 * kK, 17 * kK}) {
    const std::vector<uint8_t> w = random_blocks(t.type, n, 31 + static_cast<uint32_t>(n));
    std::vector<uint8_t> a(row_bytes(DType::Q8_K, n));
    std::vector<float> ax = gaussian(n, 32 + static_cast<uint32_t>(n));
    ax[5] = 100.0f;  // full-scale quants (+-127) in the first block
    quantize_row_q8_K(ax.data(), a.data(), n);
    check_against_scalar(*table_, t, w, a, n);
  }
}

INSTANTIATE_TEST_SUITE_P(IsaKTypes, QuantKIsaTest, ::testing::ValuesIn(isa_types()),
                         [](const auto& info) {
                           return std::string(isa_name(info.param.isa)) + "_" +
                                  name_of(info.param.type.type);
                         });

struct IsaParam {
  Isa isa;
};
void PrintTo(const IsaParam& p, std::ostream* os) {
  *os << isa_name(p.isa);
}

class QuantKIsaQ8KTest : public ::testing::TestWithParam<IsaParam> {};

TEST_P(QuantKIsaQ8KTest, QuantizeQ8KBitIdenticalToScalar) {
  const KernelTable* table = kernels_for(GetParam().isa);
  if (table == nullptr) GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam().isa);
  const FromFloatFn quantize_q8 = table->quantize_row[static_cast<int>(DType::Q8_K)];
  ASSERT_NE(quantize_q8, nullptr);
  for (int64_t n : {kK, 2 * kK, 7 * kK, 16 * kK, 17 * kK}) {
    std::vector<float> x = gaussian(n, 41 + static_cast<uint32_t>(n), 2.0f);
    if (n >= 3 * kK) {
      std::fill(x.begin() + kK, x.begin() + 2 * kK, 0.0f);  // zero block
      x[2 * kK + 10] = -9.0f;                               // tie: -9 first, then +9
      x[2 * kK + 20] = 9.0f;
    }
    if (n >= 7 * kK) {  // scale not representable: both give an all-zero block
      std::fill(x.begin() + 3 * kK, x.begin() + 4 * kK, 1e-39f);  // 127 / max overflows
      x[4 * kK + 100] = -std::numeric_limits<float>::infinity();
    }
    const size_t bytes = row_bytes(DType::Q8_K, n);
    std::vector<uint8_t> expected(bytes);
    quantize_row_q8_K(x.data(), expected.data(), n);
    if (n >= 7 * kK) {
      EXPECT_EQ(as_q8_K(expected, 3).d, 0.0f);
      EXPECT_EQ(as_q8_K(expected, 4).d, 0.0f);
      EXPECT_EQ(as_q8_K(expected, 4).qs[0], 0);
    }
    // Floats one element past a 64-byte boundary (a float* itself must be 4-byte aligned);
    // the output blocks one byte off.
    std::vector<float> src(n + 16 + 1);
    float* src_off = src.data() + (16 - reinterpret_cast<uintptr_t>(src.data()) / 4 % 16) + 1;
    std::copy(x.begin(), x.end(), src_off);
    MisalignedBytes dst(bytes);
    quantize_q8(src_off, dst.data(), n);
    EXPECT_EQ(std::memcmp(dst.data(), expected.data(), bytes), 0)
        << isa_name(table->isa) << " n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, QuantKIsaQ8KTest,
                         ::testing::Values(IsaParam{Isa::Avx2}, IsaParam{Isa::Avx512}),
                         [](const auto& info) { return std::string(isa_name(info.param.isa)); });

}  // namespace
}  // namespace parley::kernels

// Tests for the legacy 32-element blocks (kernels/quant_legacy*.cc): Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.
//
//  * hand-built blocks dequantize to hand-computed values, and hand-picked inputs quantize to
//    hand-computed bytes (the independent reference: the GGUF block definitions);
//  * quantize -> dequantize round trips stay within half a quantization step (plus the rounding
//    of the half-precision scale) of the input;
//  * every scalar dot product equals the double-precision dot of the dequantized rows;
//  * every optimized kernel of every ISA this CPU has matches the scalar reference at odd sizes
//    and misaligned pointers, and the optimized Q8_0 quantizer is bit-identical to the scalar one.
//
// Error bounds for dot products: the integer block sums are exact in every implementation, so
// results differ only by float rounding of the per-block scale products and of the summation.
// Each is within a few float ulps of the true value relative to S = sum |w_i * a_i|; we allow
// 1e-5 * S (about 170 ulps), far below any real bug (a wrong quant changes the result by at
// least d_w * d_a, which is ~1/(32 * 127 * 15) of S for typical data).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/dtype.h"
#include "kernels/fp16.h"
#include "kernels/kernel_table.h"
#include "kernels/quant.h"
#include "kernels/quant_blocks.h"
#include "kernels/storage.h"

namespace parley::kernels {
namespace {

constexpr int kB = kBlockLegacy;

struct LegacyType {
  DType type;
  ToFloatFn dequantize;
  FromFloatFn quantize;
  VecDotFn dot_scalar;
  bool has_min;   // Q4_1 / Q5_1: half minimum at byte offset 2
  int max_quant;  // largest |quant| the dequantizer multiplies d by (8, 15, 16, 31, 127)
};

const LegacyType kTypes[] = {
    {DType::Q4_0, dequantize_row_q4_0, quantize_row_q4_0, vec_dot_q4_0_q8_0_scalar, false, 8},
    {DType::Q4_1, dequantize_row_q4_1, quantize_row_q4_1, vec_dot_q4_1_q8_0_scalar, true, 15},
    {DType::Q5_0, dequantize_row_q5_0, quantize_row_q5_0, vec_dot_q5_0_q8_0_scalar, false, 16},
    {DType::Q5_1, dequantize_row_q5_1, quantize_row_q5_1, vec_dot_q5_1_q8_0_scalar, true, 31},
    {DType::Q8_0, dequantize_row_q8_0, quantize_row_q8_0, vec_dot_q8_0_q8_0_scalar, false, 127},
};

std::string name_of(DType type) {
  return std::string(dtype_name(type));
}

int64_t bytes_for(DType type, int64_t n) {
  return row_bytes(type, n);
}

// A buffer whose data() is deliberately one byte past a 64-byte boundary.
class MisalignedBuffer {
 public:
  explicit MisalignedBuffer(int64_t bytes) : storage_(static_cast<size_t>(bytes) + 1) {}
  uint8_t* data() { return storage_.data() + 1; }

 private:
  AlignedBuffer storage_;
};

std::vector<float> random_floats(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng);
  // Make some blocks unusual: all zero, constant, one outlier, offset far from zero.
  for (int64_t b = 0; b < n / kB; ++b) {
    float* block = x.data() + b * kB;
    switch (b % 7) {
      case 3:
        for (int j = 0; j < kB; ++j) block[j] = 0.0f;
        break;
      case 4:
        for (int j = 0; j < kB; ++j) block[j] = 0.75f * scale;
        break;
      case 5:
        block[b % kB] = 40.0f * scale;
        break;
      case 6:
        for (int j = 0; j < kB; ++j) block[j] += 3.0f * scale;
        break;
      default:
        break;
    }
  }
  return x;
}

float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return fp16_to_fp32(h);
}

void put_half(uint8_t* p, float value) {
  const uint16_t h = fp32_to_fp16(value);
  std::memcpy(p, &h, sizeof h);
}

// Weight blocks with every quant bit pattern possible (random bytes), but finite scales.
void fill_random_weights(const LegacyType& t, int64_t n, uint32_t seed, uint8_t* dst) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
  const int64_t block_bytes = dtype_traits(t.type).block_bytes;
  for (int64_t i = 0; i < bytes_for(t.type, n); ++i) dst[i] = static_cast<uint8_t>(byte(rng));
  for (int64_t b = 0; b < n / kB; ++b) {
    put_half(dst + b * block_bytes, scale(rng));
    if (t.has_min) put_half(dst + b * block_bytes + 2, scale(rng) * 8.0f);
  }
}

std::vector<float> dequantized(DType type, const void* src, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  dtype_traits(type).to_float(src, out.data(), n);
  return out;
}

struct ExactDot {
  double value = 0.0;
  double sum_abs_terms = 0.0;  // S in the file comment
};

ExactDot exact_dot(const std::vector<float>& w, const std::vector<float>& a) {
  ExactDot r;
  for (size_t i = 0; i < w.size(); ++i) {
    const double term = static_cast<double>(w[i]) * static_cast<double>(a[i]);
    r.value += term;
    r.sum_abs_terms += std::fabs(term);
  }
  return r;
}

double dot_tolerance(const ExactDot& exact) {
  return 1e-5 * exact.sum_abs_terms + 1e-30;
}

// ---------------------------------------------------------------------------------------------
// Hand-built blocks
// ---------------------------------------------------------------------------------------------

TEST(QuantLegacy, DequantizeHandBuiltQ4_0) {
  BlockQ4_0 block;
  block.d = 0x3800;  // 0.5
  for (int j = 0; j < 16; ++j) block.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  float out[kB];
  dequantize_row_q4_0(&block, out, kB);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], (j - 8) * 0.5f) << j;
    EXPECT_EQ(out[j + 16], (7 - j) * 0.5f) << j;
  }
}

TEST(QuantLegacy, DequantizeHandBuiltQ4_1) {
  BlockQ4_1 block;
  block.d = 0x3C00;  // 1.0
  block.m = 0xC000;  // -2.0
  for (int j = 0; j < 16; ++j) block.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  float out[kB];
  dequantize_row_q4_1(&block, out, kB);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], static_cast<float>(j - 2)) << j;
    EXPECT_EQ(out[j + 16], static_cast<float>(13 - j)) << j;
  }
}

TEST(QuantLegacy, DequantizeHandBuiltQ5) {
  // qh = 0xAAAA5555: bits 0,2,..,14 and 17,19,..,31 set. Element j < 16 has nibble j, element
  // j + 16 has nibble 15 - j.
  BlockQ5_0 b0;
  BlockQ5_1 b1;
  b0.d = 0x3C00;  // 1.0
  b1.d = 0x4000;  // 2.0
  b1.m = 0xBC00;  // -1.0
  const uint8_t qh[4] = {0x55, 0x55, 0xAA, 0xAA};
  std::memcpy(b0.qh, qh, 4);
  std::memcpy(b1.qh, qh, 4);
  for (int j = 0; j < 16; ++j) {
    b0.qs[j] = b1.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  }
  float out0[kB], out1[kB];
  dequantize_row_q5_0(&b0, out0, kB);
  dequantize_row_q5_1(&b1, out1, kB);
  // Spot values computed by hand: element 0 = 0|16, 1 = 1, 16 = 15, 17 = 14|16, 31 = 0|16.
  EXPECT_EQ(out0[0], 0.0f);
  EXPECT_EQ(out0[1], -15.0f);
  EXPECT_EQ(out0[16], -1.0f);
  EXPECT_EQ(out0[17], 14.0f);
  EXPECT_EQ(out0[31], 0.0f);
  EXPECT_EQ(out1[0], 31.0f);   // 16 * 2 - 1
  EXPECT_EQ(out1[1], 1.0f);    // 1 * 2 - 1
  EXPECT_EQ(out1[16], 29.0f);  // 15 * 2 - 1
  EXPECT_EQ(out1[17], 59.0f);  // 30 * 2 - 1
  for (int j = 0; j < 16; ++j) {
    const int lo = j + (j % 2 == 0 ? 16 : 0);
    const int hi = (15 - j) + (j % 2 == 1 ? 16 : 0);
    EXPECT_EQ(out0[j], static_cast<float>(lo - 16)) << j;
    EXPECT_EQ(out0[j + 16], static_cast<float>(hi - 16)) << j;
    EXPECT_EQ(out1[j], static_cast<float>(lo * 2 - 1)) << j;
    EXPECT_EQ(out1[j + 16], static_cast<float>(hi * 2 - 1)) << j;
  }
}

TEST(QuantLegacy, DequantizeHandBuiltQ8_0) {
  BlockQ8_0 block;
  block.d = 0x3400;  // 0.25
  for (int j = 0; j < kB; ++j) block.qs[j] = static_cast<int8_t>(j * 8 - 128);
  float out[kB];
  dequantize_row_q8_0(&block, out, kB);
  for (int j = 0; j < kB; ++j) EXPECT_EQ(out[j], (j * 8 - 128) * 0.25f) << j;
}

// Inputs whose extreme gives d = +-1 exactly, so each quant is a rounding decided by hand.
TEST(QuantLegacy, QuantizeHandPickedQ8_0AllIsas) {
  float x[kB] = {};
  x[0] = 127.0f;   // -> d = 1
  x[1] = 2.5f;     // roundf: 3 (half away from zero, not to even)
  x[2] = -2.5f;    // -3
  x[3] = 0.49f;    // 0
  x[4] = -126.5f;  // -127
  x[5] = 3.5f;     // 4
  x[6] = 1.5f;     // 2
  x[7] = -0.5f;    // -1
  const int8_t expect[8] = {127, 3, -3, 0, -127, 4, 2, -1};
  for (int i = 0; i < kIsaCount; ++i) {
    const KernelTable* table = kernels_for(static_cast<Isa>(i));
    if (table == nullptr) continue;
    BlockQ8_0 block;
    std::memset(&block, 0xCD, sizeof block);
    table->quantize_row[static_cast<int>(DType::Q8_0)](x, &block, kB);
    SCOPED_TRACE(std::string(isa_name(static_cast<Isa>(i))));
    EXPECT_EQ(block.d, 0x3C00);
    for (int j = 0; j < 8; ++j) EXPECT_EQ(block.qs[j], expect[j]) << j;
    for (int j = 8; j < kB; ++j) EXPECT_EQ(block.qs[j], 0) << j;
  }
}

TEST(QuantLegacy, QuantizeHandPickedQ4_0AndQ5_0) {
  float x[kB] = {};
  // Q4_0: extreme -8 -> d = -8 / -8 = 1; q = min(15, trunc(x + 8.5)).
  x[0] = -8.0f;   // 0
  x[1] = 7.0f;    // 15
  x[2] = 7.6f;    // 16 -> clamped to 15
  x[3] = -0.5f;   // 8
  x[4] = 0.5f;    // 9
  x[5] = -3.2f;   // 5
  x[16] = 1.0f;   // 9 (high nibble of byte 0)
  x[17] = -7.4f;  // 1
  BlockQ4_0 q4;
  quantize_row_q4_0(x, &q4, kB);
  EXPECT_EQ(q4.d, 0x3C00);
  EXPECT_EQ(q4.qs[0], 0x90);
  EXPECT_EQ(q4.qs[1], 0x1F);
  EXPECT_EQ(q4.qs[2], 0x8F);
  EXPECT_EQ(q4.qs[3], 0x88);
  EXPECT_EQ(q4.qs[4], 0x89);
  EXPECT_EQ(q4.qs[5], 0x85);
  for (int j = 6; j < 16; ++j) EXPECT_EQ(q4.qs[j], 0x88) << j;

  // Positive extreme: d = 8 / -8 = -1, so 8 -> 0 and -7 -> 15.
  float y[kB] = {};
  y[0] = 8.0f;
  y[1] = -7.0f;
  quantize_row_q4_0(y, &q4, kB);
  EXPECT_EQ(q4.d, 0xBC00);
  EXPECT_EQ(q4.qs[0], 0x80);
  EXPECT_EQ(q4.qs[1], 0x8F);

  // Q5_0: extreme -16 -> d = 1; q = min(31, trunc(x + 16.5)).
  float z[kB] = {};
  z[0] = -16.0f;  // 0
  z[1] = 15.0f;   // 31
  z[2] = 16.0f;   // 32 -> 31
  z[16] = 0.0f;   // 16: nibble 0, high bit set
  z[17] = -1.0f;  // 15: nibble 15, high bit clear
  BlockQ5_0 q5;
  quantize_row_q5_0(z, &q5, kB);
  EXPECT_EQ(q5.d, 0x3C00);
  EXPECT_EQ(q5.qs[0], 0x00);  // 0 | (16 & 15) << 4
  EXPECT_EQ(q5.qs[1], 0xFF);  // 31 & 15 | (15 << 4)
  EXPECT_EQ(q5.qs[2], 0x0F);
  uint32_t high;
  std::memcpy(&high, q5.qh, 4);
  // Bits: element 1, 2 (31 has bit 4), elements 3..15 (16), element 16 (16), not 17, 18..31.
  EXPECT_EQ(high, 0xFFFDFFFEu);
}

TEST(QuantLegacy, QuantizeHandPickedQ4_1AndQ5_1) {
  float x[kB];
  for (int j = 0; j < kB; ++j) x[j] = static_cast<float>(j % 16);  // min 0, max 15 -> d = 1
  x[5] = 4.5f;                                                     // trunc(4.5 + 0.5) = 5
  BlockQ4_1 q4;
  quantize_row_q4_1(x, &q4, kB);
  EXPECT_EQ(q4.d, 0x3C00);
  EXPECT_EQ(q4.m, 0x0000);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(q4.qs[j], static_cast<uint8_t>(j | j << 4)) << j;

  float y[kB];
  for (int j = 0; j < kB; ++j) y[j] = static_cast<float>(j - 1);  // min -1, max 30 -> d = 1
  BlockQ5_1 q5;
  quantize_row_q5_1(y, &q5, kB);
  EXPECT_EQ(q5.d, 0x3C00);
  EXPECT_EQ(q5.m, 0xBC00);
  for (int j = 0; j < 16; ++j) {  // quant of element j is j
    EXPECT_EQ(q5.qs[j], static_cast<uint8_t>(j | j << 4)) << j;
  }
  uint32_t high;
  std::memcpy(&high, q5.qh, 4);
  EXPECT_EQ(high, 0xFFFF0000u);  // elements 16..31 have quants >= 16
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

TEST(QuantLegacy, RoundTripWithinHalfStep) {
  constexpr int64_t n = 64 * kB;
  const std::vector<float> x = random_floats(n, 7, 2.0f);
  for (const LegacyType& t : kTypes) {
    SCOPED_TRACE(name_of(t.type));
    std::vector<uint8_t> q(static_cast<size_t>(bytes_for(t.type, n)));
    t.quantize(x.data(), q.data(), n);
    const std::vector<float> y = dequantized(t.type, q.data(), n);
    const int64_t block_bytes = dtype_traits(t.type).block_bytes;
    for (int64_t b = 0; b < n / kB; ++b) {
      const float d = std::fabs(half_at(q.data() + b * block_bytes));
      const float m = t.has_min ? std::fabs(half_at(q.data() + b * block_bytes + 2)) : 0.0f;
      for (int j = 0; j < kB; ++j) {
        const int64_t i = b * kB + j;
        // Half a step, plus the half-precision rounding of d (2^-11 relative, times the
        // largest quant) and of m.
        float bound = 0.5f * d + d * static_cast<float>(t.max_quant) * 0x1p-11f + m * 0x1p-11f +
                      1e-6f * std::fabs(x[i]);
        // Q4_0/Q5_0 keep the extreme's sign: values at the opposite end beyond 7.5 (15.5)
        // steps are clamped to 7 (15) steps, one full step off at most.
        if (t.type == DType::Q4_0 || t.type == DType::Q5_0) {
          const float limit = t.type == DType::Q4_0 ? 7.5f : 15.5f;
          if (std::fabs(x[i]) >= (limit - 0.01f) * d) bound += 0.5f * d;
        }
        ASSERT_LE(std::fabs(y[i] - x[i]), bound) << "element " << i << " d " << d;
      }
    }
  }
}

TEST(QuantLegacy, ZeroBlockQuantizesToZeros) {
  const float zeros[kB] = {};
  for (const LegacyType& t : kTypes) {
    std::vector<uint8_t> q(static_cast<size_t>(bytes_for(t.type, kB)), 0xAB);
    t.quantize(zeros, q.data(), kB);
    const std::vector<float> y = dequantized(t.type, q.data(), kB);
    for (int j = 0; j < kB; ++j) EXPECT_EQ(y[j], 0.0f) << name_of(t.type) << " " << j;
  }
}

// ---------------------------------------------------------------------------------------------
// Scalar dot products against the dequantized rows
// ---------------------------------------------------------------------------------------------

TEST(QuantLegacy, ScalarDotMatchesDequantizedDot) {
  constexpr int64_t n = 127 * kB;
  const std::vector<float> act = random_floats(n, 11);
  std::vector<uint8_t> act_q(static_cast<size_t>(bytes_for(DType::Q8_0, n)));
  quantize_row_q8_0(act.data(), act_q.data(), n);
  const std::vector<float> act_deq = dequantized(DType::Q8_0, act_q.data(), n);
  for (const LegacyType& t : kTypes) {
    SCOPED_TRACE(name_of(t.type));
    for (int source = 0; source < 2; ++source) {  // 0: quantized floats, 1: random bytes
      std::vector<uint8_t> w(static_cast<size_t>(bytes_for(t.type, n)));
      if (source == 0) {
        const std::vector<float> x = random_floats(n, 13);
        t.quantize(x.data(), w.data(), n);
      } else {
        fill_random_weights(t, n, 17, w.data());
      }
      const ExactDot exact = exact_dot(dequantized(t.type, w.data(), n), act_deq);
      const float got = t.dot_scalar(n, w.data(), act_q.data());
      EXPECT_NEAR(got, exact.value, dot_tolerance(exact)) << "source " << source;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimized kernels against the scalar reference, for every ISA the CPU has
// ---------------------------------------------------------------------------------------------

class QuantLegacyIsa : public ::testing::TestWithParam<Isa> {
 protected:
  const KernelTable* table() {
    const KernelTable* t = kernels_for(GetParam());
    return t;
  }
};

#define PARLEY_REQUIRE_ISA(table)                                                        \
  if ((table) == nullptr) {                                                              \
    GTEST_SKIP() << "this CPU lacks " << isa_name(GetParam()) << "; kernels not tested"; \
  }

const int64_t kSizes[] = {32, 64, 7 * 32, 127 * 32, 128 * 32, 4097 * 32};

TEST_P(QuantLegacyIsa, TableIsComplete) {
  const KernelTable* k = table();
  PARLEY_REQUIRE_ISA(k);
  EXPECT_EQ(k->isa, GetParam());
  for (const LegacyType& t : kTypes) {
    EXPECT_NE(k->vec_dot[static_cast<int>(t.type)], nullptr) << name_of(t.type);
  }
  EXPECT_NE(k->quantize_row[static_cast<int>(DType::Q8_0)], nullptr);
}

TEST_P(QuantLegacyIsa, VecDotMatchesScalarMisaligned) {
  const KernelTable* k = table();
  PARLEY_REQUIRE_ISA(k);
  for (int64_t n : kSizes) {
    const std::vector<float> act = random_floats(n, static_cast<uint32_t>(n));
    MisalignedBuffer act_q(bytes_for(DType::Q8_0, n));
    quantize_row_q8_0(act.data(), act_q.data(), n);
    const std::vector<float> act_deq = dequantized(DType::Q8_0, act_q.data(), n);
    for (const LegacyType& t : kTypes) {
      SCOPED_TRACE(name_of(t.type) + " n=" + std::to_string(n));
      for (int source = 0; source < 2; ++source) {
        MisalignedBuffer w(bytes_for(t.type, n));
        if (source == 0) {
          const std::vector<float> x = random_floats(n, static_cast<uint32_t>(n + 5));
          t.quantize(x.data(), w.data(), n);
        } else {
          fill_random_weights(t, n, static_cast<uint32_t>(n + 9), w.data());
        }
        const ExactDot exact = exact_dot(dequantized(t.type, w.data(), n), act_deq);
        const float expect = t.dot_scalar(n, w.data(), act_q.data());
        const float got = k->vec_dot[static_cast<int>(t.type)](n, w.data(), act_q.data());
        EXPECT_NEAR(got, expect, dot_tolerance(exact)) << "source " << source;
        EXPECT_NEAR(got, exact.value, dot_tolerance(exact)) << "source " << source;
      }
    }
  }
}

// Extreme quants everywhere: int16 pair sums in maddubs are closest to saturation here
// (|w| = 128 for Q8_0 weights, 31 for Q5_1, activations +-127).
TEST_P(QuantLegacyIsa, VecDotExtremeQuantsDoNotSaturate) {
  const KernelTable* k = table();
  PARLEY_REQUIRE_ISA(k);
  constexpr int64_t n = 9 * kB;
  std::vector<uint8_t> act_q(static_cast<size_t>(bytes_for(DType::Q8_0, n)));
  for (int64_t b = 0; b < n / kB; ++b) {
    uint8_t* block = act_q.data() + b * sizeof(BlockQ8_0);
    put_half(block, 1.0f);
    for (int j = 0; j < kB; ++j) block[2 + j] = static_cast<uint8_t>(b % 2 ? 0x81 : 0x7F);
  }
  const std::vector<float> act_deq = dequantized(DType::Q8_0, act_q.data(), n);
  for (const LegacyType& t : kTypes) {
    SCOPED_TRACE(name_of(t.type));
    for (const uint8_t fill : {uint8_t{0x00}, uint8_t{0x80}, uint8_t{0xFF}, uint8_t{0x7F}}) {
      const int64_t block_bytes = dtype_traits(t.type).block_bytes;
      std::vector<uint8_t> w(static_cast<size_t>(bytes_for(t.type, n)), fill);
      for (int64_t b = 0; b < n / kB; ++b) {
        put_half(w.data() + b * block_bytes, 1.0f);
        if (t.has_min) put_half(w.data() + b * block_bytes + 2, -0.5f);
      }
      const ExactDot exact = exact_dot(dequantized(t.type, w.data(), n), act_deq);
      const float got = k->vec_dot[static_cast<int>(t.type)](n, w.data(), act_q.data());
      EXPECT_EQ(got, t.dot_scalar(n, w.data(), act_q.data())) << "fill " << int{fill};
      EXPECT_NEAR(got, exact.value, dot_tolerance(exact)) << "fill " << int{fill};
    }
  }
}

// The Q8_0 x Q8_0 product against the float dot of the dequantized rows, with weights that
// were quantized from floats as a model converter would.
TEST_P(QuantLegacyIsa, Q8_0DotMatchesFloatDot) {
  const KernelTable* k = table();
  PARLEY_REQUIRE_ISA(k);
  for (int64_t n : kSizes) {
    const std::vector<float> x = random_floats(n, 21, 0.3f);
    const std::vector<float> y = random_floats(n, 22, 4.0f);
    MisalignedBuffer xq(bytes_for(DType::Q8_0, n));
    MisalignedBuffer yq(bytes_for(DType::Q8_0, n));
    k->quantize_row[static_cast<int>(DType::Q8_0)](x.data(), xq.data(), n);
    k->quantize_row[static_cast<int>(DType::Q8_0)](y.data(), yq.data(), n);
    const ExactDot exact =
        exact_dot(dequantized(DType::Q8_0, xq.data(), n), dequantized(DType::Q8_0, yq.data(), n));
    const float got = k->vec_dot[static_cast<int>(DType::Q8_0)](n, xq.data(), yq.data());
    EXPECT_NEAR(got, exact.value, dot_tolerance(exact)) << "n=" << n;
    // And the quantized dot is as close to the float dot as the quantization errors allow:
    // |x'y' - xy| <= |x| e_y + |y| e_x + e_x e_y per element, e = 0.57 |d| (half a step plus
    // the half-precision rounding of d: 127 * 2^-11 < 0.07 steps).
    double bound = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t block_offset = i / kB * static_cast<int64_t>(sizeof(BlockQ8_0));
      const double ex = 0.57 * std::fabs(half_at(xq.data() + block_offset));
      const double ey = 0.57 * std::fabs(half_at(yq.data() + block_offset));
      bound += std::fabs(x[i]) * ey + std::fabs(y[i]) * ex + ex * ey;
    }
    EXPECT_NEAR(got, exact_dot(x, y).value, bound + dot_tolerance(exact)) << "n=" << n;
  }
}

TEST_P(QuantLegacyIsa, QuantizeQ8_0BitIdenticalToScalar) {
  const KernelTable* k = table();
  PARLEY_REQUIRE_ISA(k);
  for (int64_t n : kSizes) {
    std::vector<float> x = random_floats(n, 31, 5.0f);
    // Blocks with amax 127 give d = 1 and id = 1, so x.5 values hit rounding ties exactly.
    for (int64_t b = 0; b < n / kB; b += 3) {
      x[static_cast<size_t>(b * kB)] = 127.0f;
      for (int j = 1; j < kB; ++j) x[static_cast<size_t>(b * kB + j)] = 0.5f * (j - 16);
    }
    MisalignedBuffer expect(bytes_for(DType::Q8_0, n));
    MisalignedBuffer got(bytes_for(DType::Q8_0, n));
    quantize_row_q8_0(x.data(), expect.data(), n);
    k->quantize_row[static_cast<int>(DType::Q8_0)](x.data(), got.data(), n);
    EXPECT_EQ(
        std::memcmp(expect.data(), got.data(), static_cast<size_t>(bytes_for(DType::Q8_0, n))), 0)
        << "n=" << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, QuantLegacyIsa,
                         ::testing::Values(Isa::Scalar, Isa::Avx2, Isa::Avx512),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(isa_name(info.param));
                         });

}  // namespace
}  // namespace parley::kernels

#include "kernels/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

TEST(DType, TableRowsMatchGgmlLayout) {
  struct Expect {
    DType type;
    int64_t block, bytes;
    int gguf;
  };
  const Expect rows[] = {
      {DType::F32, 1, 4, 0},       {DType::F16, 1, 2, 1},       {DType::BF16, 1, 2, 30},
      {DType::Q4_0, 32, 18, 2},    {DType::Q4_1, 32, 20, 3},    {DType::Q5_0, 32, 22, 6},
      {DType::Q5_1, 32, 24, 7},    {DType::Q8_0, 32, 34, 8},    {DType::Q2_K, 256, 84, 10},
      {DType::Q3_K, 256, 110, 11}, {DType::Q4_K, 256, 144, 12}, {DType::Q5_K, 256, 176, 13},
      {DType::Q6_K, 256, 210, 14}, {DType::Q8_K, 256, 292, 15},
  };
  for (const Expect& e : rows) {
    const DTypeTraits& t = dtype_traits(e.type);
    EXPECT_EQ(t.block_size, e.block) << t.name;
    EXPECT_EQ(t.block_bytes, e.bytes) << t.name;
    EXPECT_EQ(t.gguf_type, e.gguf) << t.name;
    EXPECT_EQ(dtype_from_gguf(static_cast<uint32_t>(e.gguf)), e.type) << t.name;
    EXPECT_NE(t.to_float, nullptr) << t.name;
    EXPECT_NE(t.from_float, nullptr) << t.name;
  }
  EXPECT_EQ(row_bytes(DType::Q4_K, 4096), 16 * 144);
  EXPECT_FALSE(dtype_from_gguf(16).has_value());  // IQ2_XXS: not supported (yet)
  EXPECT_FALSE(dtype_from_gguf(9999).has_value());
}

TEST(DType, OnnxTypesAndNames) {
  EXPECT_EQ(dtype_from_onnx(1), DType::F32);
  EXPECT_EQ(dtype_from_onnx(7), DType::I64);
  EXPECT_EQ(dtype_from_onnx(9), DType::BOOL);
  EXPECT_EQ(dtype_from_onnx(10), DType::F16);
  EXPECT_EQ(dtype_from_onnx(3), DType::I8);
  EXPECT_EQ(dtype_from_onnx(2), DType::U8);
  EXPECT_FALSE(dtype_from_onnx(8).has_value());  // STRING
  EXPECT_FALSE(dtype_from_onnx(0).has_value());
  EXPECT_EQ(dtype_from_name("Q4_K"), DType::Q4_K);
  EXPECT_EQ(dtype_from_name("q4_k"), DType::Q4_K);
  EXPECT_FALSE(dtype_from_name("q4_").has_value());
}

TEST(Fp16, ExactOnEveryHalfValueRoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(f))));
      continue;
    }
    ASSERT_EQ(fp32_to_fp16(f), h) << std::hex << h;
  }
}

TEST(Fp16, KnownValuesAndRounding) {
  EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);                          // rounds up to infinity
  EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie to even (down)
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie to even (up)
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);             // tie to even, to zero
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
  EXPECT_EQ(fp32_to_bf16(fp32_from_bits(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(fp32_to_bf16(fp32_from_bits(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(DType, IntegerConversionsTruncateAndSaturate) {
  const float in[] = {1.9f, -1.9f, 300.0f, -300.0f, std::nanf("")};
  int8_t out[5];
  dtype_traits(DType::I8).from_float(in, out, 5);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], -1);
  EXPECT_EQ(out[2], 127);
  EXPECT_EQ(out[3], -128);
  EXPECT_EQ(out[4], 0);
  const int64_t big[] = {-5, 1LL << 40};
  float f[2];
  dtype_traits(DType::I64).to_float(big, f, 2);
  EXPECT_EQ(f[0], -5.0f);
  EXPECT_EQ(f[1], std::ldexp(1.0f, 40));
}

}  // namespace
}  // namespace parley::kernels

namespace parley::kernels {
namespace {

// Every ISA's optimized dequantize_row equals the scalar reference: exact for F16 (all 65536
// halves, odd lengths, misaligned), and the same function pointer elsewhere unless overridden.
TEST(KernelTable, DequantizeRowMatchesReferenceOnEveryIsa) {
  std::vector<uint16_t> halves(65536 + 1);
  for (uint32_t h = 0; h < 65536; ++h) halves[h + 1] = static_cast<uint16_t>(h);
  for (int level = 0; level < kIsaCount; ++level) {
    const KernelTable* table = kernels_for(static_cast<Isa>(level));
    if (table == nullptr) continue;
    for (int t = 0; t < kDTypeCount; ++t) ASSERT_NE(table->dequantize_row[t], nullptr) << t;
    for (int64_t n : {1, 7, 13, 127, 128, 4097, 65536}) {
      std::vector<float> got(static_cast<size_t>(n)), want(static_cast<size_t>(n));
      table->dequantize_row[slot(DType::F16)](halves.data() + 1, got.data(), n);  // misaligned
      dtype_traits(DType::F16).to_float(halves.data() + 1, want.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(want[i])) {
          ASSERT_TRUE(std::isnan(got[i])) << isa_name(static_cast<Isa>(level)) << " " << i;
        } else {
          ASSERT_EQ(fp32_to_bits(got[i]), fp32_to_bits(want[i])) << isa_name(static_cast<Isa>(level)) << " " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace parley::kernels

// Scalar reference for the legacy 32-element GGUF blocks: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.
//
// Conversions follow the ggml block definitions exactly (quant_blocks.h); the quantizers use the
// same arithmetic as llama.cpp's quantize_row_*_ref so that files written by either tool agree
// byte for byte. All five dot products take Q8_0 activations (dtype.h: vec_dot_type):
//
//   q4_0/q5_0/q8_0:  block sum = d_w * d_a * sum(q_w * q_a)
//   q4_1/q5_1:       block sum = d_w * d_a * sum(q_w * q_a) + m_w * (d_a * sum(q_a))
//
// because sum_j (d_w q_j + m_w) * d_a a_j splits into a scaled integer dot and the minimum times
// the activation sum. The optimized kernels (quant_legacy_avx2.cc, quant_legacy_avx512.cc) are
// tested against these functions; only their float accumulation order may differ.
//
// Contracts shared by every function here: n is a multiple of 32 (a trailing partial block is
// ignored); pointers need no alignment; nothing allocates or throws.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/kernel_table.h"
#include "kernels/quant.h"
#include "kernels/quant_blocks.h"

namespace parley::kernels {
namespace {

constexpr int kHalf = kBlockLegacy / 2;  // 16: element j sits in the low nibble, j+16 in the high

// Blocks are read and written through memcpy: rows may start at any byte address (GGUF only
// guarantees the tensor start), and a misaligned struct access would be undefined behaviour.
template <typename Block>
inline Block load_block(const void* base, int64_t index) {
  Block block;
  std::memcpy(&block, static_cast<const uint8_t*>(base) + index * int64_t{sizeof(Block)},
              sizeof(Block));
  return block;
}

template <typename Block>
inline void store_block(const Block& block, void* base, int64_t index) {
  std::memcpy(static_cast<uint8_t*>(base) + index * int64_t{sizeof(Block)}, &block, sizeof(Block));
}

// Returns the 32 high bits of a Q5 block, bit j belonging to element j.
inline uint32_t load_high_bits(const uint8_t (&qh)[4]) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  return bits;
}

inline void store_high_bits(uint32_t bits, uint8_t (&qh)[4]) {
  std::memcpy(qh, &bits, sizeof bits);
}

// The element of largest magnitude, with its sign (first one wins on ties, as in llama.cpp).
inline float signed_absolute_max(const float* x) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < kBlockLegacy; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

inline void min_max(const float* x, float& min, float& max) {
  min = x[0];
  max = x[0];
  for (int j = 1; j < kBlockLegacy; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

// Sum of the 32 activation quants of one Q8_0 block.
inline int q8_sum(const BlockQ8_0& a) {
  int sum = 0;
  for (int j = 0; j < kBlockLegacy; ++j) sum += a.qs[j];
  return sum;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Dequantization
// ---------------------------------------------------------------------------------------------

void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, dst += kBlockLegacy) {
    const BlockQ4_0 block = load_block<BlockQ4_0>(src, b);
    const float d = fp16_to_fp32(block.d);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>((block.qs[j] & 0x0F) - 8) * d;
      dst[j + kHalf] = static_cast<float>((block.qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const void* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, dst += kBlockLegacy) {
    const BlockQ4_1 block = load_block<BlockQ4_1>(src, b);
    const float d = fp16_to_fp32(block.d);
    const float m = fp16_to_fp32(block.m);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>(block.qs[j] & 0x0F) * d + m;
      dst[j + kHalf] = static_cast<float>(block.qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const void* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, dst += kBlockLegacy) {
    const BlockQ5_0 block = load_block<BlockQ5_0>(src, b);
    const float d = fp16_to_fp32(block.d);
    const uint32_t high = load_high_bits(block.qh);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = (block.qs[j] & 0x0F) | static_cast<int>((high >> j) & 1u) << 4;
      const int hi = (block.qs[j] >> 4) | static_cast<int>((high >> (j + kHalf)) & 1u) << 4;
      dst[j] = static_cast<float>(lo - 16) * d;
      dst[j + kHalf] = static_cast<float>(hi - 16) * d;
    }
  }
}

void dequantize_row_q5_1(const void* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, dst += kBlockLegacy) {
    const BlockQ5_1 block = load_block<BlockQ5_1>(src, b);
    const float d = fp16_to_fp32(block.d);
    const float m = fp16_to_fp32(block.m);
    const uint32_t high = load_high_bits(block.qh);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = (block.qs[j] & 0x0F) | static_cast<int>((high >> j) & 1u) << 4;
      const int hi = (block.qs[j] >> 4) | static_cast<int>((high >> (j + kHalf)) & 1u) << 4;
      dst[j] = static_cast<float>(lo) * d + m;
      dst[j + kHalf] = static_cast<float>(hi) * d + m;
    }
  }
}

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, dst += kBlockLegacy) {
    const BlockQ8_0 block = load_block<BlockQ8_0>(src, b);
    const float d = fp16_to_fp32(block.d);
    for (int j = 0; j < kBlockLegacy; ++j) dst[j] = static_cast<float>(block.qs[j]) * d;
  }
}

// ---------------------------------------------------------------------------------------------
// Reference quantizers (llama.cpp *_ref arithmetic)
// ---------------------------------------------------------------------------------------------

// d = max / -8 keeps the sign of the extreme, so the extreme maps to -8 exactly and the other
// side reaches +7 (values beyond +7.5 d are clamped to 7).
void quantize_row_q4_0(const float* src, void* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, src += kBlockLegacy) {
    BlockQ4_0 block;
    const float d = signed_absolute_max(src) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    block.d = fp32_to_fp16(d);
    for (int j = 0; j < kHalf; ++j) {
      // Truncation of a value >= 0.5 rounds half up; the clamp only bites at +8.
      const int lo = static_cast<int8_t>(src[j] * id + 8.5f);
      const int hi = static_cast<int8_t>(src[j + kHalf] * id + 8.5f);
      block.qs[j] = static_cast<uint8_t>((lo < 15 ? lo : 15) | (hi < 15 ? hi : 15) << 4);
    }
    store_block(block, dst, b);
  }
}

void quantize_row_q4_1(const float* src, void* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, src += kBlockLegacy) {
    BlockQ4_1 block;
    float min, max;
    min_max(src, min, max);
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    block.d = fp32_to_fp16(d);
    block.m = fp32_to_fp16(min);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = static_cast<int8_t>((src[j] - min) * id + 0.5f);
      const int hi = static_cast<int8_t>((src[j + kHalf] - min) * id + 0.5f);
      block.qs[j] = static_cast<uint8_t>((lo < 15 ? lo : 15) | (hi < 15 ? hi : 15) << 4);
    }
    store_block(block, dst, b);
  }
}

void quantize_row_q5_0(const float* src, void* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, src += kBlockLegacy) {
    BlockQ5_0 block;
    const float d = signed_absolute_max(src) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    block.d = fp32_to_fp16(d);
    uint32_t high = 0;
    for (int j = 0; j < kHalf; ++j) {
      int lo = static_cast<int8_t>(src[j] * id + 16.5f);
      int hi = static_cast<int8_t>(src[j + kHalf] * id + 16.5f);
      lo = lo < 31 ? lo : 31;
      hi = hi < 31 ? hi : 31;
      block.qs[j] = static_cast<uint8_t>((lo & 0x0F) | (hi & 0x0F) << 4);
      high |= static_cast<uint32_t>((lo & 0x10) >> 4) << j;
      high |= static_cast<uint32_t>((hi & 0x10) >> 4) << (j + kHalf);
    }
    store_high_bits(high, block.qh);
    store_block(block, dst, b);
  }
}

void quantize_row_q5_1(const float* src, void* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, src += kBlockLegacy) {
    BlockQ5_1 block;
    float min, max;
    min_max(src, min, max);
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    block.d = fp32_to_fp16(d);
    block.m = fp32_to_fp16(min);
    uint32_t high = 0;
    for (int j = 0; j < kHalf; ++j) {
      // (x - min) * id lies in [0, 31] up to rounding, so no clamp (as in llama.cpp).
      const int lo = static_cast<uint8_t>((src[j] - min) * id + 0.5f);
      const int hi = static_cast<uint8_t>((src[j + kHalf] - min) * id + 0.5f);
      block.qs[j] = static_cast<uint8_t>((lo & 0x0F) | (hi & 0x0F) << 4);
      high |= static_cast<uint32_t>((lo & 0x10) >> 4) << j;
      high |= static_cast<uint32_t>((hi & 0x10) >> 4) << (j + kHalf);
    }
    store_high_bits(high, block.qh);
    store_block(block, dst, b);
  }
}

// d = amax / 127; quants are roundf(x / d) (half away from zero), so they lie in [-127, 127]:
// -128 never occurs, which the optimized dot products rely on for the activations.
void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, src += kBlockLegacy) {
    BlockQ8_0 block;
    float amax = 0.0f;
    for (int j = 0; j < kBlockLegacy; ++j) amax = std::fmax(amax, std::fabs(src[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    block.d = fp32_to_fp16(d);
    for (int j = 0; j < kBlockLegacy; ++j) {
      block.qs[j] = static_cast<int8_t>(std::round(src[j] * id));
    }
    store_block(block, dst, b);
  }
}

// ---------------------------------------------------------------------------------------------
// Dot products with Q8_0 activations
// ---------------------------------------------------------------------------------------------

float vec_dot_q4_0_q8_0_scalar(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockLegacy; ++b) {
    const BlockQ4_0 wb = load_block<BlockQ4_0>(w, b);
    const BlockQ8_0 ab = load_block<BlockQ8_0>(a, b);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += ((wb.qs[j] & 0x0F) - 8) * ab.qs[j];
      sumi += ((wb.qs[j] >> 4) - 8) * ab.qs[j + kHalf];
    }
    sum += static_cast<float>(sumi) * (fp16_to_fp32(wb.d) * fp16_to_fp32(ab.d));
  }
  return sum;
}

float vec_dot_q4_1_q8_0_scalar(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockLegacy; ++b) {
    const BlockQ4_1 wb = load_block<BlockQ4_1>(w, b);
    const BlockQ8_0 ab = load_block<BlockQ8_0>(a, b);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += (wb.qs[j] & 0x0F) * ab.qs[j];
      sumi += (wb.qs[j] >> 4) * ab.qs[j + kHalf];
    }
    const float da = fp16_to_fp32(ab.d);
    sum += static_cast<float>(sumi) * (fp16_to_fp32(wb.d) * da) +
           fp16_to_fp32(wb.m) * (da * static_cast<float>(q8_sum(ab)));
  }
  return sum;
}

float vec_dot_q5_0_q8_0_scalar(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockLegacy; ++b) {
    const BlockQ5_0 wb = load_block<BlockQ5_0>(w, b);
    const BlockQ8_0 ab = load_block<BlockQ8_0>(a, b);
    const uint32_t high = load_high_bits(wb.qh);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int lo = (wb.qs[j] & 0x0F) | static_cast<int>((high >> j) & 1u) << 4;
      const int hi = (wb.qs[j] >> 4) | static_cast<int>((high >> (j + kHalf)) & 1u) << 4;
      sumi += (lo - 16) * ab.qs[j] + (hi - 16) * ab.qs[j + kHalf];
    }
    sum += static_cast<float>(sumi) * (fp16_to_fp32(wb.d) * fp16_to_fp32(ab.d));
  }
  return sum;
}

float vec_dot_q5_1_q8_0_scalar(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockLegacy; ++b) {
    const BlockQ5_1 wb = load_block<BlockQ5_1>(w, b);
    const BlockQ8_0 ab = load_block<BlockQ8_0>(a, b);
    const uint32_t high = load_high_bits(wb.qh);
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int lo = (wb.qs[j] & 0x0F) | static_cast<int>((high >> j) & 1u) << 4;
      const int hi = (wb.qs[j] >> 4) | static_cast<int>((high >> (j + kHalf)) & 1u) << 4;
      sumi += lo * ab.qs[j] + hi * ab.qs[j + kHalf];
    }
    const float da = fp16_to_fp32(ab.d);
    sum += static_cast<float>(sumi) * (fp16_to_fp32(wb.d) * da) +
           fp16_to_fp32(wb.m) * (da * static_cast<float>(q8_sum(ab)));
  }
  return sum;
}

float vec_dot_q8_0_q8_0_scalar(int64_t n, const void* w, const void* a) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kBlockLegacy; ++b) {
    const BlockQ8_0 wb = load_block<BlockQ8_0>(w, b);
    const BlockQ8_0 ab = load_block<BlockQ8_0>(a, b);
    int sumi = 0;
    for (int j = 0; j < kBlockLegacy; ++j) sumi += wb.qs[j] * ab.qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(wb.d) * fp16_to_fp32(ab.d));
  }
  return sum;
}

void register_quant_legacy_scalar(KernelTable& table) {
  table.vec_dot[slot(DType::Q4_0)] = vec_dot_q4_0_q8_0_scalar;
  table.vec_dot[slot(DType::Q4_1)] = vec_dot_q4_1_q8_0_scalar;
  table.vec_dot[slot(DType::Q5_0)] = vec_dot_q5_0_q8_0_scalar;
  table.vec_dot[slot(DType::Q5_1)] = vec_dot_q5_1_q8_0_scalar;
  table.vec_dot[slot(DType::Q8_0)] = vec_dot_q8_0_q8_0_scalar;
  table.quantize_row[slot(DType::Q8_0)] = quantize_row_q8_0;
}

}  // namespace parley::kernels

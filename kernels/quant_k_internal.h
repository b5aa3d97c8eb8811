// Internal helpers of the K-quant kernels (kernels/quant_k*.cc only): unpacking of the packed
// sub-block scales of Q3_K, Q4_K and Q5_K. Layouts are ggml's (see quant_blocks.h).
//
//   uint8_t scales_mins[16];
//   unpack_scales_mins_q4_K(block.scales, scales_mins);  // [0..7] scales, [8..15] mins
//   int8_t scales_q3[16];
//   unpack_scales_q3_K(block.scales, scales_q3);          // signed, bias of 32 removed
//
// Both read exactly 12 bytes through memcpy, so `packed` may be unaligned.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/quant_blocks.h"

namespace parley::kernels::quant_k_detail {

static_assert(std::endian::native == std::endian::little,
              "the K-quant scale unpacking reads 32-bit words of a little-endian file format");

// Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins in 12 bytes.
//   bytes 0-3:  bits 0-5 scale j (j = 0..3),  bits 6-7 the top two bits of scale j + 4
//   bytes 4-7:  bits 0-5 min j   (j = 0..3),  bits 6-7 the top two bits of min j + 4
//   bytes 8-11: bits 0-3 the low four bits of scale j + 4, bits 4-7 those of min j + 4
// Writes the bytes out[0..7] = scales, out[8..15] = mins (each 0..63) as four little-endian
// words, so SIMD code can move them into a register without a round trip through memory.
inline void unpack_scales_mins_q4_K_words(const uint8_t* packed, uint32_t out[4]) {
  uint32_t word[3];
  std::memcpy(word, packed, sizeof word);
  out[0] = word[0] & 0x3f3f3f3fu;
  out[1] = (word[2] & 0x0f0f0f0fu) | (((word[0] >> 6) & 0x03030303u) << 4);
  out[2] = word[1] & 0x3f3f3f3fu;
  out[3] = ((word[2] >> 4) & 0x0f0f0f0fu) | (((word[1] >> 6) & 0x03030303u) << 4);
}

inline void unpack_scales_mins_q4_K(const uint8_t* packed, uint8_t out[16]) {
  uint32_t words[4];
  unpack_scales_mins_q4_K_words(packed, words);
  std::memcpy(out, words, sizeof words);
}

// Q3_K: sixteen 6-bit scales, each stored with a bias of 32, in 12 bytes.
//   byte j (j = 0..7):  bits 0-3 the low four bits of scale j, bits 4-7 those of scale j + 8
//   byte 8 + m (m = 0..3): bits 2k..2k+1 the top two bits of scale m + 4k (k = 0..3)
// Writes the biased scales (0..63) as four little-endian words: byte j = scale j + 32.
inline void unpack_biased_scales_q3_K_words(const uint8_t* packed, uint32_t out[4]) {
  uint32_t word[3];
  std::memcpy(word, packed, sizeof word);
  out[0] = (word[0] & 0x0f0f0f0fu) | ((word[2] & 0x03030303u) << 4);
  out[1] = (word[1] & 0x0f0f0f0fu) | (((word[2] >> 2) & 0x03030303u) << 4);
  out[2] = ((word[0] >> 4) & 0x0f0f0f0fu) | (((word[2] >> 4) & 0x03030303u) << 4);
  out[3] = ((word[1] >> 4) & 0x0f0f0f0fu) | (((word[2] >> 6) & 0x03030303u) << 4);
}

// Writes out[j] = scale j - 32, in -32..31.
inline void unpack_scales_q3_K(const uint8_t* packed, int8_t out[16]) {
  uint32_t words[4];
  unpack_biased_scales_q3_K_words(packed, words);
  uint8_t biased[16];
  std::memcpy(biased, words, sizeof words);
  for (int j = 0; j < 16; ++j) out[j] = static_cast<int8_t>(biased[j] - 32);
}

// Q8_K quantization: iscale = -127 / max is used only when finite and non-zero (max neither
// zero, infinite, NaN nor so tiny that the quotient overflows); otherwise the block is all zero.
inline bool q8_K_scale_usable(float iscale) {
  return iscale != 0.0f && std::fabs(iscale) <= std::numeric_limits<float>::max();
}

}  // namespace parley::kernels::quant_k_detail

// IEEE half and bfloat16 <-> float conversion, bit-exact, portable (no ISA requirement).
#pragma once

#include <cstdint>
#include <cstring>

namespace parley::kernels {

inline float fp32_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
inline uint32_t fp32_to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// Half -> float: exact for every half value, including subnormals, infinities and NaN.
inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    if (mantissa == 0) return fp32_from_bits(sign);
    // Subnormal half: normalise.
    int shift = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffu;
    return fp32_from_bits(sign | static_cast<uint32_t>(127 - 15 - shift + 1) << 23 | mantissa << 13);
  }
  if (exponent == 31) return fp32_from_bits(sign | 0x7f800000u | mantissa << 13);
  return fp32_from_bits(sign | (exponent + 127 - 15) << 23 | mantissa << 13);
}

// Float -> half with round-to-nearest-even; overflow gives infinity, NaN stays NaN.
inline uint16_t fp32_to_fp16(float f) {
  const uint32_t bits = fp32_to_bits(f);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (abs_bits >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow / inf
  if (abs_bits < 0x38800000u) {
    // Result is subnormal or zero: scale so the half subnormal step is one unit, round to even.
    const float magnitude = fp32_from_bits(abs_bits);
    const float scaled = magnitude * 16777216.0f;  // 2^24: half subnormal unit becomes 1.0
    uint32_t q = static_cast<uint32_t>(scaled);
    const float rest = scaled - static_cast<float>(q);
    if (rest > 0.5f || (rest == 0.5f && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t exponent = (abs_bits >> 23) - 127 + 15;
  uint32_t mantissa = abs_bits & 0x7fffffu;
  uint32_t half = exponent << 10 | mantissa >> 13;
  const uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into exponent: ok
  return static_cast<uint16_t>(sign | half);
}

inline float bf16_to_fp32(uint16_t b) { return fp32_from_bits(static_cast<uint32_t>(b) << 16); }

// Float -> bfloat16 with round-to-nearest-even; NaN stays NaN.
inline uint16_t fp32_to_bf16(float f) {
  const uint32_t bits = fp32_to_bits(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace parley::kernels

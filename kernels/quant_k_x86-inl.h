// x86 SIMD bodies of the K-quant dot products and of the Q8_K quantizer, shared by
// quant_k_avx2.cc and quant_k_avx512.cc. Internal: include only from a translation unit that is
// compiled with at least AVX2+FMA+F16C, after defining the accumulation policy `Accumulate`:
//
//   namespace parley::kernels { namespace {
//   struct Accumulate {  // acc + madd_epi16(scales16, products16)
//     static __m256i scaled(__m256i acc, __m256i scales16, __m256i products16);
//   };
//   } }
//   #include "kernels/quant_k_x86-inl.h"
//   ... vec_dot_q4_K(n, weights, activations) ...
//
// Everything here lives in an unnamed namespace on purpose: each ISA translation unit gets its
// own copy compiled with its own flags, so the linker can never hand an AVX-512 build of a helper
// to the AVX2 path.
//
// Method (per 256-element block, see quant_k.cc for the math): the unsigned quants are built in
// bytes, multiplied with the signed Q8_K bytes by maddubs into 16-bit pair sums (never
// saturating: quants <= 63, |q8| <= 128), multiplied by the 16-bit sub-block scales and summed
// into 32-bit lanes. Offsets of the signed formats (Q3_K: -4, Q6_K: -32) and the mins of
// Q2_K/Q4_K/Q5_K are applied once per block through the activations' bsums. Only loadu is
// used: blocks are 84..292 bytes and have no alignment.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_blocks.h"
#include "kernels/quant_k_internal.h"

namespace parley::kernels {
namespace {

inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Rows may start at any byte, so the kernels never form a Block& (a misaligned reference is
// undefined behaviour): they address fields as block start + offsetof and load with memcpy or
// unaligned vector loads.
template <typename Block>
inline const uint8_t* block_start(const void* row, int64_t index) {
  return static_cast<const uint8_t*>(row) + index * static_cast<int64_t>(sizeof(Block));
}
inline float load_half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}
inline float load_float(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, sizeof f);
  return f;
}

inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// Four words computed in general registers -> one vector (no store-to-load forwarding stall).
inline __m128i words_to_vector(const uint32_t w[4]) {
  return _mm_set_epi32(static_cast<int>(w[3]), static_cast<int>(w[2]), static_cast<int>(w[1]),
                       static_cast<int>(w[0]));
}

// 16-bit lanes all equal to 16-bit element `index` of a 128-bit vector repeated in both halves.
inline __m256i broadcast_epi16(__m256i repeated, int index) {
  const int low_byte = 2 * index;
  return _mm256_shuffle_epi8(
      repeated, _mm256_set1_epi16(static_cast<int16_t>((low_byte + 1) << 8 | low_byte)));
}

// Sixteen 16-bit lanes: 8 x bytes[index], then 8 x bytes[index + 1] (signed bytes widened).
inline __m256i pair_scales_epi8(__m128i bytes, int index) {
  const int64_t first = 0x0101010101010101LL * index;
  const int64_t second = 0x0101010101010101LL * (index + 1);
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(bytes, _mm_set_epi64x(second, first)));
}

// Weights stream from DRAM once per token: ask for the block 2 KiB ahead, every cache line of
// it, before the hardware prefetcher would (measured +10-20% decode speed with 2 threads).
inline void prefetch_weights(const uint8_t* block, size_t block_bytes) {
  constexpr size_t kAhead = 2048;
  for (size_t line = 0; line < block_bytes; line += 64)
    _mm_prefetch(reinterpret_cast<const char*>(block) + kAhead + line, _MM_HINT_T0);
}

float vec_dot_q2_K(int64_t n, const void* weights, const void* activations) {
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m256i low2 = _mm256_set1_epi8(0x03);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const uint8_t* w = block_start<BlockQ2_K>(weights, b);
    prefetch_weights(w, sizeof(BlockQ2_K));
    const uint8_t* a = block_start<BlockQ8_K>(activations, b);
    const float a_d = load_float(a + offsetof(BlockQ8_K, d));
    const float d = a_d * load_half(w + offsetof(BlockQ2_K, d));
    const float dmin = -a_d * load_half(w + offsetof(BlockQ2_K, dmin));
    const __m128i packed = load128(w + offsetof(BlockQ2_K, scales));
    const __m128i scales = _mm_and_si128(packed, low4);
    const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), low4);
    const __m256i min_sums =
        _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins), load256(a + offsetof(BlockQ8_K, bsums)));
    const uint8_t* q8 = a + offsetof(BlockQ8_K, qs);
    __m256i sum = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i bits = load256(w + offsetof(BlockQ2_K, qs) + 32 * half);
      for (int group = 0; group < 4; ++group) {
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * group), low2);
        const __m256i products = _mm256_maddubs_epi16(q, load256(q8 + 128 * half + 32 * group));
        sum = Accumulate::scaled(sum, pair_scales_epi8(scales, 8 * half + 2 * group), products);
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(min_sums), acc);
  }
  return hsum_ps(acc);
}

float vec_dot_q3_K(int64_t n, const void* weights, const void* activations) {
  const __m256i low2 = _mm256_set1_epi8(0x03);
  const __m256i bit2 = _mm256_set1_epi8(0x04);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const uint8_t* w = block_start<BlockQ3_K>(weights, b);
    prefetch_weights(w, sizeof(BlockQ3_K));
    const uint8_t* a = block_start<BlockQ8_K>(activations, b);
    const float a_d = load_float(a + offsetof(BlockQ8_K, d));
    const float d = a_d * load_half(w + offsetof(BlockQ3_K, d));
    uint32_t biased[4];
    quant_k_detail::unpack_biased_scales_q3_K_words(w + offsetof(BlockQ3_K, scales), biased);
    const __m128i scales = _mm_sub_epi8(words_to_vector(biased), _mm_set1_epi8(32));
    // Quants are built as q + 4 in 0..7; subtract 4 * sum_k scale[k] * bsums[k] once.
    const __m256i offsets =
        _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales), load256(a + offsetof(BlockQ8_K, bsums)));
    __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offsets, 2));
    // Bit 0 of each byte of high_bits is the third bit of the next group's quants.
    __m256i high_bits = load256(w + offsetof(BlockQ3_K, hmask));
    const uint8_t* q8 = a + offsetof(BlockQ8_K, qs);
    for (int half = 0; half < 2; ++half) {
      const __m256i bits = load256(w + offsetof(BlockQ3_K, qs) + 32 * half);
      for (int group = 0; group < 4; ++group) {
        const __m256i low = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * group), low2);
        const __m256i high = _mm256_and_si256(_mm256_slli_epi16(high_bits, 2), bit2);
        high_bits = _mm256_srli_epi16(high_bits, 1);
        const __m256i q = _mm256_or_si256(low, high);
        const __m256i products = _mm256_maddubs_epi16(q, load256(q8 + 128 * half + 32 * group));
        sum = Accumulate::scaled(sum, pair_scales_epi8(scales, 8 * half + 2 * group), products);
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
  }
  return hsum_ps(acc);
}

// Q4_K/Q5_K share scales and nibble order; kFifthBit adds Q5_K's qh bit.
template <typename Block, bool kFifthBit>
float vec_dot_q4_q5_K(int64_t n, const void* weights, const void* activations) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  __m256 acc = _mm256_setzero_ps();
  __m128 acc_mins = _mm_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const uint8_t* w = block_start<Block>(weights, b);
    prefetch_weights(w, sizeof(Block));
    const uint8_t* a = block_start<BlockQ8_K>(activations, b);
    const float a_d = load_float(a + offsetof(BlockQ8_K, d));
    const float d = a_d * load_half(w + offsetof(Block, d));
    const float dmin = -a_d * load_half(w + offsetof(Block, dmin));
    uint32_t scales_mins_words[4];
    quant_k_detail::unpack_scales_mins_q4_K_words(w + offsetof(Block, scales), scales_mins_words);
    const __m256i scales_mins = _mm256_cvtepu8_epi16(words_to_vector(scales_mins_words));
    // Mins: sub-block j covers bsums 2j and 2j + 1.
    const __m128i bsums32 = _mm_hadd_epi16(load128(a + offsetof(BlockQ8_K, bsums)),
                                           load128(a + offsetof(BlockQ8_K, bsums) + 16));
    const __m128i min_sums = _mm_madd_epi16(_mm256_extracti128_si256(scales_mins, 1), bsums32);
    acc_mins = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(min_sums), acc_mins);

    const __m256i scales = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(scales_mins));
    __m256i high_bits = _mm256_setzero_si256();
    if constexpr (kFifthBit) high_bits = load256(w + offsetof(Block, qh));
    const uint8_t* qs = w + offsetof(Block, qs);
    const uint8_t* q8 = a + offsetof(BlockQ8_K, qs);
    __m256i sum = _mm256_setzero_si256();
    for (int pair = 0; pair < 4; ++pair) {
      const __m256i bits = load256(qs + 32 * pair);
      __m256i q_low = _mm256_and_si256(bits, low4);
      __m256i q_high = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
      if constexpr (kFifthBit) {  // bit 2*pair (then 2*pair + 1) of qh -> bit 4
        q_low = _mm256_or_si256(q_low, _mm256_and_si256(_mm256_slli_epi16(high_bits, 4), bit4));
        q_high = _mm256_or_si256(q_high, _mm256_and_si256(_mm256_slli_epi16(high_bits, 3), bit4));
        high_bits = _mm256_srli_epi16(high_bits, 2);
      }
      const __m256i products_low = _mm256_maddubs_epi16(q_low, load256(q8 + 64 * pair));
      const __m256i products_high = _mm256_maddubs_epi16(q_high, load256(q8 + 64 * pair + 32));
      sum = Accumulate::scaled(sum, broadcast_epi16(scales, 2 * pair), products_low);
      sum = Accumulate::scaled(sum, broadcast_epi16(scales, 2 * pair + 1), products_high);
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
  }
  acc_mins = _mm_add_ps(acc_mins, _mm_movehl_ps(acc_mins, acc_mins));
  acc_mins = _mm_add_ss(acc_mins, _mm_movehdup_ps(acc_mins));
  return hsum_ps(acc) + _mm_cvtss_f32(acc_mins);
}

float vec_dot_q4_K(int64_t n, const void* weights, const void* activations) {
  return vec_dot_q4_q5_K<BlockQ4_K, false>(n, weights, activations);
}

float vec_dot_q5_K(int64_t n, const void* weights, const void* activations) {
  return vec_dot_q4_q5_K<BlockQ5_K, true>(n, weights, activations);
}

float vec_dot_q6_K(int64_t n, const void* weights, const void* activations) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const uint8_t* w = block_start<BlockQ6_K>(weights, b);
    prefetch_weights(w, sizeof(BlockQ6_K));
    const uint8_t* a = block_start<BlockQ8_K>(activations, b);
    const float a_d = load_float(a + offsetof(BlockQ8_K, d));
    const float d = a_d * load_half(w + offsetof(BlockQ6_K, d));
    const __m128i scales = load128(w + offsetof(BlockQ6_K, scales));
    // Quants are built as q + 32 in 0..63; subtract 32 * sum_k scale[k] * bsums[k] once.
    const __m256i offsets =
        _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales), load256(a + offsetof(BlockQ8_K, bsums)));
    __m256i sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offsets, 5));
    const uint8_t* q8 = a + offsetof(BlockQ8_K, qs);
    for (int half = 0; half < 2; ++half) {
      // ql: groups 0 and 2 (low, high nibbles), then groups 1 and 3; qh: bits 2g..2g+1 of g.
      const __m256i low_a = load256(w + offsetof(BlockQ6_K, ql) + 64 * half);
      const __m256i low_b = load256(w + offsetof(BlockQ6_K, ql) + 64 * half + 32);
      const __m256i high = load256(w + offsetof(BlockQ6_K, qh) + 32 * half);
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(low_a, low4),
                             _mm256_and_si256(_mm256_slli_epi16(high, 4), bits45));
      q[1] = _mm256_or_si256(_mm256_and_si256(low_b, low4),
                             _mm256_and_si256(_mm256_slli_epi16(high, 2), bits45));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low_a, 4), low4),
                             _mm256_and_si256(high, bits45));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low_b, 4), low4),
                             _mm256_and_si256(_mm256_srli_epi16(high, 2), bits45));
      for (int group = 0; group < 4; ++group) {
        const __m256i products =
            _mm256_maddubs_epi16(q[group], load256(q8 + 128 * half + 32 * group));
        sum = Accumulate::scaled(sum, pair_scales_epi8(scales, 8 * half + 2 * group), products);
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
  }
  return hsum_ps(acc);
}

// Same result as the scalar quantize_row_q8_K, bit for bit, for all inputs without NaN: the
// value of largest magnitude (first one on ties) maps to -127, quants round half to even (cvtps
// uses the same rounding mode as lrintf), bsums are exact integer sums, and the same blocks
// become all zero. (With NaN inputs both are memory-safe but may differ.)
void quantize_row_q8_K(const float* src, void* dst, int64_t n) {
  const __m256i dword_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < n / kBlockK; ++b) {
    const float* x = src + b * kBlockK;
    uint8_t* block = static_cast<uint8_t*>(dst) + b * static_cast<int64_t>(sizeof(BlockQ8_K));
    uint8_t* qs = block + offsetof(BlockQ8_K, qs);
    uint8_t* bsums_out = block + offsetof(BlockQ8_K, bsums);
    __m256 max_v = _mm256_loadu_ps(x), min_v = max_v;
    for (int i = 8; i < kBlockK; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      max_v = _mm256_max_ps(max_v, v);
      min_v = _mm256_min_ps(min_v, v);
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(max_v), _mm256_extractf128_ps(max_v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    const float max_value = _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
    m = _mm_min_ps(_mm256_castps256_ps128(min_v), _mm256_extractf128_ps(min_v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    const float min_value = _mm_cvtss_f32(_mm_min_ss(m, _mm_movehdup_ps(m)));
    float max = max_value > -min_value ? max_value : min_value;
    if (max_value == -min_value) {  // +v and -v both present (or all zero): first one wins
      for (int i = 0; i < kBlockK; ++i) {
        if (x[i] == max_value || x[i] == min_value) {
          max = x[i];
          break;
        }
      }
    }
    const float iscale = max != 0.0f ? -127.0f / max : 0.0f;
    if (!quant_k_detail::q8_K_scale_usable(iscale)) {
      std::memset(block, 0, sizeof(BlockQ8_K));
      continue;
    }
    const __m256 scale_v = _mm256_set1_ps(iscale);
    for (int half = 0; half < 2; ++half) {
      __m256i sums[4];
      for (int v = 0; v < 4; ++v) {
        const float* xv = x + 128 * half + 32 * v;
        const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv), scale_v));
        const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 8), scale_v));
        const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 16), scale_v));
        const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 24), scale_v));
        // packs work per 128-bit lane; dword_order restores element order. Saturation caps at
        // 127 like the scalar min(127, q).
        const __m256i q = _mm256_permutevar8x32_epi32(
            _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3)),
            dword_order);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 128 * half + 32 * v), q);
        // Lanes 0-3: sums of 4 quants of elements 0-15; lanes 4-7: of elements 16-31.
        sums[v] = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, q), ones16);
      }
      // After two hadds: [s0, s2, s4, s6 | s1, s3, s5, s7] (s = sums of 16); reorder, narrow.
      const __m256i pairs =
          _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(_mm256_hadd_epi32(sums[0], sums[1]),
                                                        _mm256_hadd_epi32(sums[2], sums[3])),
                                      dword_order);
      const __m128i bsums =
          _mm_packs_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(bsums_out + 16 * half), bsums);
    }
    const float d = 1.0f / iscale;
    std::memcpy(block + offsetof(BlockQ8_K, d), &d, sizeof d);
  }
}

}  // namespace
}  // namespace parley::kernels

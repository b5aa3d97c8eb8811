// AVX-512 (F/BW/VL/DQ + VNNI) dot products for the legacy 32-element blocks (Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0) with Q8_0 activations.
//
// The logic follows quant_legacy_avx2.cc, two blocks per 512-bit register:
//   1. unpack two weight blocks into 64 bytes in activation order (block A in bytes 0..31,
//      block B in 32..63; low nibbles are elements 0..15, high nibbles 16..31); the Q5 fifth
//      bits become a 64-bit mask register (bit i <-> byte i);
//   2. VNNI dpbusd multiplies unsigned weight bytes by signed activation bytes and sums groups
//      of four into int32 with no saturation. Offsets are removed exactly in int32:
//        Q4_0: sum((q - 8) a) = sum(q a) - sum(8 a);   Q5_0: sum(q a) - sum(16 a);
//      Q8_0 uses the sign trick (|w| times sign(w) * a), exact since activations are in
//      [-127, 127] (quantize_row_q8_0 never writes -128). Q4_1/Q5_1 add m_w * d_a * sum(a).
//   3. int32 lanes 0..7 belong to block A and 8..15 to block B: converted to float and scaled
//      by [d_A x 8, d_B x 8] into one of two accumulators (four blocks per iteration).
// An odd last block is processed as the pair (last, last) with a zero scale for the copy.
//
// The Q8_0 activation quantizer is inherited from the AVX2 level. Results equal
// vec_dot_*_scalar up to float summation order. Pointers need no alignment; n is a multiple of
// 32. Nothing allocates or throws.
// GCC 12 warns about the deliberately undefined upper lanes inside its own AVX-512 intrinsics
// (_mm512_undefined_*, GCC bug 105593); the warning points into the header, so silence it there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/kernel_table.h"
#include "kernels/quant_blocks.h"

namespace parley::kernels {
namespace {

constexpr size_t kQ8Qs = offsetof(BlockQ8_0, qs);
constexpr size_t kMinOffset = 2;  // byte offset of m in Q4_1 / Q5_1

inline float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

inline __m128i load_16_bytes(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

inline __m256i load_32_bytes(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// 32 bytes at pa, then 32 bytes at pb.
inline __m512i load_pair(const uint8_t* pa, const uint8_t* pb) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(load_32_bytes(pa)), load_32_bytes(pb), 1);
}

// 16 packed bytes of each block -> 64 bytes in [0, 15]: per block, low nibbles then high ones.
inline __m512i unpack_nibbles_pair(const uint8_t* qa, const uint8_t* qb) {
  const __m512i both =
      _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_broadcastsi128_si256(load_16_bytes(qa))),
                         _mm256_broadcastsi128_si256(load_16_bytes(qb)), 1);
  const __m512i shifted = _mm512_srlv_epi64(both, _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4));
  return _mm512_and_si512(shifted, _mm512_set1_epi8(0x0F));
}

// The 32 fifth bits of each block as one mask: bit i set where byte i gets 16 added.
inline __mmask64 high_bits_pair(const uint8_t* ha, const uint8_t* hb) {
  uint32_t bits_a, bits_b;
  std::memcpy(&bits_a, ha, sizeof bits_a);
  std::memcpy(&bits_b, hb, sizeof bits_b);
  return static_cast<__mmask64>(static_cast<uint64_t>(bits_a) | static_cast<uint64_t>(bits_b)
                                                                    << 32);
}

// int32 sums of 4 consecutive products q * a, q unsigned bytes, a signed bytes.
inline __m512i dot_unsigned(__m512i q, __m512i act) {
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, act);
}

// int32 sums of 4 consecutive products (q - offset) * a.
inline __m512i dot_with_offset(__m512i q, __m512i act, char offset) {
  return _mm512_sub_epi32(dot_unsigned(q, act), dot_unsigned(_mm512_set1_epi8(offset), act));
}

inline __m512i sum_activations(__m512i act) {
  return dot_unsigned(_mm512_set1_epi8(1), act);
}

// One pair of blocks per weight type: w and w + next_bytes (next_bytes is 0 for the padded
// last pair). Returns the 16 int32 partial sums of q_w * q_a.
struct Q4_0Pair {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static constexpr bool kHasMin = false;
  static __m512i dot(const uint8_t* w, size_t next_bytes, __m512i act) {
    constexpr size_t qs = offsetof(BlockQ4_0, qs);
    return dot_with_offset(unpack_nibbles_pair(w + qs, w + next_bytes + qs), act, 8);
  }
};

struct Q4_1Pair {
  static constexpr size_t kBytes = sizeof(BlockQ4_1);
  static constexpr bool kHasMin = true;
  static __m512i dot(const uint8_t* w, size_t next_bytes, __m512i act) {
    constexpr size_t qs = offsetof(BlockQ4_1, qs);
    return dot_unsigned(unpack_nibbles_pair(w + qs, w + next_bytes + qs), act);
  }
};

template <typename Block>
inline __m512i unpack_five_bits_pair(const uint8_t* w, size_t next_bytes) {
  constexpr size_t qs = offsetof(Block, qs);
  constexpr size_t qh = offsetof(Block, qh);
  const __m512i low = unpack_nibbles_pair(w + qs, w + next_bytes + qs);
  const __mmask64 high = high_bits_pair(w + qh, w + next_bytes + qh);
  return _mm512_mask_add_epi8(low, high, low, _mm512_set1_epi8(16));  // values in [0, 31]
}

struct Q5_0Pair {
  static constexpr size_t kBytes = sizeof(BlockQ5_0);
  static constexpr bool kHasMin = false;
  static __m512i dot(const uint8_t* w, size_t next_bytes, __m512i act) {
    return dot_with_offset(unpack_five_bits_pair<BlockQ5_0>(w, next_bytes), act, 16);
  }
};

struct Q5_1Pair {
  static constexpr size_t kBytes = sizeof(BlockQ5_1);
  static constexpr bool kHasMin = true;
  static __m512i dot(const uint8_t* w, size_t next_bytes, __m512i act) {
    return dot_unsigned(unpack_five_bits_pair<BlockQ5_1>(w, next_bytes), act);
  }
};

struct Q8_0Pair {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static constexpr bool kHasMin = false;
  static __m512i dot(const uint8_t* w, size_t next_bytes, __m512i act) {
    const __m512i q = load_pair(w + kQ8Qs, w + next_bytes + kQ8Qs);
    // |q| as unsigned bytes (128 for -128), and a negated where q < 0.
    const __m512i magnitude = _mm512_abs_epi8(q);
    const __m512i signed_act =
        _mm512_mask_sub_epi8(act, _mm512_movepi8_mask(q), _mm512_setzero_si512(), act);
    return dot_unsigned(magnitude, signed_act);
  }
};

// Scales of a pair as [s[first] x 8, s[first + 1] x 8] from a vector of four.
inline __m512 pair_scale(__m128 four, int first) {
  const __m512i index = _mm512_setr_epi32(first, first, first, first, first, first, first, first,
                                          first + 1, first + 1, first + 1, first + 1, first + 1,
                                          first + 1, first + 1, first + 1);
  return _mm512_permutexvar_ps(index, _mm512_castps128_ps512(four));
}

template <typename Pair>
inline __m512 accumulate_pair(const uint8_t* w, size_t w_next, const uint8_t* a, size_t a_next,
                              __m512 scale, __m512 min_scale, __m512 acc) {
  const __m512i act = load_pair(a + kQ8Qs, a + a_next + kQ8Qs);
  acc = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(Pair::dot(w, w_next, act)), acc);
  if constexpr (Pair::kHasMin) {
    acc = _mm512_fmadd_ps(min_scale, _mm512_cvtepi32_ps(sum_activations(act)), acc);
  }
  return acc;
}

// The half at the same offset of 4 consecutive blocks, as floats.
template <size_t kStride>
inline __m128 four_halves(const uint8_t* p) {
  uint16_t h[4];
  for (int k = 0; k < 4; ++k) std::memcpy(&h[k], p + k * kStride, sizeof h[k]);
  uint64_t bits;
  std::memcpy(&bits, h, sizeof bits);
  return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(bits)));
}

template <typename Pair>
float vec_dot(int64_t n, const void* weights, const void* activations) {
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(activations);
  constexpr size_t kW = Pair::kBytes;
  constexpr size_t kA = sizeof(BlockQ8_0);
  const int64_t blocks = n / kBlockLegacy;
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  const __m512 no_min = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4, w += 4 * kW, a += 4 * kA) {
    const __m128 da = four_halves<kA>(a);
    const __m128 scale = _mm_mul_ps(four_halves<kW>(w), da);
    __m128 min_scale = _mm_setzero_ps();
    if constexpr (Pair::kHasMin) min_scale = _mm_mul_ps(four_halves<kW>(w + kMinOffset), da);
    acc0 = accumulate_pair<Pair>(w, kW, a, kA, pair_scale(scale, 0),
                                 Pair::kHasMin ? pair_scale(min_scale, 0) : no_min, acc0);
    acc1 = accumulate_pair<Pair>(w + 2 * kW, kW, a + 2 * kA, kA, pair_scale(scale, 2),
                                 Pair::kHasMin ? pair_scale(min_scale, 2) : no_min, acc1);
  }
  // 1 to 3 blocks left: pairs, the last one possibly (block, same block) with scale 0 for the
  // copy so that it adds nothing.
  while (b < blocks) {
    const bool both = b + 1 < blocks;
    const size_t w_next = both ? kW : 0;
    const size_t a_next = both ? kA : 0;
    const float da0 = half_at(a);
    const float da1 = both ? half_at(a + a_next) : 0.0f;
    const __m128 scale = _mm_setr_ps(half_at(w) * da0, half_at(w + w_next) * da1, 0.0f, 0.0f);
    __m128 min_scale = _mm_setzero_ps();
    if constexpr (Pair::kHasMin) {
      min_scale = _mm_setr_ps(half_at(w + kMinOffset) * da0, half_at(w + w_next + kMinOffset) * da1,
                              0.0f, 0.0f);
    }
    acc0 = accumulate_pair<Pair>(w, w_next, a, a_next, pair_scale(scale, 0),
                                 pair_scale(min_scale, 0), acc0);
    if (!both) break;
    b += 2;
    w += 2 * kW;
    a += 2 * kA;
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

}  // namespace

void register_quant_legacy_avx512(KernelTable& table) {
  table.vec_dot[slot(DType::Q4_0)] = vec_dot<Q4_0Pair>;
  table.vec_dot[slot(DType::Q4_1)] = vec_dot<Q4_1Pair>;
  table.vec_dot[slot(DType::Q5_0)] = vec_dot<Q5_0Pair>;
  table.vec_dot[slot(DType::Q5_1)] = vec_dot<Q5_1Pair>;
  table.vec_dot[slot(DType::Q8_0)] = vec_dot<Q8_0Pair>;
}

}  // namespace parley::kernels

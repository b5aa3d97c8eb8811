// AVX2 + FMA + F16C kernels for the legacy 32-element blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0)
// with Q8_0 activations, and the AVX2 Q8_0 activation quantizer.
//
// Every dot product works the same way, one 32-byte register per block:
//   1. unpack the weight quants to 32 bytes in activation order (low nibbles are elements
//      0..15, high nibbles 16..31; Q5 adds the fifth bit from qh);
//   2. integer products with maddubs (unsigned x signed bytes -> int16 pair sums) and madd:
//      Q4_1/Q5_1 quants are unsigned already; Q4_0/Q5_0 subtract maddubs(8 or 16, a) from
//      maddubs(q, a); Q8_0 uses the sign trick (|w| as unsigned times sign(w) * a). All exact:
//      the activations lie in [-127, 127] (quantize_row_q8_0 never writes -128), so no int16
//      pair sum can saturate;
//   3. eight int32 partial sums -> float, times d_w * d_a, added into one of four independent
//      accumulators (four blocks per loop iteration hide the FMA latency).
// Q4_1/Q5_1 also need m_w * d_a * sum(a): the activation sum comes from a maddubs with ones.
//
// Results equal vec_dot_*_scalar up to float summation order. Pointers need no alignment;
// n is a multiple of 32. Nothing allocates or throws.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/fp16.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_blocks.h"

namespace parley::kernels {
namespace {

constexpr size_t kQ8Qs = offsetof(BlockQ8_0, qs);

inline float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof h);
  return _cvtsh_ss(h);
}

inline __m256i load_32_bytes(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// 16 packed bytes -> 32 bytes in [0, 15]: low nibbles first, then high nibbles.
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m256i both =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  const __m256i shifted = _mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4));
  return _mm256_and_si256(shifted, _mm256_set1_epi8(0x0F));
}

// 32 bits -> 32 bytes, 0xFF where bit i is set.
inline __m256i expand_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  // Byte i takes byte i / 8 of the word (both 128-bit lanes hold the whole word).
  const __m256i spread =
      _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                          _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                           2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

// Sums of 4 consecutive products w*a per int32 lane; w unsigned [0, 255] with w*a pairs
// fitting int16 (true for w <= 128 and |a| <= 127).
inline __m256i dot_unsigned(__m256i w, __m256i a) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), _mm256_set1_epi16(1));
}

// Same for signed w in [-128, 127], a in [-127, 127].
inline __m256i dot_signed(__m256i w, __m256i a) {
  return dot_unsigned(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

// Sums of 4 consecutive products (q - offset) * a per int32 lane, q in [0, 31]: the offset is
// removed from the exact int16 pair sums (|q a + q' a'| <= 31 * 128 * 2), which is cheaper
// than the sign trick.
inline __m256i dot_with_offset(__m256i q, __m256i a, char offset) {
  const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(q, a),
                                         _mm256_maddubs_epi16(_mm256_set1_epi8(offset), a));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// Sums of 4 consecutive activation quants per int32 lane.
inline __m256i sum_activations(__m256i a) {
  return dot_unsigned(_mm256_set1_epi8(1), a);
}

inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// One block of each weight type: the 8 int32 partial sums of q_w * q_a. Q4_1/Q5_1 have a
// minimum (kHasMin) and also need the activation sum.
struct Q4_0Block {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static constexpr bool kHasMin = false;
  static __m256i dot(const uint8_t* w, __m256i act) {
    return dot_with_offset(unpack_nibbles(w + offsetof(BlockQ4_0, qs)), act, 8);
  }
};

struct Q4_1Block {
  static constexpr size_t kBytes = sizeof(BlockQ4_1);
  static constexpr bool kHasMin = true;
  static __m256i dot(const uint8_t* w, __m256i act) {
    return dot_unsigned(unpack_nibbles(w + offsetof(BlockQ4_1, qs)), act);
  }
};

struct Q5_0Block {
  static constexpr size_t kBytes = sizeof(BlockQ5_0);
  static constexpr bool kHasMin = false;
  static __m256i dot(const uint8_t* w, __m256i act) {
    const __m256i high =
        _mm256_and_si256(expand_bits(w + offsetof(BlockQ5_0, qh)), _mm256_set1_epi8(0x10));
    return dot_with_offset(_mm256_or_si256(unpack_nibbles(w + offsetof(BlockQ5_0, qs)), high), act,
                           16);
  }
};

struct Q5_1Block {
  static constexpr size_t kBytes = sizeof(BlockQ5_1);
  static constexpr bool kHasMin = true;
  static __m256i dot(const uint8_t* w, __m256i act) {
    const __m256i high =
        _mm256_and_si256(expand_bits(w + offsetof(BlockQ5_1, qh)), _mm256_set1_epi8(0x10));
    return dot_unsigned(_mm256_or_si256(unpack_nibbles(w + offsetof(BlockQ5_1, qs)), high), act);
  }
};

struct Q8_0Block {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static constexpr bool kHasMin = false;
  static __m256i dot(const uint8_t* w, __m256i act) {
    return dot_signed(load_32_bytes(w + kQ8Qs), act);
  }
};

// acc += scale * dot + min_scale * sum(a) for one block; the scales are read from memory so
// that the broadcasts are plain loads.
template <typename Block>
inline __m256 accumulate(const uint8_t* w, const uint8_t* a, const float* scale,
                         const float* min_scale, __m256 acc) {
  const __m256i act = load_32_bytes(a + kQ8Qs);
  acc = _mm256_fmadd_ps(_mm256_broadcast_ss(scale), _mm256_cvtepi32_ps(Block::dot(w, act)), acc);
  if constexpr (Block::kHasMin) {
    acc = _mm256_fmadd_ps(_mm256_broadcast_ss(min_scale), _mm256_cvtepi32_ps(sum_activations(act)),
                          acc);
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

template <typename Block>
float vec_dot(int64_t n, const void* weights, const void* activations) {
  constexpr int kPrefetchBytes = 2048;
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(activations);
  constexpr size_t kW = Block::kBytes;
  constexpr size_t kA = sizeof(BlockQ8_0);
  constexpr size_t kMin = 2;  // byte offset of m in Q4_1/Q5_1
  const int64_t blocks = n / kBlockLegacy;
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps();
  __m256 acc3 = _mm256_setzero_ps();
  alignas(16) float scale[4];
  alignas(16) float min_scale[4] = {};
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4, w += 4 * kW, a += 4 * kA) {
    // Weights stream from DRAM once per token: ask for them ahead of the hardware prefetcher.
    _mm_prefetch(reinterpret_cast<const char*>(w) + kPrefetchBytes, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(w) + kPrefetchBytes + 64, _MM_HINT_T0);
    const __m128 da = four_halves<kA>(a);
    _mm_store_ps(scale, _mm_mul_ps(four_halves<kW>(w), da));
    if constexpr (Block::kHasMin)
      _mm_store_ps(min_scale, _mm_mul_ps(four_halves<kW>(w + kMin), da));
    acc0 = accumulate<Block>(w, a, &scale[0], &min_scale[0], acc0);
    acc1 = accumulate<Block>(w + kW, a + kA, &scale[1], &min_scale[1], acc1);
    acc2 = accumulate<Block>(w + 2 * kW, a + 2 * kA, &scale[2], &min_scale[2], acc2);
    acc3 = accumulate<Block>(w + 3 * kW, a + 3 * kA, &scale[3], &min_scale[3], acc3);
  }
  for (; b < blocks; ++b, w += kW, a += kA) {
    const float da = half_at(a);
    scale[0] = half_at(w) * da;
    if constexpr (Block::kHasMin) min_scale[0] = half_at(w + kMin) * da;
    acc0 = accumulate<Block>(w, a, &scale[0], &min_scale[0], acc0);
  }
  return horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

// roundf semantics (half away from zero) for |x| < 2^23, matching the scalar quantizer exactly
// (_mm256_round_ps would round half to even).
inline __m256 round_half_away(__m256 x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 magnitude = _mm256_andnot_ps(sign_bit, x);
  const __m256 whole = _mm256_round_ps(magnitude, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_sub_ps(magnitude, whole);  // exact
  const __m256 up =
      _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), _mm256_set1_ps(1.0f));
  return _mm256_or_ps(_mm256_add_ps(whole, up), _mm256_and_ps(x, sign_bit));
}

// Bit-identical to quantize_row_q8_0 for finite input.
void quantize_row_q8_0_avx2(const float* src, void* dst, int64_t n) {
  auto* out = static_cast<uint8_t*>(dst);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / kBlockLegacy; ++b, src += kBlockLegacy, out += sizeof(BlockQ8_0)) {
    __m256 v[4];
    for (int k = 0; k < 4; ++k) v[k] = _mm256_loadu_ps(src + 8 * k);
    const __m256 max8 = _mm256_max_ps(
        _mm256_max_ps(_mm256_andnot_ps(sign_bit, v[0]), _mm256_andnot_ps(sign_bit, v[1])),
        _mm256_max_ps(_mm256_andnot_ps(sign_bit, v[2]), _mm256_andnot_ps(sign_bit, v[3])));
    __m128 max4 = _mm_max_ps(_mm256_castps256_ps128(max8), _mm256_extractf128_ps(max8, 1));
    max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
    max4 = _mm_max_ss(max4, _mm_movehdup_ps(max4));
    const float amax = _mm_cvtss_f32(max4);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const uint16_t d_half = fp32_to_fp16(d);
    std::memcpy(out, &d_half, sizeof d_half);

    const __m256 scale = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) {
      q[k] = _mm256_cvttps_epi32(round_half_away(_mm256_mul_ps(v[k], scale)));
    }
    // packs work per 128-bit lane: the result holds 4-value groups in order 0 4 1 5 2 6 3 7.
    const __m256i packed =
        _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    const __m256i ordered =
        _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + kQ8Qs), ordered);
  }
}

}  // namespace

void register_quant_legacy_avx2(KernelTable& table) {
  table.vec_dot[slot(DType::Q4_0)] = vec_dot<Q4_0Block>;
  table.vec_dot[slot(DType::Q4_1)] = vec_dot<Q4_1Block>;
  table.vec_dot[slot(DType::Q5_0)] = vec_dot<Q5_0Block>;
  table.vec_dot[slot(DType::Q5_1)] = vec_dot<Q5_1Block>;
  table.vec_dot[slot(DType::Q8_0)] = vec_dot<Q8_0Block>;
  table.quantize_row[slot(DType::Q8_0)] = quantize_row_q8_0_avx2;
}

}  // namespace parley::kernels

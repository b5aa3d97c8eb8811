// AVX2+FMA+F16C tile products (kernel_table.h: gemm_tile) for the weight types of the common
// GGUF mixes: Q4_0, Q8_0 (Q8_0 activations) and Q4_K, Q6_K (Q8_K activations, the Q4_K_M mix).
// Other dtypes keep the vec_dot loop of qgemm_scalar.cc over this level's vec_dot.
//
// Why: a per-row vec_dot unpacks every weight block once per activation row and ends every
// block with a horizontal float reduction. Here each weight block is unpacked once per tile and
// reused for every activation row of the tile. Two layouts:
//
//   legacy (32-value blocks, one f16 scale each; gemm_tile_lanes): rows in lanes. Groups of
//     eight rows are repacked (a chunk of blocks at a time, into an L1-sized stack buffer) so
//     that one 32-bit lane holds one row; a broadcast 4-byte activation group meets eight rows
//     at once and the per-block scales are one vector multiply for eight rows. No horizontal
//     sums; the outputs of eight rows are one store. Integer details next to Q4_0Lanes.
//   K-quants (256-value super-blocks, 16-bit sub-block scales; gemm_tile<Kernel>): a micro
//     kernel takes kRows = 2 rows x kBatch = 4 activation rows, builds each 32-value group of
//     quants once and multiplies it with the four activation groups (maddubs: unsigned quants
//     <= 63 x signed Q8_K bytes, no saturation), madd with the sub-block scales into int32 per
//     super-block; offsets (Q6_K: -32) and mins (Q4_K) go through the activations' bsums; one
//     FMA with d_w * d_a per super-block. Edge sub-tiles use smaller instantiations.
//
// The integer sums equal vec_dot's; only the float summation order differs (tested against the
// scalar loop in tests/kernels/qgemm_test.cc). Any rows, batch >= 0; pointers need no alignment.
// Nothing allocates: the repacking buffer (~20 KiB) and accumulators live on the stack.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "kernels/qgemm_internal.h"
#include "kernels/quant_blocks.h"
#include "kernels/quant_k_internal.h"

namespace parley::kernels {
namespace {

inline __m256i load256(const uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
inline __m128i load128(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
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
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Arguments every micro kernel shares: rows/activations start at the sub-tile.
struct TileArgs {
  int64_t blocks;  // blocks (legacy) or super-blocks (K) per row
  const uint8_t* w;
  int64_t w_row_bytes;
  const uint8_t* a;
  int64_t a_row_bytes;
  float* y;
  int64_t y_stride;
};

template <int kRows, int kBatch>
inline void store_tile(const __m256 (&acc)[kRows][kBatch], const TileArgs& t) {
  for (int r = 0; r < kRows; ++r) {
    for (int b = 0; b < kBatch; ++b) t.y[b * t.y_stride + r] = hsum(acc[r][b]);
  }
}

// ---- legacy blocks with Q8_0 activations: eight weight rows in the eight lanes --------------
//
// Eight rows are repacked, a chunk of blocks at a time, into a small buffer that stays in L1:
// for each block, eight vectors where vector g holds quants 4g..4g+3 of row 0, row 1, ... row 7
// (an 8 x 8 transpose of 4-byte groups). Each activation block's 4-byte group g is broadcast
// to all lanes (one shuffle, shared by the eight rows), so every 32-bit lane accumulates its own
// row's dot product: no horizontal sums, and the block scales are one vector multiply for eight
// rows. The repacking is paid once per tile and reused for every activation row.
//
//   Q4_0: quants w = nibble - 8 in [-8, 7] meet a + 128 in [1, 255] (unsigned, a xor 0x80):
//     maddubs pairs lie in [-4080, 3570], so the eight groups of a block add up in int16
//     without overflow (|sum| <= 32640); one madd then gives sum (a + 128) w per row, and the
//     row's 128 * sum(w), computed while repacking, is subtracted.
//   Q8_0: |w| (unsigned) meets sign(a, w) per group, madd per group (pairs up to 32512).

constexpr size_t kQ8_0Qs = offsetof(BlockQ8_0, qs);
constexpr int kLaneRows = 8;
constexpr int64_t kLaneBatch = 64;  // activation rows whose accumulators one pass keeps

// 8 x 8 transpose of 32-bit groups: out[g] lane r = in[r] group g.
inline void transpose_groups(const __m256i (&in)[8], __m256i (&out)[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(in[2 * i], in[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {  // rows 4i..4i+3: u[4i + j] = groups j (low half), j + 4 (high)
    u[4 * i + 0] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int j = 0; j < 4; ++j) {
    out[j] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x20);
    out[j + 4] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x31);
  }
}

// The eight half scales at byte `offset` of blocks `stride` bytes apart, as floats; rows past
// `count` get 0.
inline __m256 eight_halves(const uint8_t* first, int64_t stride, int count) {
  alignas(16) uint16_t h[8] = {};
  for (int r = 0; r < count; ++r) std::memcpy(&h[r], first + r * stride, sizeof h[r]);
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
}

// Activation group g (4 bytes) of a 32-byte block in every lane; `low`/`high` hold bytes 0..15
// and 16..31 in both 128-bit halves.
template <int kGroup>
inline __m256i broadcast_group(__m256i low, __m256i high) {
  constexpr int kLane = kGroup % 4;
  return _mm256_shuffle_epi32(kGroup < 4 ? low : high, kLane * 0x55);
}
inline __m256i load_halves_repeated(const uint8_t* p) {
  return _mm256_broadcastsi128_si256(load128(p));
}

// Rows of group `group` (of eight) that exist when `rows` rows remain.
inline int rows_in_group(int rows, int group) {
  return std::clamp(rows - kLaneRows * group, 0, kLaneRows);
}

// kGroups groups of eight rows share each broadcast activation group.
struct Q4_0Lanes {
  static constexpr size_t kBytes = sizeof(BlockQ4_0);
  static constexpr int kGroups = 2;
  static constexpr int64_t kChunkBlocks = 32;  // 20 KiB of repacked rows
  struct Packed {
    __m256i quants[kChunkBlocks][kGroups][8];    // signed q - 8, transposed
    __m256 scales[kChunkBlocks][kGroups];        // d of the eight rows
    __m256i corrections[kChunkBlocks][kGroups];  // 128 * sum(q - 8) of the eight rows
  };

  static void pack(const uint8_t* w, int64_t w_row_bytes, int rows, int64_t first_block,
                   int64_t blocks, Packed& p) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t k = 0; k < blocks; ++k) {
      for (int group = 0; group < kGroups; ++group) {
        const int count = rows_in_group(rows, group);
        const uint8_t* block0 =
            w + kLaneRows * group * w_row_bytes + (first_block + k) * static_cast<int64_t>(kBytes);
        __m256i q[8];
        for (int r = 0; r < 8; ++r) {
          if (r < count) {
            const __m256i both = load_halves_repeated(block0 + r * w_row_bytes + 2);
            q[r] = _mm256_sub_epi8(
                _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)),
                                 _mm256_set1_epi8(0x0F)),
                _mm256_set1_epi8(8));
          } else {
            q[r] = _mm256_setzero_si256();
          }
        }
        __m256i(&quants)[8] = p.quants[k][group];
        transpose_groups(q, quants);
        __m256i sums16 = _mm256_setzero_si256();  // per lane: sums of q over groups, |.| <= 256
        for (int g = 0; g < 8; ++g) {
          sums16 = _mm256_add_epi16(sums16, _mm256_maddubs_epi16(_mm256_set1_epi8(1), quants[g]));
        }
        p.corrections[k][group] = _mm256_slli_epi32(_mm256_madd_epi16(sums16, ones), 7);
        p.scales[k][group] = eight_halves(block0, w_row_bytes, count);
      }
    }
  }

  // Each group's eight integer dot products with one activation block.
  static void dot(const Packed& p, int64_t k, const uint8_t* a_qs, __m256i (&out)[kGroups]) {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    const __m256i low = _mm256_xor_si256(load_halves_repeated(a_qs), flip);
    const __m256i high = _mm256_xor_si256(load_halves_repeated(a_qs + 16), flip);
    const __m256i act[8] = {broadcast_group<0>(low, high), broadcast_group<1>(low, high),
                            broadcast_group<2>(low, high), broadcast_group<3>(low, high),
                            broadcast_group<4>(low, high), broadcast_group<5>(low, high),
                            broadcast_group<6>(low, high), broadcast_group<7>(low, high)};
    for (int group = 0; group < kGroups; ++group) {
      const __m256i(&quants)[8] = p.quants[k][group];
      __m256i sum = _mm256_maddubs_epi16(act[0], quants[0]);
      for (int g = 1; g < 8; ++g) {
        sum = _mm256_add_epi16(sum, _mm256_maddubs_epi16(act[g], quants[g]));
      }
      out[group] =
          _mm256_sub_epi32(_mm256_madd_epi16(sum, _mm256_set1_epi16(1)), p.corrections[k][group]);
    }
  }
};

struct Q8_0Lanes {
  static constexpr size_t kBytes = sizeof(BlockQ8_0);
  static constexpr int kGroups = 1;
  static constexpr int64_t kChunkBlocks = 32;  // 17 KiB of repacked rows
  struct Packed {
    __m256i quants[kChunkBlocks][kGroups][8];      // signed w, transposed
    __m256i magnitudes[kChunkBlocks][kGroups][8];  // |w| (-128 -> 128 unsigned)
    __m256 scales[kChunkBlocks][kGroups];
  };

  static void pack(const uint8_t* w, int64_t w_row_bytes, int rows, int64_t first_block,
                   int64_t blocks, Packed& p) {
    for (int64_t k = 0; k < blocks; ++k) {
      const uint8_t* block0 = w + (first_block + k) * static_cast<int64_t>(kBytes);
      __m256i q[8];
      for (int r = 0; r < 8; ++r) {
        q[r] = r < rows ? load256(block0 + r * w_row_bytes + kQ8_0Qs) : _mm256_setzero_si256();
      }
      transpose_groups(q, p.quants[k][0]);
      for (int g = 0; g < 8; ++g) {
        p.magnitudes[k][0][g] = _mm256_sign_epi8(p.quants[k][0][g], p.quants[k][0][g]);
      }
      p.scales[k][0] = eight_halves(block0, w_row_bytes, rows_in_group(rows, 0));
    }
  }

  template <int kGroup>
  static __m256i group_dot(const Packed& p, int64_t k, __m256i low, __m256i high) {
    const __m256i signed_act =
        _mm256_sign_epi8(broadcast_group<kGroup>(low, high), p.quants[k][0][kGroup]);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(p.magnitudes[k][0][kGroup], signed_act),
                             _mm256_set1_epi16(1));
  }
  static void dot(const Packed& p, int64_t k, const uint8_t* a_qs, __m256i (&out)[kGroups]) {
    const __m256i low = load_halves_repeated(a_qs);
    const __m256i high = load_halves_repeated(a_qs + 16);
    const __m256i s01 =
        _mm256_add_epi32(group_dot<0>(p, k, low, high), group_dot<1>(p, k, low, high));
    const __m256i s23 =
        _mm256_add_epi32(group_dot<2>(p, k, low, high), group_dot<3>(p, k, low, high));
    const __m256i s45 =
        _mm256_add_epi32(group_dot<4>(p, k, low, high), group_dot<5>(p, k, low, high));
    const __m256i s67 =
        _mm256_add_epi32(group_dot<6>(p, k, low, high), group_dot<7>(p, k, low, high));
    out[0] = _mm256_add_epi32(_mm256_add_epi32(s01, s23), _mm256_add_epi32(s45, s67));
  }
};

// Tile of any size: passes of kGroups x 8 rows, each against the batch in passes of
// kLaneBatch activation rows, the blocks in chunks that fit the repacking buffer.
template <typename Lanes>
void gemm_tile_lanes(int64_t n, const void* weights, int64_t weight_row_bytes, int64_t rows,
                     const void* activations, int64_t activation_row_bytes, int64_t batch, float* y,
                     int64_t y_row_stride_floats) {
  constexpr int kGroups = Lanes::kGroups;
  constexpr int kPassRows = kLaneRows * kGroups;
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(activations);
  const int64_t blocks = n / kBlockLegacy;
  constexpr int64_t kA = sizeof(BlockQ8_0);
  typename Lanes::Packed packed;
  __m256 acc[kLaneBatch][kGroups];
  for (int64_t r0 = 0; r0 < rows; r0 += kPassRows) {
    const int pass_rows = static_cast<int>(std::min<int64_t>(kPassRows, rows - r0));
    const uint8_t* w_pass = w + r0 * weight_row_bytes;
    for (int64_t b0 = 0; b0 < batch; b0 += kLaneBatch) {
      const int64_t pass = std::min(kLaneBatch, batch - b0);
      for (int64_t b = 0; b < pass; ++b) {
        for (__m256& v : acc[b]) v = _mm256_setzero_ps();
      }
      for (int64_t k0 = 0; k0 < blocks; k0 += Lanes::kChunkBlocks) {
        const int64_t chunk = std::min(Lanes::kChunkBlocks, blocks - k0);
        Lanes::pack(w_pass, weight_row_bytes, pass_rows, k0, chunk, packed);
        for (int64_t b = 0; b < pass; ++b) {
          const uint8_t* a_block = a + (b0 + b) * activation_row_bytes + k0 * kA;
          __m256 sum[kGroups];
          for (int group = 0; group < kGroups; ++group) sum[group] = acc[b][group];
          for (int64_t k = 0; k < chunk; ++k, a_block += kA) {
            __m256i dots[kGroups];
            Lanes::dot(packed, k, a_block + kQ8_0Qs, dots);
            const __m256 a_scale = _mm256_set1_ps(load_half(a_block));
            for (int group = 0; group < kGroups; ++group) {
              sum[group] =
                  _mm256_fmadd_ps(_mm256_cvtepi32_ps(dots[group]),
                                  _mm256_mul_ps(packed.scales[k][group], a_scale), sum[group]);
            }
          }
          for (int group = 0; group < kGroups; ++group) acc[b][group] = sum[group];
        }
      }
      for (int64_t b = 0; b < pass; ++b) {
        for (int group = 0; group < kGroups; ++group) {
          const int count = rows_in_group(pass_rows, group);
          float* out = y + (b0 + b) * y_row_stride_floats + r0 + kLaneRows * group;
          if (count == kLaneRows) {
            _mm256_storeu_ps(out, acc[b][group]);
          } else if (count > 0) {
            alignas(32) float lanes[kLaneRows];
            _mm256_store_ps(lanes, acc[b][group]);
            std::memcpy(out, lanes, sizeof(float) * static_cast<size_t>(count));
          }
        }
      }
    }
  }
}

// ---- K-quants with Q8_K activations ---------------------------------------------------------

constexpr size_t kQ8KQs = offsetof(BlockQ8_K, qs);
constexpr size_t kQ8KBsums = offsetof(BlockQ8_K, bsums);

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

// acc[r][b] += d_w[r] * d_a[b] * sum[r][b], once per super-block.
template <int kR, int kB>
inline void scale_into(__m256 (&acc)[kR][kB], const __m256i (&sum)[kR][kB], const float* d_w,
                       const float* d_a) {
  for (int r = 0; r < kR; ++r) {
    for (int b = 0; b < kB; ++b) {
      acc[r][b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[r][b]), _mm256_set1_ps(d_w[r] * d_a[b]),
                                  acc[r][b]);
    }
  }
}

struct Q4_KKernel {
  static constexpr int kRows = 2;
  static constexpr int kBatch = 4;
  static constexpr int64_t kBlockValues = kBlockK;

  template <int kR, int kB>
  static void micro(const TileArgs& t) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    __m256 acc[kR][kB];
    for (auto& row : acc) {
      for (auto& v : row) v = _mm256_setzero_ps();
    }
    for (int64_t k = 0; k < t.blocks; ++k) {
      const uint8_t* w[kR];
      float d_w[kR], dmin_w[kR];
      __m256i scales[kR];  // 8 sub-block scales as int16, repeated in both 128-bit halves
      __m128i mins[kR];    // 8 sub-block mins as int16
      for (int r = 0; r < kR; ++r) {
        w[r] = t.w + r * t.w_row_bytes + k * static_cast<int64_t>(sizeof(BlockQ4_K));
        d_w[r] = load_half(w[r] + offsetof(BlockQ4_K, d));
        dmin_w[r] = -load_half(w[r] + offsetof(BlockQ4_K, dmin));
        uint32_t words[4];
        quant_k_detail::unpack_scales_mins_q4_K_words(w[r] + offsetof(BlockQ4_K, scales), words);
        const __m256i scales_mins = _mm256_cvtepu8_epi16(
            _mm_set_epi32(static_cast<int>(words[3]), static_cast<int>(words[2]),
                          static_cast<int>(words[1]), static_cast<int>(words[0])));
        scales[r] = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(scales_mins));
        mins[r] = _mm256_extracti128_si256(scales_mins, 1);
      }
      const uint8_t* a[kB];
      float d_a[kB];
      for (int b = 0; b < kB; ++b) {
        a[b] = t.a + b * t.a_row_bytes + k * static_cast<int64_t>(sizeof(BlockQ8_K));
        d_a[b] = load_float(a[b] + offsetof(BlockQ8_K, d));
        // Mins: sub-block j covers bsums 2j and 2j + 1.
        const __m128i bsums32 =
            _mm_hadd_epi16(load128(a[b] + kQ8KBsums), load128(a[b] + kQ8KBsums + 16));
        for (int r = 0; r < kR; ++r) {
          const __m128i min_sums = _mm_madd_epi16(mins[r], bsums32);
          acc[r][b] = _mm256_fmadd_ps(_mm256_zextps128_ps256(_mm_cvtepi32_ps(min_sums)),
                                      _mm256_set1_ps(dmin_w[r] * d_a[b]), acc[r][b]);
        }
      }
      __m256i sum[kR][kB];
      for (auto& row : sum) {
        for (auto& v : row) v = _mm256_setzero_si256();
      }
      for (int pair = 0; pair < 4; ++pair) {          // 64 values: sub-blocks 2 * pair, + 1
        for (int nibble = 0; nibble < 2; ++nibble) {  // low nibbles, then high nibbles
          __m256i q[kR], s[kR];
          for (int r = 0; r < kR; ++r) {
            const __m256i bits = load256(w[r] + offsetof(BlockQ4_K, qs) + 32 * pair);
            q[r] = _mm256_and_si256(nibble == 0 ? bits : _mm256_srli_epi16(bits, 4), low4);
            s[r] = broadcast_epi16(scales[r], 2 * pair + nibble);
          }
          for (int b = 0; b < kB; ++b) {
            const __m256i act = load256(a[b] + kQ8KQs + 64 * pair + 32 * nibble);
            for (int r = 0; r < kR; ++r) {
              sum[r][b] = _mm256_add_epi32(
                  sum[r][b], _mm256_madd_epi16(s[r], _mm256_maddubs_epi16(q[r], act)));
            }
          }
        }
      }
      scale_into(acc, sum, d_w, d_a);
    }
    store_tile(acc, t);
  }
};

struct Q6_KKernel {
  static constexpr int kRows = 2;
  static constexpr int kBatch = 4;
  static constexpr int64_t kBlockValues = kBlockK;

  // Quants + 32 (0..63) of group g (32 values) of half h: ql holds groups 0 and 2 (low, high
  // nibbles of 32 bytes), then 1 and 3; qh holds bits 2g..2g+1 for group g.
  static __m256i quants(const uint8_t* block, int half, int group) {
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    const __m256i low = load256(block + offsetof(BlockQ6_K, ql) + 64 * half + 32 * (group & 1));
    const __m256i high = load256(block + offsetof(BlockQ6_K, qh) + 32 * half);
    const __m256i low_bits = _mm256_and_si256(group < 2 ? low : _mm256_srli_epi16(low, 4), low4);
    __m256i high_bits;
    switch (group) {
      case 0:
        high_bits = _mm256_slli_epi16(high, 4);
        break;
      case 1:
        high_bits = _mm256_slli_epi16(high, 2);
        break;
      case 2:
        high_bits = high;
        break;
      default:
        high_bits = _mm256_srli_epi16(high, 2);
        break;
    }
    return _mm256_or_si256(low_bits, _mm256_and_si256(high_bits, bits45));
  }

  template <int kR, int kB>
  static void micro(const TileArgs& t) {
    __m256 acc[kR][kB];
    for (auto& row : acc) {
      for (auto& v : row) v = _mm256_setzero_ps();
    }
    for (int64_t k = 0; k < t.blocks; ++k) {
      const uint8_t* w[kR];
      float d_w[kR];
      __m128i scales[kR];  // 16 signed sub-block scales
      for (int r = 0; r < kR; ++r) {
        w[r] = t.w + r * t.w_row_bytes + k * static_cast<int64_t>(sizeof(BlockQ6_K));
        d_w[r] = load_half(w[r] + offsetof(BlockQ6_K, d));
        scales[r] = load128(w[r] + offsetof(BlockQ6_K, scales));
      }
      const uint8_t* a[kB];
      float d_a[kB];
      __m256i sum[kR][kB];
      for (int b = 0; b < kB; ++b) {
        a[b] = t.a + b * t.a_row_bytes + k * static_cast<int64_t>(sizeof(BlockQ8_K));
        d_a[b] = load_float(a[b] + offsetof(BlockQ8_K, d));
        const __m256i bsums = load256(a[b] + kQ8KBsums);
        for (int r = 0; r < kR; ++r) {  // quants carry +32: start from -32 * sum scale * bsum
          const __m256i offsets = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales[r]), bsums);
          sum[r][b] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offsets, 5));
        }
      }
      for (int half = 0; half < 2; ++half) {
        for (int group = 0; group < 4; ++group) {
          __m256i q[kR], s[kR];
          for (int r = 0; r < kR; ++r) {
            q[r] = quants(w[r], half, group);
            s[r] = pair_scales_epi8(scales[r], 8 * half + 2 * group);
          }
          for (int b = 0; b < kB; ++b) {
            const __m256i act = load256(a[b] + kQ8KQs + 128 * half + 32 * group);
            for (int r = 0; r < kR; ++r) {
              sum[r][b] = _mm256_add_epi32(
                  sum[r][b], _mm256_madd_epi16(s[r], _mm256_maddubs_epi16(q[r], act)));
            }
          }
        }
      }
      scale_into(acc, sum, d_w, d_a);
    }
    store_tile(acc, t);
  }
};

// ---- K-quant tile loop ---------------------------------------------------------------------

template <typename Kernel>
struct Micros {
  using Fn = void (*)(const TileArgs&);
  template <int kR, int... kBs>
  static constexpr std::array<Fn, Kernel::kBatch> row(std::integer_sequence<int, kBs...>) {
    return {&Kernel::template micro<kR, kBs + 1>...};
  }
  template <int... kRs>
  static constexpr auto table(std::integer_sequence<int, kRs...>) {
    return std::array<std::array<Fn, Kernel::kBatch>, Kernel::kRows>{
        row<kRs + 1>(std::make_integer_sequence<int, Kernel::kBatch>{})...};
  }
  // by_size[rows - 1][batch - 1]
  static constexpr auto by_size = table(std::make_integer_sequence<int, Kernel::kRows>{});
};

template <typename Kernel>
void gemm_tile(int64_t n, const void* weights, int64_t weight_row_bytes, int64_t rows,
               const void* activations, int64_t activation_row_bytes, int64_t batch, float* y,
               int64_t y_row_stride_floats) {
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(activations);
  for (int64_t r0 = 0; r0 < rows; r0 += Kernel::kRows) {
    const int64_t tile_rows = std::min<int64_t>(Kernel::kRows, rows - r0);
    for (int64_t b0 = 0; b0 < batch; b0 += Kernel::kBatch) {
      const int64_t tile_batch = std::min<int64_t>(Kernel::kBatch, batch - b0);
      const TileArgs args{n / Kernel::kBlockValues, w + r0 * weight_row_bytes,
                          weight_row_bytes,         a + b0 * activation_row_bytes,
                          activation_row_bytes,     y + b0 * y_row_stride_floats + r0,
                          y_row_stride_floats};
      Micros<Kernel>::by_size[tile_rows - 1][tile_batch - 1](args);
    }
  }
}

}  // namespace

void register_qgemm_avx2(KernelTable& table) {
  fill_gemm_tile_with_vec_dot_loops(table);
  table.gemm_tile[slot(DType::Q4_0)] = gemm_tile_lanes<Q4_0Lanes>;
  table.gemm_tile[slot(DType::Q8_0)] = gemm_tile_lanes<Q8_0Lanes>;
  table.gemm_tile[slot(DType::Q4_K)] = gemm_tile<Q4_KKernel>;
  table.gemm_tile[slot(DType::Q6_K)] = gemm_tile<Q6_KKernel>;
}

}  // namespace parley::kernels

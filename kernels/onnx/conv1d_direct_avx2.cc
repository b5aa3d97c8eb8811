// AVX2+FMA kernel of conv1d_direct (conv1d_direct.h): tiles of 4 output maps x 24 samples held
// in twelve ymm accumulators; for each (channel, tap) three unaligned loads of the padded input
// and four broadcast weights. The last, partial tile of a row loads and stores under a mask.
// Each output sums over (c, k) in order with fused multiply-adds.
#include <immintrin.h>

#include <algorithm>

#include "kernels/onnx/conv1d_direct.h"

namespace parley::onnx::detail {
namespace {

constexpr int64_t kTile = 24;  // samples per register tile

// Named accumulators (not arrays) so that GCC keeps all twelve in registers across the loops.
#define PARLEY_CONV_ROW(r)                                                  \
  if constexpr (MR > r) {                                                   \
    const __m256 wv = _mm256_broadcast_ss(wk + r);                          \
    acc##r##0 = _mm256_fmadd_ps(wv, x0, acc##r##0);                         \
    if constexpr (NC > 1) acc##r##1 = _mm256_fmadd_ps(wv, x1, acc##r##1);   \
    if constexpr (NC > 2) acc##r##2 = _mm256_fmadd_ps(wv, x2, acc##r##2);   \
  }

// Lane masks for the first `valid` samples of a tile, per ymm.
struct TileMask {
  __m256i m0, m1, m2;
  explicit TileMask(int64_t valid) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const auto upto = [&](int64_t n) {
      return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::clamp<int64_t>(n, 0, 8))),
                                lanes);
    };
    m0 = upto(valid);
    m1 = upto(valid - 8);
    m2 = upto(valid - 16);
  }
};

// Maps [0, MR) of one packed block, samples [t, t + 8 * NC) (Partial: only `mask`'s lanes).
// Full tiles have NC = 3; the last, partial tile of a row computes only the ymm columns that
// hold valid samples (a 7-sample tail costs one column, not three).
template <int MR, bool Partial, int NC>
void tile(const float* wb, const Conv1dDirectArgs& a, int64_t channels, int64_t kernel,
          int64_t map0, int64_t t, const TileMask& mask) {
  __m256 acc00 = _mm256_setzero_ps(), acc01 = acc00, acc02 = acc00;
  __m256 acc10 = acc00, acc11 = acc00, acc12 = acc00;
  __m256 acc20 = acc00, acc21 = acc00, acc22 = acc00;
  __m256 acc30 = acc00, acc31 = acc00, acc32 = acc00;
  const int64_t dil = a.dilation;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xk = a.x + c * a.x_stride + t;
    const float* wk = wb + c * kernel * kConvMapBlock;
    for (int64_t k = 0; k < kernel; ++k, xk += dil, wk += kConvMapBlock) {
      __m256 x0, x1 = _mm256_setzero_ps(), x2 = _mm256_setzero_ps();
      if constexpr (Partial) {
        x0 = _mm256_maskload_ps(xk, mask.m0);
        if constexpr (NC > 1) x1 = _mm256_maskload_ps(xk + 8, mask.m1);
        if constexpr (NC > 2) x2 = _mm256_maskload_ps(xk + 16, mask.m2);
      } else {
        x0 = _mm256_loadu_ps(xk);
        x1 = _mm256_loadu_ps(xk + 8);
        x2 = _mm256_loadu_ps(xk + 16);
      }
      PARLEY_CONV_ROW(0)
      PARLEY_CONV_ROW(1)
      PARLEY_CONV_ROW(2)
      PARLEY_CONV_ROW(3)
    }
  }
  const __m256 acc[3 * kConvMapBlock] = {acc00, acc01, acc02, acc10, acc11, acc12,
                                         acc20, acc21, acc22, acc30, acc31, acc32};
  for (int r = 0; r < MR; ++r) {
    const int64_t m = map0 + r;
    const __m256 b = _mm256_set1_ps(a.bias != nullptr ? a.bias[m] : 0.0f);
    float* yr = a.y + m * a.y_stride + t;
    if constexpr (Partial) {
      _mm256_maskstore_ps(yr, mask.m0, _mm256_add_ps(acc[3 * r], b));
      if constexpr (NC > 1) _mm256_maskstore_ps(yr + 8, mask.m1, _mm256_add_ps(acc[3 * r + 1], b));
      if constexpr (NC > 2) {
        _mm256_maskstore_ps(yr + 16, mask.m2, _mm256_add_ps(acc[3 * r + 2], b));
      }
    } else {
      _mm256_storeu_ps(yr, _mm256_add_ps(acc[3 * r], b));
      _mm256_storeu_ps(yr + 8, _mm256_add_ps(acc[3 * r + 1], b));
      _mm256_storeu_ps(yr + 16, _mm256_add_ps(acc[3 * r + 2], b));
    }
  }
}
#undef PARLEY_CONV_ROW

using TileFn = void (*)(const float*, const Conv1dDirectArgs&, int64_t, int64_t, int64_t,
                        int64_t, const TileMask&);
constexpr TileFn kFull[kConvMapBlock + 1] = {nullptr, tile<1, false, 3>, tile<2, false, 3>,
                                             tile<3, false, 3>, tile<4, false, 3>};
// [ymm columns holding valid samples][maps]
constexpr TileFn kPartial[4][kConvMapBlock + 1] = {
    {},
    {nullptr, tile<1, true, 1>, tile<2, true, 1>, tile<3, true, 1>, tile<4, true, 1>},
    {nullptr, tile<1, true, 2>, tile<2, true, 2>, tile<3, true, 2>, tile<4, true, 2>},
    {nullptr, tile<1, true, 3>, tile<2, true, 3>, tile<3, true, 3>, tile<4, true, 3>}};

}  // namespace

void conv1d_direct_avx2(const PackedConvWeights& w, const Conv1dDirectArgs& a,
                        int64_t block_begin, int64_t block_end, int64_t t_begin, int64_t t_end) {
  const int64_t channels = w.channels(), kernel = w.kernel();
  // Time spans whose input (every channel, taps included) stays in L1 while each map block of
  // the range passes over it.
  const int64_t reach = (kernel - 1) * a.dilation;
  const int64_t span = std::clamp<int64_t>(
      (6144 / std::max<int64_t>(1, channels) - reach) / kTile * kTile, 2 * kTile, 16 * kTile);
  const int64_t tail_len = (t_end - t_begin) % kTile;
  const TileMask full(kTile), tail(tail_len);
  const int tail_columns = static_cast<int>((tail_len + 7) / 8);
  const int64_t full_end = t_begin + (t_end - t_begin) / kTile * kTile;
  for (int64_t s0 = t_begin; s0 < t_end; s0 += span) {
    const int64_t s1 = std::min(full_end, s0 + span);
    for (int64_t b = block_begin; b < block_end; ++b) {
      const int64_t maps = std::min(kConvMapBlock, w.maps() - b * kConvMapBlock);
      const float* wb = w.block(b);
      for (int64_t t = s0; t < s1; t += kTile) {
        kFull[maps](wb, a, channels, kernel, b * kConvMapBlock, t, full);
      }
      if (s0 + span >= t_end && full_end < t_end) {  // the last span ends in a partial tile
        kPartial[tail_columns][maps](wb, a, channels, kernel, b * kConvMapBlock, full_end, tail);
      }
    }
  }
}

}  // namespace parley::onnx::detail

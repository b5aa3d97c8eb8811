// AVX2+FMA kernel of packed_gemm (packed_gemm.h): tiles of up to 6 rows x 16 columns held in
// twelve ymm accumulators; A elements are broadcast, the packed panel is read with aligned loads.
// Each output sums over k in order with fused multiply-adds.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/onnx/packed_gemm.h"

namespace parley::onnx::detail {
namespace {

constexpr int kTileRows = 6;
// Software prefetch distance in floats (4 KB). A prefetch is a hint: an address past the end of
// the packed buffer does not fault (it is formed as an integer, not a pointer).
constexpr int64_t kPrefetchAhead = 1024;

// Named accumulators (not arrays) so that GCC keeps all twelve in registers across the k loop.
#define PARLEY_TILE_ROW(r)                                                \
  if constexpr (MR > r) {                                                 \
    const __m256 av = _mm256_broadcast_ss(a + r * a_rs + offset);         \
    acc##r##0 = _mm256_fmadd_ps(av, b0, acc##r##0);                       \
    acc##r##1 = _mm256_fmadd_ps(av, b1, acc##r##1);                       \
  }

template <int MR, bool kPrefetch>
void tile(const float* a, int64_t a_rs, int64_t a_cs, const float* panel, int64_t k, float* c,
          int64_t c_rs, int64_t c_cs, int64_t width, const float* bias, bool accumulate,
          uintptr_t ahead) {
  __m256 acc00 = _mm256_setzero_ps(), acc01 = acc00, acc10 = acc00, acc11 = acc00;
  __m256 acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
  __m256 acc40 = acc00, acc41 = acc00, acc50 = acc00, acc51 = acc00;
  int64_t offset = 0;
  for (int64_t kk = 0; kk < k; ++kk, offset += a_cs) {
    const __m256 b0 = _mm256_load_ps(panel + kk * kPanelWidth);
    const __m256 b1 = _mm256_load_ps(panel + kk * kPanelWidth + 8);
    if constexpr (kPrefetch) {
      _mm_prefetch(reinterpret_cast<const char*>(ahead + kk * kPanelWidth * sizeof(float)),
                   _MM_HINT_T0);
    }
    PARLEY_TILE_ROW(0)
    PARLEY_TILE_ROW(1)
    PARLEY_TILE_ROW(2)
    PARLEY_TILE_ROW(3)
    PARLEY_TILE_ROW(4)
    PARLEY_TILE_ROW(5)
  }
  const __m256 acc[2 * kTileRows] = {acc00, acc01, acc10, acc11, acc20, acc21,
                                     acc30, acc31, acc40, acc41, acc50, acc51};
  if (c_cs == 1 && width == kPanelWidth) {
    const __m256 bias0 = bias != nullptr ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    const __m256 bias1 = bias != nullptr ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    for (int r = 0; r < MR; ++r) {
      float* crow = c + r * c_rs;
      __m256 v0 = _mm256_add_ps(acc[2 * r], bias0), v1 = _mm256_add_ps(acc[2 * r + 1], bias1);
      if (accumulate) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(crow));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(crow + 8));
      }
      _mm256_storeu_ps(crow, v0);
      _mm256_storeu_ps(crow + 8, v1);
    }
    return;
  }
  alignas(32) float out[kPanelWidth];
  for (int r = 0; r < MR; ++r) {
    _mm256_store_ps(out, acc[2 * r]);
    _mm256_store_ps(out + 8, acc[2 * r + 1]);
    float* crow = c + r * c_rs;
    for (int64_t j = 0; j < width; ++j) {
      float v = out[j];
      if (bias != nullptr) v += bias[j];
      if (accumulate) v += crow[j * c_cs];
      crow[j * c_cs] = v;
    }
  }
}
#undef PARLEY_TILE_ROW

using TileFn = void (*)(const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t,
                        int64_t, int64_t, const float*, bool, uintptr_t);
constexpr TileFn kTiles[2][kTileRows + 1] = {
    {nullptr, tile<1, false>, tile<2, false>, tile<3, false>, tile<4, false>, tile<5, false>,
     tile<6, false>},
    {nullptr, tile<1, true>, tile<2, true>, tile<3, true>, tile<4, true>, tile<5, true>,
     tile<6, true>}};

}  // namespace

void packed_gemm_panels_avx2(ConstStridedMatrix a, int64_t m, const PackedMatrix& b,
                             StridedMatrix c, const float* bias, bool accumulate,
                             int64_t panel_begin, int64_t panel_end) {
  const int64_t k = b.k(), n = b.n();
  // Rows in blocks that keep their A slice in L2 while every panel of the range passes by.
  const int64_t row_block = std::max<int64_t>(kTileRows, (96 * 1024 / 4 / std::max<int64_t>(1, k)) /
                                                             kTileRows * kTileRows);
  for (int64_t i0 = 0; i0 < m; i0 += row_block) {
    const int64_t i1 = std::min(m, i0 + row_block);
    for (int64_t p = panel_begin; p < panel_end; ++p) {
      const float* panel = b.panel(p);
      const int64_t j0 = p * kPanelWidth, width = std::min(kPanelWidth, n - j0);
      const float* pbias = bias != nullptr ? bias + j0 : nullptr;
      // The first tile over a panel prefetches the weight stream 4 KB ahead of its reads, one
      // line per k step (a panel row is one 64-byte line), across the panel's end into the
      // next. Streaming encoders read each weight once per chunk, from DRAM or L3: the
      // hardware prefetcher stops at 4 KB pages and could not keep the few-row tiles fed
      // (bench_packed_gemm's cold cases; the Zipformer2 decode ran ~10% faster with it).
      const uintptr_t ahead = reinterpret_cast<uintptr_t>(panel) + kPrefetchAhead * sizeof(float);
      for (int64_t i = i0; i < i1; i += kTileRows) {
        const int rows = static_cast<int>(std::min<int64_t>(kTileRows, i1 - i));
        kTiles[i == i0 ? 1 : 0][rows](
            a.data + i * a.row_stride, a.row_stride, a.col_stride, panel, k,
            c.data + i * c.row_stride + j0 * c.col_stride, c.row_stride, c.col_stride, width,
            pbias, accumulate, ahead);
      }
    }
  }
}

}  // namespace parley::onnx::detail

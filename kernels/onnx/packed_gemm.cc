// Packing and dispatch of packed_gemm (see packed_gemm.h); the portable kernel.
#include "kernels/onnx/packed_gemm.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu.h"

namespace parley::onnx {

void PackedMatrix::pack(const float* b, int64_t k, int64_t n, bool transposed, int64_t ldb) {
  k_ = k;
  n_ = n;
  if (ldb < 0) ldb = transposed ? k : n;
  const int64_t panels = panel_count();
  data_ = kernels::AlignedBuffer(
      static_cast<size_t>(std::max<int64_t>(1, panels * k * kPanelWidth)) * sizeof(float));
  float* out = data_.as<float>();
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t j0 = p * kPanelWidth, width = std::min(kPanelWidth, n - j0);
    float* dst = out + p * k * kPanelWidth;
    for (int64_t kk = 0; kk < k; ++kk) {
      float* row = dst + kk * kPanelWidth;
      for (int64_t j = 0; j < kPanelWidth; ++j) {
        row[j] = j >= width ? 0.0f : transposed ? b[(j0 + j) * ldb + kk] : b[kk * ldb + j0 + j];
      }
    }
  }
}

namespace detail {

void packed_gemm_panels_portable(ConstStridedMatrix a, int64_t m, const PackedMatrix& b,
                                 StridedMatrix c, const float* bias, bool accumulate,
                                 int64_t panel_begin, int64_t panel_end) {
  const int64_t k = b.k(), n = b.n();
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const float* panel = b.panel(p);
    const int64_t j0 = p * kPanelWidth, width = std::min(kPanelWidth, n - j0);
    for (int64_t i = 0; i < m; ++i) {
      float acc[kPanelWidth] = {};
      const float* arow = a.data + i * a.row_stride;
      for (int64_t kk = 0; kk < k; ++kk) {
        const float av = arow[kk * a.col_stride];
        const float* brow = panel + kk * kPanelWidth;
        for (int64_t j = 0; j < kPanelWidth; ++j) acc[j] += av * brow[j];
      }
      float* crow = c.data + i * c.row_stride + j0 * c.col_stride;
      for (int64_t j = 0; j < width; ++j) {
        float v = acc[j];
        if (bias != nullptr) v += bias[j0 + j];
        if (accumulate) v += crow[j * c.col_stride];
        crow[j * c.col_stride] = v;
      }
    }
  }
}

}  // namespace detail

void packed_gemm(ConstStridedMatrix a, int64_t m, const PackedMatrix& b, StridedMatrix c,
                 const float* bias, bool accumulate, kernels::ThreadPool* pool) {
  if (m <= 0 || b.n() <= 0) return;
  const bool avx2 = kernels::active_isa() >= kernels::Isa::Avx2;
  auto run = [&](int64_t begin, int64_t end) {
    if (avx2) {
      detail::packed_gemm_panels_avx2(a, m, b, c, bias, accumulate, begin, end);
    } else {
      detail::packed_gemm_panels_portable(a, m, b, c, bias, accumulate, begin, end);
    }
  };
  const int64_t panels = b.panel_count();
  // About 64k multiply-adds per task keeps thread hand-off cheap relative to the work.
  const int64_t per_panel = std::max<int64_t>(1, m * b.k() * kPanelWidth);
  const int64_t grain = std::max<int64_t>(1, 65536 / per_panel);
  if (pool == nullptr || pool->thread_count() <= 1 || panels <= grain) {
    run(0, panels);
    return;
  }
  pool->parallel_for(panels, [&](int64_t begin, int64_t end, int) { run(begin, end); }, grain);
}

}  // namespace parley::onnx

// Float GEMM against a constant right-hand matrix packed once at load time: C = A·B (+ C)
// (+ bias). For the ONNX ops whose weights are initializers (MatMul, Gemm, Conv with few output
// positions, LSTM/GRU/RNN projections): the weights are re-laid out into column panels of
// kPanelWidth floats, so a run reads them sequentially and packs nothing, and the products with
// few rows that streaming models run (a 16-frame chunk, one LSTM step) avoid OpenBLAS's per-call
// packing and thread hand-off.
//
//   PackedMatrix w;
//   w.pack(weights, /*k=*/512, /*n=*/256, /*transposed=*/false);  // weights [512, 256] row-major
//   // C[m, 256] = A[m, 512] · W + bias
//   packed_gemm(StridedMatrix{a, 512, 1}, m, w, StridedMatrix{c, 256, 1}, bias, false, pool);
//
// Operands A and C are addressed with a row and a column stride (elements), so transposed views
// need no copy: element (i, j) of A is a[i * row_stride + j * col_stride]. C with col_stride 1 is
// stored with vector stores; other C layouts go through a small scatter.
//
// Kernels: AVX2+FMA 6x16 register tiles (packed_gemm_avx2.cc) where the CPU has them, portable
// C++ elsewhere; both sum each output over k in order. Work is split over the pool by column
// panels; calling from inside a parallel_for range is allowed (it then runs inline).
// Contracts: no allocation, no throw; A, C and bias must not alias the packed weights.
#pragma once

#include <cstdint>

#include "kernels/storage.h"
#include "kernels/thread_pool.h"

namespace parley::onnx {

inline constexpr int64_t kPanelWidth = 16;  // columns of B per packed panel

class PackedMatrix {
 public:
  // B is [k, n] with row stride ldb (transposed == false), or stored as Bᵀ [n, k] with row stride
  // ldb (transposed == true: ONNX Gemm transB, Conv and LSTM weights [out, in]).
  void pack(const float* b, int64_t k, int64_t n, bool transposed, int64_t ldb = -1);
  bool empty() const { return n_ == 0; }
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t panel_count() const { return (n_ + kPanelWidth - 1) / kPanelWidth; }
  // Panel p: k rows of kPanelWidth floats (columns past n are zero).
  const float* panel(int64_t p) const { return data_.as<float>() + p * k_ * kPanelWidth; }

 private:
  int64_t k_ = 0, n_ = 0;
  kernels::AlignedBuffer data_;
};

struct StridedMatrix {
  float* data;
  int64_t row_stride;
  int64_t col_stride;
};
struct ConstStridedMatrix {
  const float* data;
  int64_t row_stride;
  int64_t col_stride;
};

// C[m, n] = A[m, k]·B + (accumulate ? C : 0) + (bias ? bias[j] per column : 0), with k and n
// from `b`. `pool` may be null (calling thread only).
void packed_gemm(ConstStridedMatrix a, int64_t m, const PackedMatrix& b, StridedMatrix c,
                 const float* bias, bool accumulate, kernels::ThreadPool* pool);

namespace detail {
// Panels [panel_begin, panel_end) of the product, on the calling thread. The _avx2 version needs
// AVX2 and FMA.
void packed_gemm_panels_portable(ConstStridedMatrix a, int64_t m, const PackedMatrix& b,
                                 StridedMatrix c, const float* bias, bool accumulate,
                                 int64_t panel_begin, int64_t panel_end);
void packed_gemm_panels_avx2(ConstStridedMatrix a, int64_t m, const PackedMatrix& b,
                             StridedMatrix c, const float* bias, bool accumulate,
                             int64_t panel_begin, int64_t panel_end);
}  // namespace detail

}  // namespace parley::onnx

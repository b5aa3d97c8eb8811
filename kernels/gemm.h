// Single-precision GEMM: C = alpha * op(A) · op(B) + beta * C, row-major, BLAS conventions.
//
// op(X) is X or Xᵀ. The common case in this project is C = A · Bᵀ: activations A [m, k] times
// a weight matrix B stored [n, k] (one output feature per row, as GGUF and ONNX store them).
//
//   // C[m, n] = A[m, k] · B[n, k]ᵀ, all contiguous
//   gemm_f32(Transpose::No, Transpose::Yes, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
//
// Large products go to OpenBLAS (cblas_sgemm); thin ones (m or n below kGemmBlasMinRows) and
// tiny ones run our own vec_dot / axpy row kernels (kernel_table.h), which avoids OpenBLAS's
// per-call overhead and thread wake-ups for decode-time matrix-vector products.
//
// Threads: OpenBLAS (the pthread build Debian ships) keeps its own worker threads. They do not
// know about kernels::ThreadPool, so call gemm_f32 from one thread at a time (not from inside a
// parallel_for range) and size OpenBLAS with set_blas_thread_count() once at start-up — usually
// to the same count as the ThreadPool, so the two never run at the same time with more threads
// than cores. OPENBLAS_NUM_THREADS in the environment sets the initial count.
//
// Contracts: lda/ldb/ldc are row strides in elements (>= the row length of the stored matrix);
// C must not overlap A or B. Dimensions must be >= 0 (else parley::Error). With beta == 0, C is
// overwritten without being read (NaN in C does not propagate), as in BLAS.
#pragma once

#include <cstdint>

namespace parley::kernels {

enum class Transpose : bool { No = false, Yes = true };

// Below this many rows of C (m) or columns (n) the product is done with our row kernels.
inline constexpr int64_t kGemmBlasMinRows = 4;

void gemm_f32(Transpose transpose_a, Transpose transpose_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
              float* c, int64_t ldc);

// Same contract, naive triple loop accumulating in double. For tests; slow.
void gemm_f32_reference(Transpose transpose_a, Transpose transpose_b, int64_t m, int64_t n,
                        int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                        int64_t ldb, float beta, float* c, int64_t ldc);

// Number of threads OpenBLAS uses for the products it runs (>= 1). Not thread-safe against a
// gemm_f32 running at the same time.
void set_blas_thread_count(int thread_count);
int blas_thread_count();

}  // namespace parley::kernels

#include "kernels/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "kernels/error.h"
#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

// Checks one operand: stored as [rows, cols] with row stride ld (elements).
void check_operand(const char* name, int64_t rows, int64_t cols, int64_t ld) {
  if (rows < 0 || cols < 0) {
    throw Error("gemm_f32: operand " + std::string(name) + " has negative shape [" +
                std::to_string(rows) + ", " + std::to_string(cols) + "]");
  }
  if (rows > INT32_MAX || ld > INT32_MAX) {  // cblas takes int
    throw Error("gemm_f32: operand " + std::string(name) + " is too large for BLAS (" +
                std::to_string(rows) + " rows, row stride " + std::to_string(ld) + ")");
  }
  if (ld < std::max<int64_t>(1, cols)) {
    throw Error("gemm_f32: operand " + std::string(name) + " stored [" + std::to_string(rows) +
                ", " + std::to_string(cols) + "] has row stride " + std::to_string(ld) +
                " (needs >= " + std::to_string(std::max<int64_t>(1, cols)) + ")");
  }
}

void check_arguments(Transpose transpose_a, Transpose transpose_b, int64_t m, int64_t n, int64_t k,
                     int64_t lda, int64_t ldb, int64_t ldc) {
  const bool ta = transpose_a == Transpose::Yes;
  const bool tb = transpose_b == Transpose::Yes;
  check_operand("A", ta ? k : m, ta ? m : k, lda);
  check_operand("B", tb ? n : k, tb ? k : n, ldb);
  check_operand("C", m, n, ldc);
}

// c_row = beta * c_row, writing zeros (not reading C) when beta == 0.
void scale_row(int64_t n, float beta, float* c_row) {
  if (beta == 0.0f) {
    std::fill(c_row, c_row + n, 0.0f);
  } else if (beta != 1.0f) {
    kernels().scale(n, beta, c_row, c_row);
  }
}

}  // namespace

void gemm_f32(Transpose transpose_a, Transpose transpose_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
              float* c, int64_t ldc) {
  check_arguments(transpose_a, transpose_b, m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;

  if (transpose_a == Transpose::No && m < kGemmBlasMinRows) {
    const KernelTable& table = kernels();
    for (int64_t i = 0; i < m; ++i) {
      const float* a_row = a + i * lda;
      float* c_row = c + i * ldc;
      if (transpose_b == Transpose::Yes) {
        // C[i, j] = alpha * <A row i, B row j> + beta * C[i, j]
        const VecDotFn dot = table.vec_dot[static_cast<int>(DType::F32)];
        for (int64_t j = 0; j < n; ++j) {
          const float product = alpha * dot(k, b + j * ldb, a_row);
          c_row[j] = beta == 0.0f ? product : product + beta * c_row[j];
        }
      } else {
        // C row i = sum_p alpha * A[i, p] * B row p + beta * C row i
        scale_row(n, beta, c_row);
        for (int64_t p = 0; p < k; ++p) table.axpy(n, alpha * a_row[p], b + p * ldb, c_row);
      }
    }
    return;
  }

  cblas_sgemm(CblasRowMajor, transpose_a == Transpose::Yes ? CblasTrans : CblasNoTrans,
              transpose_b == Transpose::Yes ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void gemm_f32_reference(Transpose transpose_a, Transpose transpose_b, int64_t m, int64_t n,
                        int64_t k, float alpha, const float* a, int64_t lda, const float* b,
                        int64_t ldb, float beta, float* c, int64_t ldc) {
  check_arguments(transpose_a, transpose_b, m, n, k, lda, ldb, ldc);
  const bool ta = transpose_a == Transpose::Yes;
  const bool tb = transpose_b == Transpose::Yes;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double total = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double a_ip = ta ? a[p * lda + i] : a[i * lda + p];
        const double b_pj = tb ? b[j * ldb + p] : b[p * ldb + j];
        total += a_ip * b_pj;
      }
      double result = static_cast<double>(alpha) * total;
      if (beta != 0.0f) result += static_cast<double>(beta) * c[i * ldc + j];
      c[i * ldc + j] = static_cast<float>(result);
    }
  }
}

void set_blas_thread_count(int thread_count) {
  if (thread_count < 1) {
    throw Error("set_blas_thread_count: thread_count must be >= 1, got " +
                std::to_string(thread_count));
  }
  openblas_set_num_threads(thread_count);
}

int blas_thread_count() {
  return openblas_get_num_threads();
}

}  // namespace parley::kernels

// gemm_f32 (OpenBLAS and the thin-matrix row-kernel path) against gemm_f32_reference, and the
// reference itself against a hand-computed product.
#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

#include "kernels/error.h"

namespace parley::kernels {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(Gemm, ReferenceOnHandComputedProduct) {
  // A [2, 3], B stored [2, 3] (so C = A · Bᵀ is [2, 2]).
  const float a[] = {1, 2, 3, 4, 5, 6};
  const float b[] = {1, 0, -1, 2, 1, 0};
  float c[4] = {1, 1, 1, 1};
  gemm_f32_reference(Transpose::No, Transpose::Yes, 2, 2, 3, 2.0f, a, 3, b, 3, 0.5f, c, 2);
  EXPECT_EQ(c[0], 2.0f * (1 - 3) + 0.5f);
  EXPECT_EQ(c[1], 2.0f * (2 + 2) + 0.5f);
  EXPECT_EQ(c[2], 2.0f * (4 - 6) + 0.5f);
  EXPECT_EQ(c[3], 2.0f * (8 + 5) + 0.5f);
}

TEST(Gemm, MatchesReferenceOnOddSizesAllTransposes) {
  struct Size {
    int64_t m, n, k;
  };
  const Size sizes[] = {{1, 7, 13}, {3, 5, 129}, {4, 1, 7}, {17, 33, 65}, {64, 48, 127}};
  int seed = 0;
  for (const Size& s : sizes) {
    for (Transpose ta : {Transpose::No, Transpose::Yes}) {
      for (Transpose tb : {Transpose::No, Transpose::Yes}) {
        for (float beta : {0.0f, 1.5f}) {
          // Stored shapes with 3 columns of padding per row.
          const int64_t a_rows = ta == Transpose::Yes ? s.k : s.m;
          const int64_t a_cols = ta == Transpose::Yes ? s.m : s.k;
          const int64_t b_rows = tb == Transpose::Yes ? s.n : s.k;
          const int64_t b_cols = tb == Transpose::Yes ? s.k : s.n;
          const int64_t lda = a_cols + 3, ldb = b_cols + 3, ldc = s.n + 3;
          const std::vector<float> a = random_vector(size_t(a_rows * lda), ++seed);
          const std::vector<float> b = random_vector(size_t(b_rows * ldb), ++seed);
          std::vector<float> c = random_vector(size_t(s.m * ldc), ++seed), want = c;
          if (beta == 0.0f) {
            for (float& x : c) x = std::numeric_limits<float>::quiet_NaN();  // must not be read
          }
          gemm_f32(ta, tb, s.m, s.n, s.k, 0.75f, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
          gemm_f32_reference(ta, tb, s.m, s.n, s.k, 0.75f, a.data(), lda, b.data(), ldb, beta,
                             want.data(), ldc);
          for (int64_t i = 0; i < s.m; ++i) {
            for (int64_t j = 0; j < s.n; ++j) {
              ASSERT_NEAR(c[size_t(i * ldc + j)], want[size_t(i * ldc + j)], 2e-5 * double(s.k))
                  << "m=" << s.m << " n=" << s.n << " k=" << s.k << " ta=" << int(ta)
                  << " tb=" << int(tb) << " beta=" << beta << " at " << i << "," << j;
            }
          }
        }
      }
    }
  }
}

TEST(Gemm, RejectsBadStridesAndThreadCounts) {
  float x[16] = {};
  EXPECT_THROW(gemm_f32(Transpose::No, Transpose::Yes, 2, 2, 4, 1.0f, x, 3, x, 4, 0.0f, x, 2),
               Error);
  EXPECT_THROW(gemm_f32(Transpose::No, Transpose::No, -1, 2, 2, 1.0f, x, 2, x, 2, 0.0f, x, 2),
               Error);
  EXPECT_THROW(set_blas_thread_count(0), Error);
  set_blas_thread_count(1);
  EXPECT_EQ(blas_thread_count(), 1);
}

}  // namespace
}  // namespace parley::kernels

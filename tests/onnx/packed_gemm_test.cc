// packed_gemm (kernels/onnx/packed_gemm.h) against the double-accumulating reference GEMM, for
// both kernels (portable and, where the CPU has it, AVX2), edge sizes around the 6x16 tile,
// transposed (strided) A and C, bias, accumulate, and a thread pool.
#include "kernels/onnx/packed_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/gemm.h"

namespace parley::onnx {
namespace {

struct Case {
  int64_t m, k, n;
  bool b_transposed, a_transposed, c_transposed, bias, accumulate;
};

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void check(const Case& c, bool portable, kernels::ThreadPool* pool) {
  std::mt19937 rng(static_cast<unsigned>(c.m * 1000003 + c.k * 1009 + c.n));
  const std::vector<float> a = random_floats(c.m * c.k, rng);   // [m, k] or [k, m]
  const std::vector<float> b = random_floats(c.k * c.n, rng);   // [k, n] or [n, k]
  const std::vector<float> bias = random_floats(c.n, rng);
  const std::vector<float> c0 = random_floats(c.m * c.n, rng);  // [m, n] or [n, m]
  PackedMatrix packed;
  packed.pack(b.data(), c.k, c.n, c.b_transposed);
  ASSERT_EQ(packed.k(), c.k);
  ASSERT_EQ(packed.n(), c.n);

  // Reference on plain row-major copies.
  std::vector<float> a_rm(c.m * c.k), b_rm(c.k * c.n), expect(c.m * c.n);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t p = 0; p < c.k; ++p)
      a_rm[i * c.k + p] = c.a_transposed ? a[p * c.m + i] : a[i * c.k + p];
  for (int64_t p = 0; p < c.k; ++p)
    for (int64_t j = 0; j < c.n; ++j)
      b_rm[p * c.n + j] = c.b_transposed ? b[j * c.k + p] : b[p * c.n + j];
  kernels::gemm_f32_reference(kernels::Transpose::No, kernels::Transpose::No, c.m, c.n, c.k, 1.0f,
                              a_rm.data(), c.k, b_rm.data(), c.n, 0.0f, expect.data(), c.n);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      float& e = expect[i * c.n + j];
      if (c.bias) e += bias[j];
      if (c.accumulate) e += c.c_transposed ? c0[j * c.m + i] : c0[i * c.n + j];
    }
  }

  std::vector<float> out = c0;
  const ConstStridedMatrix av = c.a_transposed ? ConstStridedMatrix{a.data(), 1, c.m}
                                               : ConstStridedMatrix{a.data(), c.k, 1};
  const StridedMatrix cv = c.c_transposed ? StridedMatrix{out.data(), 1, c.m}
                                          : StridedMatrix{out.data(), c.n, 1};
  const float* pb = c.bias ? bias.data() : nullptr;
  if (portable) {
    detail::packed_gemm_panels_portable(av, c.m, packed, cv, pb, c.accumulate, 0,
                                        packed.panel_count());
  } else {
    packed_gemm(av, c.m, packed, cv, pb, c.accumulate, pool);
  }
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      const float got = c.c_transposed ? out[j * c.m + i] : out[i * c.n + j];
      ASSERT_NEAR(got, expect[i * c.n + j], 1e-4f * (1.0f + std::sqrt(static_cast<float>(c.k))))
          << "m=" << c.m << " k=" << c.k << " n=" << c.n << " at (" << i << ", " << j << ")"
          << (portable ? " portable" : " dispatched");
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (int64_t m : {1, 2, 5, 6, 7, 13, 45}) {
    for (int64_t k : {1, 3, 64, 129}) {
      for (int64_t n : {1, 15, 16, 17, 40}) {
        const int v = static_cast<int>(m + k + n);
        out.push_back({m, k, n, v % 2 == 0, v % 3 == 0, v % 5 == 0, v % 2 == 1, v % 3 == 1});
      }
    }
  }
  out.push_back({300, 200, 100, true, false, false, true, false});  // several row blocks
  return out;
}

TEST(PackedGemm, PortableMatchesReference) {
  for (const Case& c : cases()) check(c, /*portable=*/true, nullptr);
}

TEST(PackedGemm, DispatchedMatchesReference) {
  if (kernels::active_isa() < kernels::Isa::Avx2) GTEST_SKIP() << "no AVX2: same as portable";
  for (const Case& c : cases()) check(c, /*portable=*/false, nullptr);
}

TEST(PackedGemm, ThreadPoolMatchesReference) {
  kernels::ThreadPool pool(2);
  for (const Case& c : cases()) check(c, /*portable=*/false, &pool);
}

TEST(PackedGemm, EmptyProductsTouchNothing) {
  PackedMatrix packed;
  const float b[4] = {1, 2, 3, 4};
  packed.pack(b, 2, 2, false);
  float c[4] = {7, 7, 7, 7};
  packed_gemm({b, 2, 1}, 0, packed, {c, 2, 1}, nullptr, false, nullptr);
  for (float v : c) EXPECT_EQ(v, 7.0f);
}

}  // namespace
}  // namespace parley::onnx

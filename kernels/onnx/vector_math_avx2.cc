// AVX2+FMA kernels of vector_math.h.
#include <immintrin.h>

#include <cmath>

#include "kernels/onnx/vector_math.h"

namespace parley::onnx::detail {
namespace {

// log of 8 positive normal finite floats (Cephes logf).
inline __m256 log_normal_ps(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256i bits = _mm256_castps_si256(x);
  __m256 e = _mm256_cvtepi32_ps(
      _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  // Mantissa in [0.5, 1).
  bits = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                         _mm256_set1_epi32(0x3f000000));
  __m256 m = _mm256_castsi256_ps(bits);
  // m < sqrt(0.5): use 2m - 1 and e - 1, so the argument lies in [sqrt(0.5) - 1, sqrt(2) - 1).
  const __m256 small = _mm256_cmp_ps(m, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(one, small));
  m = _mm256_add_ps(_mm256_sub_ps(m, one), _mm256_and_ps(m, small));
  const __m256 z = _mm256_mul_ps(m, m);
  __m256 p = _mm256_set1_ps(7.0376836292e-2f);
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(-1.1514610310e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(1.1676998740e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(-1.2420140846e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(1.4249322787e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(-1.6668057665e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(2.0000714765e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(-2.4999993993e-1f));
  p = _mm256_fmadd_ps(p, m, _mm256_set1_ps(3.3333331174e-1f));
  p = _mm256_mul_ps(_mm256_mul_ps(p, m), z);
  p = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), p);
  p = _mm256_fnmadd_ps(_mm256_set1_ps(0.5f), z, p);
  m = _mm256_add_ps(m, p);
  return _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), m);
}

// exp(x) for x in [-88, 0] (Cephes expf: exp(x) = 2^n * exp(r), |r| <= ln2 / 2).
inline __m256 exp_nonpositive_ps(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  const __m256 z = _mm256_mul_ps(r, r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i scale = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

// erf(x) = sign(x) * (1 - poly(t) * exp(-x^2)), t = 1 / (1 + 0.3275911 |x|).
inline __m256 erf_ps(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 a = _mm256_min_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x),
                                 _mm256_set1_ps(9.0f));  // erf(9) == 1 in float
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
  __m256 p = _mm256_set1_ps(1.061405429f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
  p = _mm256_mul_ps(p, t);
  const __m256 e = exp_nonpositive_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), a), a));
  const __m256 large = _mm256_fnmadd_ps(p, e, one);
  // |x| < 1: the Taylor series to x^21 (truncation error < 2e-9), where the formula above
  // would only be accurate in absolute terms.
  const __m256 z = _mm256_mul_ps(a, a);
  __m256 q = _mm256_set1_ps(1.4807192815879218e-8f);
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(-1.6365844691234924e-7f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(1.6462114365889246e-6f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(-1.4925650358406251e-5f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(1.2055332981789664e-4f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(-8.548327023450853e-4f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(5.223977625442188e-3f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(-2.6866170645131252e-2f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(1.1283791670955126e-1f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(-3.7612638903183754e-1f));
  q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(1.1283791670955126f));
  const __m256 small = _mm256_mul_ps(q, a);
  const __m256 y =
      _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, one, _CMP_LT_OQ));
  return _mm256_or_ps(y, sign);
}

// Lanes that need std::log: x < FLT_MIN (zero, negative, subnormal), +inf, NaN.
inline int special_lanes(__m256 x) {
  const __m256 low = _mm256_cmp_ps(x, _mm256_set1_ps(1.17549435e-38f), _CMP_NGE_UQ);  // or NaN
  const __m256 inf = _mm256_cmp_ps(x, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ);
  return _mm256_movemask_ps(_mm256_or_ps(low, inf));
}

}  // namespace

void log_f32_avx2(int64_t n, const float* x, float* y) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const int special = special_lanes(v);
    _mm256_storeu_ps(y + i, log_normal_ps(v));
    if (special != 0) {  // x may alias y: take the inputs from the register copy
      alignas(32) float in[8];
      _mm256_store_ps(in, v);
      for (int k = 0; k < 8; ++k) {
        if ((special >> k) & 1) y[i + k] = std::log(in[k]);
      }
    }
  }
  for (; i < n; ++i) y[i] = std::log(x[i]);
}

void erf_f32_avx2(int64_t n, const float* x, float* y) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const int nan = _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    _mm256_storeu_ps(y + i, erf_ps(v));
    if (nan != 0) {
      alignas(32) float in[8];
      _mm256_store_ps(in, v);
      for (int k = 0; k < 8; ++k) {
        if ((nan >> k) & 1) y[i + k] = std::erf(in[k]);
      }
    }
  }
  for (; i < n; ++i) y[i] = std::erf(x[i]);
}

}  // namespace parley::onnx::detail

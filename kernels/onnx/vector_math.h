// Vectorised float math for the ONNX element-wise ops that kernels/ has no AVX2 row kernel for.
//
//   log_f32(n, x, y);   // y[i] = log(x[i]); in place (x == y) allowed
//   erf_f32(n, x, y);   // y[i] = erf(x[i]); in place allowed
//
// log_f32: AVX2 polynomial (Cephes logf: range reduction to [sqrt(0.5), sqrt(2)) and a degree-9
// polynomial; within 2 ulp of std::log) where the CPU has AVX2+FMA; lanes holding zero,
// negatives, subnormals, infinities or NaN take std::log, so special values follow C exactly.
// Elsewhere: std::log per element.
// erf_f32: AVX2, for |x| < 1 the Taylor series to x^21 (relative error ~1e-7), above it
// Abramowitz-Stegun 7.1.26 (absolute error < 2.5e-7 on values >= 0.84); NaN lanes take std::erf. Elsewhere: std::erf per element. No allocation, no throw.
#pragma once

#include <cstdint>

namespace parley::onnx {

void log_f32(int64_t n, const float* x, float* y);
void erf_f32(int64_t n, const float* x, float* y);

namespace detail {
void log_f32_avx2(int64_t n, const float* x, float* y);  // need AVX2 and FMA
void erf_f32_avx2(int64_t n, const float* x, float* y);
}  // namespace detail

}  // namespace parley::onnx

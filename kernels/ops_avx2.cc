// AVX2 + FMA + F16C versions of the hot f32 row primitives and the F32/F16/BF16 dot products.
// Compiled with -mavx2 -mfma -mf16c; dispatch.cc only calls register_ops_avx2 on CPUs that have
// them. Everything not overridden here keeps its scalar reference (ops_scalar.cc).
//
// Tails are processed with masked loads/stores through the same vector code, so element i gets
// the same result whatever n is.
//
// Accuracy (measured by tests/kernels/ops_test.cc against the double-precision reference):
//   * exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, then a degree-7 minimax
//     polynomial (the Cephes expf coefficients); max relative error ~2e-7 on [-87.3, 88.3].
//     Inputs above 88.37 give +inf (true overflow is at 88.72); inputs below -87.33 give 0 (true
//     results there are subnormal, below 1.2e-38). NaN propagates.
//   * sigmoid, silu = x / (1 + exp(-x)), gelu_tanh = x / (1 + exp(-2u)): the error of exp plus
//     two roundings; gelu_tanh also carries the float rounding of u (relative 1e-7 * |2u|).
//   * tanh: odd minimax polynomial (Cephes tanhf) for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1);
//     max relative error ~3e-7.
//   * sum, rms_norm, layer_norm and the softmax denominator accumulate in double lanes; dot
//     products accumulate in four float vectors (32 partial sums).
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

constexpr int64_t kLanes = 8;

// Mask for the first `count` (0..8) lanes: load 8 ints starting at kMaskSource + 8 - count.
alignas(32) constexpr int32_t kMaskSource[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};
inline __m256i tail_mask(int64_t count) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskSource + kLanes - count));
}

inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline double horizontal_sum(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

inline float horizontal_max(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// acc += v, with v's eight floats widened to double.
inline void accumulate_double(__m256d& acc_low, __m256d& acc_high, __m256 v) {
  acc_low = _mm256_add_pd(acc_low, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  acc_high = _mm256_add_pd(acc_high, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// --- transcendental functions -------------------------------------------------------------------

inline __m256 exp_ps(__m256 x) {
  const __m256 max_input = _mm256_set1_ps(88.37f);
  const __m256 min_input = _mm256_set1_ps(-87.3365f);
  // min/max return their second operand when either is NaN: NaN flows through to the result.
  const __m256 clamped = _mm256_max_ps(min_input, _mm256_min_ps(max_input, x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln2 split in a 9-bit head (n * head is exact) and a tail.
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), clamped);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n for n in [-126, 127]: build the exponent field directly.
  const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23)));
  result = _mm256_blendv_ps(result, _mm256_setzero_ps(), _mm256_cmp_ps(x, min_input, _CMP_LT_OQ));
  result = _mm256_blendv_ps(result, _mm256_set1_ps(std::numeric_limits<float>::infinity()),
                            _mm256_cmp_ps(x, max_input, _CMP_GT_OQ));
  return result;
}

inline __m256 sigmoid_ps(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

inline __m256 silu_ps(__m256 x) {
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

inline __m256 gelu_tanh_ps(__m256 x) {
  // x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3); -2u = x * (a + b x^2).
  const __m256 a = _mm256_set1_ps(-2.0f * 0.79788456080286535588f);
  const __m256 b = _mm256_set1_ps(-2.0f * 0.79788456080286535588f * 0.044715f);
  const __m256 minus_two_u = _mm256_mul_ps(x, _mm256_fmadd_ps(b, _mm256_mul_ps(x, x), a));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_ps(minus_two_u)));
}

inline __m256 tanh_ps(__m256 x) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 abs_x = _mm256_andnot_ps(sign_bit, x);
  // Small inputs: tanh x = x + x z P(z), z = x^2.
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, z), p, x);
  // Large inputs: 1 - 2 / (exp(2|x|) + 1), with x's sign.
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 e = exp_ps(_mm256_add_ps(abs_x, abs_x));
  __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  large = _mm256_or_ps(large, _mm256_and_ps(sign_bit, x));
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(abs_x, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

template <__m256 (*F)(__m256)>
void unary_row(int64_t n, const float* x, float* y) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, mask, F(_mm256_maskload_ps(x + i, mask)));
  }
}

// --- binary ops ---------------------------------------------------------------------------------

inline __m256 add_ps(__m256 a, __m256 b) {
  return _mm256_add_ps(a, b);
}
inline __m256 mul_ps(__m256 a, __m256 b) {
  return _mm256_mul_ps(a, b);
}

template <__m256 (*F)(__m256, __m256)>
void binary_row(int64_t n, const float* a, const float* b, float* y) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, mask,
                        F(_mm256_maskload_ps(a + i, mask), _mm256_maskload_ps(b + i, mask)));
  }
}

template <__m256 (*F)(__m256, __m256)>
void binary_scalar_row(int64_t n, const float* a, float b, float* y) {
  const __m256 vb = _mm256_set1_ps(b);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(a + i), vb));
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, mask, F(_mm256_maskload_ps(a + i, mask), vb));
  }
}

// --- vector primitives --------------------------------------------------------------------------

void axpy(int64_t n, float alpha, const float* x, float* y) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 r =
        _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, mask), _mm256_maskload_ps(y + i, mask));
    _mm256_maskstore_ps(y + i, mask, r);
  }
}

void scale(int64_t n, float alpha, const float* x, float* y) {
  binary_scalar_row<mul_ps>(n, x, alpha, y);
}

float sum(int64_t n, const float* x) {
  __m256d acc_low = _mm256_setzero_pd();
  __m256d acc_high = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) accumulate_double(acc_low, acc_high, _mm256_loadu_ps(x + i));
  if (i < n) accumulate_double(acc_low, acc_high, _mm256_maskload_ps(x + i, tail_mask(n - i)));
  return static_cast<float>(horizontal_sum(_mm256_add_pd(acc_low, acc_high)));
}

float max(int64_t n, const float* x) {
  const __m256 lowest = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 best = lowest;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) best = _mm256_max_ps(_mm256_loadu_ps(x + i), best);
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 v =
        _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + i, mask), _mm256_castsi256_ps(mask));
    best = _mm256_max_ps(v, best);
  }
  return horizontal_max(best);
}

// Sum of squares of x in double lanes.
double sum_squares(int64_t n, const float* x, float offset) {
  const __m256 shift = _mm256_set1_ps(offset);
  __m256d acc_low = _mm256_setzero_pd();
  __m256d acc_high = _mm256_setzero_pd();
  const auto add = [&](__m256 v) {
    const __m256d low = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    const __m256d high = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    acc_low = _mm256_fmadd_pd(low, low, acc_low);
    acc_high = _mm256_fmadd_pd(high, high, acc_high);
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) add(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift));
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    // Masked lanes load 0; zero them again after the shift.
    const __m256 v = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, mask), shift),
                                   _mm256_castsi256_ps(mask));
    add(v);
  }
  return horizontal_sum(_mm256_add_pd(acc_low, acc_high));
}

// y = (x - shift) * factor * weight + bias; weight and bias may be null.
void normalize_row(int64_t n, const float* x, float shift, float factor, const float* weight,
                   const float* bias, float* y) {
  const __m256 vs = _mm256_set1_ps(shift);
  const __m256 vf = _mm256_set1_ps(factor);
  const auto compute = [&](__m256 v, __m256 w, __m256 b) {
    return _mm256_fmadd_ps(_mm256_mul_ps(_mm256_sub_ps(v, vs), vf), w, b);
  };
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m256 w = weight != nullptr ? _mm256_loadu_ps(weight + i) : one;
    const __m256 b = bias != nullptr ? _mm256_loadu_ps(bias + i) : zero;
    _mm256_storeu_ps(y + i, compute(_mm256_loadu_ps(x + i), w, b));
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 w = weight != nullptr ? _mm256_maskload_ps(weight + i, mask) : one;
    const __m256 b = bias != nullptr ? _mm256_maskload_ps(bias + i, mask) : zero;
    _mm256_maskstore_ps(y + i, mask, compute(_mm256_maskload_ps(x + i, mask), w, b));
  }
}

void rms_norm(int64_t n, const float* x, const float* weight, float eps, float* y) {
  if (n <= 0) return;
  const double mean_square = sum_squares(n, x, 0.0f) / static_cast<double>(n);
  const auto factor = static_cast<float>(1.0 / std::sqrt(mean_square + eps));
  normalize_row(n, x, 0.0f, factor, weight, nullptr, y);
}

void layer_norm(int64_t n, const float* x, const float* weight, const float* bias, float eps,
                float* y) {
  if (n <= 0) return;
  const auto mean = static_cast<float>(static_cast<double>(sum(n, x)) / static_cast<double>(n));
  const double variance = sum_squares(n, x, mean) / static_cast<double>(n);
  const auto factor = static_cast<float>(1.0 / std::sqrt(variance + eps));
  normalize_row(n, x, mean, factor, weight, bias, y);
}

void softmax(int64_t n, const float* x, float* y) {
  if (n <= 0) return;
  const __m256 top = _mm256_set1_ps(max(n, x));
  __m256d acc_low = _mm256_setzero_pd();
  __m256d acc_high = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), top));
    _mm256_storeu_ps(y + i, e);
    accumulate_double(acc_low, acc_high, e);
  }
  if (i < n) {
    const __m256i mask = tail_mask(n - i);
    const __m256 e = _mm256_and_ps(exp_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, mask), top)),
                                   _mm256_castsi256_ps(mask));
    _mm256_maskstore_ps(y + i, mask, e);
    accumulate_double(acc_low, acc_high, e);
  }
  const auto inv_total = static_cast<float>(1.0 / horizontal_sum(_mm256_add_pd(acc_low, acc_high)));
  binary_scalar_row<mul_ps>(n, y, inv_total, y);
}

// --- dot products -------------------------------------------------------------------------------

// Loads 8 weights of each kind as floats.
inline __m256 load_weights(const float* w) {
  return _mm256_loadu_ps(w);
}
inline __m256 load_weights(const uint16_t* w, std::integral_constant<DType, DType::F16>) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
}
inline __m256 load_weights(const uint16_t* w, std::integral_constant<DType, DType::BF16>) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

template <DType kType>
inline __m256 load8(const void* weights, int64_t i) {
  if constexpr (kType == DType::F32) {
    return load_weights(static_cast<const float*>(weights) + i);
  } else {
    return load_weights(static_cast<const uint16_t*>(weights) + i,
                        std::integral_constant<DType, kType>{});
  }
}

// Loads the last `count` (< 8) weights, zero-filling the other lanes.
template <DType kType>
inline __m256 load_tail(const void* weights, int64_t i, int64_t count) {
  if constexpr (kType == DType::F32) {
    return _mm256_maskload_ps(static_cast<const float*>(weights) + i, tail_mask(count));
  } else {
    uint16_t buffer[kLanes] = {};
    std::memcpy(buffer, static_cast<const uint16_t*>(weights) + i,
                static_cast<size_t>(count) * sizeof(uint16_t));
    return load8<kType>(buffer, 0);
  }
}

template <DType kType>
float vec_dot(int64_t n, const void* weights, const void* activations) {
  const auto* a = static_cast<const float*>(activations);
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps();
  __m256 acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    acc0 = _mm256_fmadd_ps(load8<kType>(weights, i), _mm256_loadu_ps(a + i), acc0);
    acc1 = _mm256_fmadd_ps(load8<kType>(weights, i + 8), _mm256_loadu_ps(a + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(load8<kType>(weights, i + 16), _mm256_loadu_ps(a + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(load8<kType>(weights, i + 24), _mm256_loadu_ps(a + i + 24), acc3);
  }
  for (; i + kLanes <= n; i += kLanes) {
    acc0 = _mm256_fmadd_ps(load8<kType>(weights, i), _mm256_loadu_ps(a + i), acc0);
  }
  if (i < n) {
    const __m256 w = load_tail<kType>(weights, i, n - i);
    acc1 = _mm256_fmadd_ps(w, _mm256_maskload_ps(a + i, tail_mask(n - i)), acc1);
  }
  return horizontal_sum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

// --- row converters -----------------------------------------------------------------------------

// F16C rounds to nearest even like fp32_to_fp16 (fp16.h), subnormals and NaN included.
void quantize_row_f16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m128i packed = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), packed);
  }
  if (i < n) {
    const __m256 v = _mm256_maskload_ps(src + i, tail_mask(n - i));
    uint16_t buffer[kLanes];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(buffer),
                     _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(h + i, buffer, static_cast<size_t>(n - i) * sizeof(uint16_t));
  }
}


// F16C conversion is exact for every half value.
void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
  }
  for (; i < n; ++i) dst[i] = _cvtsh_ss(h[i]);
}

}  // namespace

void register_ops_avx2(KernelTable& table) {
  table.unary[slot(UnaryOp::Silu)] = unary_row<silu_ps>;
  table.unary[slot(UnaryOp::GeluTanh)] = unary_row<gelu_tanh_ps>;
  table.unary[slot(UnaryOp::Tanh)] = unary_row<tanh_ps>;
  table.unary[slot(UnaryOp::Sigmoid)] = unary_row<sigmoid_ps>;
  table.unary[slot(UnaryOp::Exp)] = unary_row<exp_ps>;

  table.binary[slot(BinaryOp::Add)] = binary_row<add_ps>;
  table.binary[slot(BinaryOp::Mul)] = binary_row<mul_ps>;
  table.binary_scalar[slot(BinaryOp::Add)] = binary_scalar_row<add_ps>;
  table.binary_scalar[slot(BinaryOp::Mul)] = binary_scalar_row<mul_ps>;

  table.axpy = axpy;
  table.scale = scale;
  table.sum = sum;
  table.max = max;
  table.rms_norm = rms_norm;
  table.layer_norm = layer_norm;
  table.softmax = softmax;

  table.vec_dot[slot(DType::F32)] = vec_dot<DType::F32>;
  table.vec_dot[slot(DType::F16)] = vec_dot<DType::F16>;
  table.vec_dot[slot(DType::BF16)] = vec_dot<DType::BF16>;
  table.quantize_row[slot(DType::F16)] = quantize_row_f16;
  table.dequantize_row[slot(DType::F16)] = dequantize_row_f16;
}

}  // namespace parley::kernels

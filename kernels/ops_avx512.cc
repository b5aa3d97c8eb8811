// AVX-512 (F/BW/VL/DQ) versions of the hot f32 row primitives and the F32/F16/BF16 dot
// products. dispatch.cc calls register_ops_avx512 only on CPUs that have the ISA, after the
// AVX2 hooks, so anything not overridden here keeps its AVX2 version.
//
// Same algorithms and accuracy as ops_avx2.cc (see there), with 16 lanes and mask registers
// for the tails. One difference: exp scales by 2^n with vscalefps, which overflows to +inf and
// underflows through the subnormals exactly at the IEEE limits (inputs are clamped to
// [-104, 89] only to keep the range reduction exact).
#include <immintrin.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/kernel_table.h"

// GCC 12's AVX-512 headers initialise _mm512_undefined_*() from themselves, which -Wall reports
// at every inlined intrinsic (GCC bug 105593, fixed in GCC 13). The warning is spurious here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace parley::kernels {
namespace {

constexpr int64_t kLanes = 16;

// Mask of the first `count` (0..16) lanes.
inline __mmask16 tail_mask(int64_t count) {
  return static_cast<__mmask16>((1u << static_cast<unsigned>(count)) - 1u);
}

// acc += v, with v's sixteen floats widened to double.
inline void accumulate_double(__m512d& acc_low, __m512d& acc_high, __m512 v) {
  acc_low = _mm512_add_pd(acc_low, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  acc_high = _mm512_add_pd(acc_high, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

// --- transcendental functions -------------------------------------------------------------------

inline __m512 exp_ps(__m512 x) {
  // min/max return their second operand when either is NaN: NaN flows through to the result.
  const __m512 clamped =
      _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x));
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // ln2 split in a 9-bit head (n * head is exact for |n| < 2^15) and a tail.
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), clamped);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

inline __m512 sigmoid_ps(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return _mm512_div_ps(one, _mm512_add_ps(one, e));
}

inline __m512 silu_ps(__m512 x) {
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

inline __m512 gelu_tanh_ps(__m512 x) {
  // x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3); -2u = x * (a + b x^2).
  const __m512 a = _mm512_set1_ps(-2.0f * 0.79788456080286535588f);
  const __m512 b = _mm512_set1_ps(-2.0f * 0.79788456080286535588f * 0.044715f);
  const __m512 minus_two_u = _mm512_mul_ps(x, _mm512_fmadd_ps(b, _mm512_mul_ps(x, x), a));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), exp_ps(minus_two_u)));
}

inline __m512 tanh_ps(__m512 x) {
  const __m512 abs_x = _mm512_abs_ps(x);
  // Small inputs: tanh x = x + x z P(z), z = x^2.
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(x, z), p, x);
  // Large inputs: 1 - 2 / (exp(2|x|) + 1), with x's sign.
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 e = exp_ps(_mm512_add_ps(abs_x, abs_x));
  __m512 large = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN));
  large = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(large), sign));
  const __mmask16 is_small = _mm512_cmp_ps_mask(abs_x, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(is_small, large, small);
}

template <__m512 (*F)(__m512)>
void unary_row(int64_t n, const float* x, float* y) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, mask, F(_mm512_maskz_loadu_ps(mask, x + i)));
  }
}

// --- binary ops ---------------------------------------------------------------------------------

inline __m512 add_ps(__m512 a, __m512 b) {
  return _mm512_add_ps(a, b);
}
inline __m512 mul_ps(__m512 a, __m512 b) {
  return _mm512_mul_ps(a, b);
}

template <__m512 (*F)(__m512, __m512)>
void binary_row(int64_t n, const float* a, const float* b, float* y) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    _mm512_mask_storeu_ps(
        y + i, mask, F(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i)));
  }
}

template <__m512 (*F)(__m512, __m512)>
void binary_scalar_row(int64_t n, const float* a, float b, float* y) {
  const __m512 vb = _mm512_set1_ps(b);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm512_storeu_ps(y + i, F(_mm512_loadu_ps(a + i), vb));
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, mask, F(_mm512_maskz_loadu_ps(mask, a + i), vb));
  }
}

// --- vector primitives --------------------------------------------------------------------------

void axpy(int64_t n, float alpha, const float* x, float* y) {
  const __m512 va = _mm512_set1_ps(alpha);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    const __m512 r =
        _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(mask, x + i), _mm512_maskz_loadu_ps(mask, y + i));
    _mm512_mask_storeu_ps(y + i, mask, r);
  }
}

void scale(int64_t n, float alpha, const float* x, float* y) {
  binary_scalar_row<mul_ps>(n, x, alpha, y);
}

float sum(int64_t n, const float* x) {
  __m512d acc_low = _mm512_setzero_pd();
  __m512d acc_high = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) accumulate_double(acc_low, acc_high, _mm512_loadu_ps(x + i));
  if (i < n) accumulate_double(acc_low, acc_high, _mm512_maskz_loadu_ps(tail_mask(n - i), x + i));
  return static_cast<float>(_mm512_reduce_add_pd(_mm512_add_pd(acc_low, acc_high)));
}

float max(int64_t n, const float* x) {
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 best = lowest;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) best = _mm512_max_ps(_mm512_loadu_ps(x + i), best);
  if (i < n) {
    // Masked-off lanes keep -inf.
    best = _mm512_max_ps(_mm512_mask_loadu_ps(lowest, tail_mask(n - i), x + i), best);
  }
  return _mm512_reduce_max_ps(best);
}

// Sum of squares of (x - offset) in double lanes.
double sum_squares(int64_t n, const float* x, float offset) {
  const __m512 shift = _mm512_set1_ps(offset);
  __m512d acc_low = _mm512_setzero_pd();
  __m512d acc_high = _mm512_setzero_pd();
  const auto add = [&](__m512 v) {
    const __m512d low = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d high = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
    acc_low = _mm512_fmadd_pd(low, low, acc_low);
    acc_high = _mm512_fmadd_pd(high, high, acc_high);
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) add(_mm512_sub_ps(_mm512_loadu_ps(x + i), shift));
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    add(_mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, x + i), shift));
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(acc_low, acc_high));
}

// y = (x - shift) * factor * weight + bias; weight and bias may be null.
void normalize_row(int64_t n, const float* x, float shift, float factor, const float* weight,
                   const float* bias, float* y) {
  const __m512 vs = _mm512_set1_ps(shift);
  const __m512 vf = _mm512_set1_ps(factor);
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 zero = _mm512_setzero_ps();
  const auto compute = [&](__m512 v, __m512 w, __m512 b) {
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_sub_ps(v, vs), vf), w, b);
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m512 w = weight != nullptr ? _mm512_loadu_ps(weight + i) : one;
    const __m512 b = bias != nullptr ? _mm512_loadu_ps(bias + i) : zero;
    _mm512_storeu_ps(y + i, compute(_mm512_loadu_ps(x + i), w, b));
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    const __m512 w = weight != nullptr ? _mm512_maskz_loadu_ps(mask, weight + i) : one;
    const __m512 b = bias != nullptr ? _mm512_maskz_loadu_ps(mask, bias + i) : zero;
    _mm512_mask_storeu_ps(y + i, mask, compute(_mm512_maskz_loadu_ps(mask, x + i), w, b));
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
  const __m512 top = _mm512_set1_ps(max(n, x));
  __m512d acc_low = _mm512_setzero_pd();
  __m512d acc_high = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), top));
    _mm512_storeu_ps(y + i, e);
    accumulate_double(acc_low, acc_high, e);
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    const __m512 e =
        _mm512_maskz_mov_ps(mask, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), top)));
    _mm512_mask_storeu_ps(y + i, mask, e);
    accumulate_double(acc_low, acc_high, e);
  }
  const auto inv_total =
      static_cast<float>(1.0 / _mm512_reduce_add_pd(_mm512_add_pd(acc_low, acc_high)));
  binary_scalar_row<mul_ps>(n, y, inv_total, y);
}

// --- dot products -------------------------------------------------------------------------------

// Loads 16 weights (or the first popcount(mask) of them, zero elsewhere) as floats.
template <DType kType>
inline __m512 load_weights(const void* weights, int64_t i, __mmask16 mask) {
  if constexpr (kType == DType::F32) {
    return _mm512_maskz_loadu_ps(mask, static_cast<const float*>(weights) + i);
  } else {
    const __m256i halves =
        _mm256_maskz_loadu_epi16(mask, static_cast<const uint16_t*>(weights) + i);
    if constexpr (kType == DType::F16) {
      return _mm512_cvtph_ps(halves);
    } else {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(halves), 16));
    }
  }
}

template <DType kType>
float vec_dot(int64_t n, const void* weights, const void* activations) {
  const auto* a = static_cast<const float*>(activations);
  constexpr __mmask16 kAll = 0xffff;
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps();
  __m512 acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    acc0 = _mm512_fmadd_ps(load_weights<kType>(weights, i, kAll), _mm512_loadu_ps(a + i), acc0);
    acc1 = _mm512_fmadd_ps(load_weights<kType>(weights, i + 16, kAll), _mm512_loadu_ps(a + i + 16),
                           acc1);
    acc2 = _mm512_fmadd_ps(load_weights<kType>(weights, i + 32, kAll), _mm512_loadu_ps(a + i + 32),
                           acc2);
    acc3 = _mm512_fmadd_ps(load_weights<kType>(weights, i + 48, kAll), _mm512_loadu_ps(a + i + 48),
                           acc3);
  }
  for (; i + kLanes <= n; i += kLanes) {
    acc0 = _mm512_fmadd_ps(load_weights<kType>(weights, i, kAll), _mm512_loadu_ps(a + i), acc0);
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    acc1 = _mm512_fmadd_ps(load_weights<kType>(weights, i, mask),
                           _mm512_maskz_loadu_ps(mask, a + i), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

// --- row converters -----------------------------------------------------------------------------

void quantize_row_f16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const __m256i packed = _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + i), packed);
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    const __m256i packed =
        _mm512_cvtps_ph(_mm512_maskz_loadu_ps(mask, src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_mask_storeu_epi16(h + i, mask, packed);
  }
}


// Exact for every half value.
void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + i))));
  }
  if (i < n) {
    const __mmask16 mask = tail_mask(n - i);
    _mm512_mask_storeu_ps(dst + i, mask, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, h + i)));
  }
}

}  // namespace

void register_ops_avx512(KernelTable& table) {
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

// Scalar reference for every f32 row primitive of the KernelTable, the F32/F16/BF16 dot
// products and the F32/F16/BF16 row converters.
//
// These functions define what the optimized kernels (ops_avx2.cc, ops_avx512.cc) must match.
// They favour accuracy over speed: transcendental functions are evaluated in double through
// <cmath>, and every sum (sum, dot products, norms, the softmax denominator) accumulates in
// double, so a float result carries at most one final rounding error plus the input error.
//
// Conventions shared with the optimized kernels (ops tests check them):
//   * max of an empty row is -infinity; argmax of an empty row is -1;
//   * argmax returns the first index of the maximum; NaN inputs give unspecified results;
//   * softmax of an empty row writes nothing;
//   * rms_norm / layer_norm with n == 0 write nothing.
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/fp16.h"
#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

// --- unary ops ----------------------------------------------------------------------------------

constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kGeluTanhCubic = 0.044715;

inline double relu(double x) {
  return x > 0.0 ? x : 0.0;
}
inline double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
inline double silu(double x) {
  return x / (1.0 + std::exp(-x));
}
// 0.5 x (1 + tanh(u)) == x * sigmoid(2u): the sigmoid form has no cancellation for x << 0.
inline double gelu_tanh(double x) {
  const double u = kSqrt2OverPi * (x + kGeluTanhCubic * x * x * x);
  return x / (1.0 + std::exp(-2.0 * u));
}
inline double gelu_erf(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

template <double (*F)(double)>
void unary_row(int64_t n, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(F(static_cast<double>(x[i])));
}

double op_tanh(double x) {
  return std::tanh(x);
}
double op_exp(double x) {
  return std::exp(x);
}
double op_log(double x) {
  return std::log(x);
}
double op_neg(double x) {
  return -x;
}
double op_abs(double x) {
  return std::fabs(x);
}
double op_sqrt(double x) {
  return std::sqrt(x);
}

// --- binary ops ---------------------------------------------------------------------------------

// Add/Sub/Mul/Div are computed in float: IEEE float arithmetic is already correctly rounded,
// and the optimized kernels use the same single operation, so results match bit for bit.
inline float op_add(float a, float b) {
  return a + b;
}
inline float op_sub(float a, float b) {
  return a - b;
}
inline float op_mul(float a, float b) {
  return a * b;
}
inline float op_div(float a, float b) {
  return a / b;
}
inline float op_max(float a, float b) {
  return a > b ? a : b;
}
inline float op_min(float a, float b) {
  return a < b ? a : b;
}
inline float op_pow(float a, float b) {
  return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
}

template <float (*F)(float, float)>
void binary_row(int64_t n, const float* a, const float* b, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = F(a[i], b[i]);
}

template <float (*F)(float, float)>
void binary_scalar_row(int64_t n, const float* a, float b, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = F(a[i], b);
}

// --- vector primitives --------------------------------------------------------------------------

void axpy(int64_t n, float alpha, const float* x, float* y) {
  // The double product is exact, so this rounds like a fused multiply-add (up to double rounding).
  for (int64_t i = 0; i < n; ++i)
    y[i] = static_cast<float>(static_cast<double>(alpha) * x[i] + y[i]);
}

void scale(int64_t n, float alpha, const float* x, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = alpha * x[i];
}

float sum(int64_t n, const float* x) {
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += x[i];
  return static_cast<float>(total);
}

float max(int64_t n, const float* x) {
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) best = x[i] > best ? x[i] : best;
  return best;
}

int64_t argmax(int64_t n, const float* x) {
  if (n <= 0) return -1;
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

void rms_norm(int64_t n, const float* x, const float* weight, float eps, float* y) {
  if (n <= 0) return;
  double sum_squares = 0.0;
  for (int64_t i = 0; i < n; ++i) sum_squares += static_cast<double>(x[i]) * x[i];
  const double inv_rms = 1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i] * inv_rms;
    y[i] = static_cast<float>(weight != nullptr ? v * weight[i] : v);
  }
}

void layer_norm(int64_t n, const float* x, const float* weight, const float* bias, float eps,
                float* y) {
  if (n <= 0) return;
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += x[i];
  const double mean = total / static_cast<double>(n);
  double sum_squares = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    sum_squares += d * d;
  }
  const double inv_std = 1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps);
  for (int64_t i = 0; i < n; ++i) {
    double v = (x[i] - mean) * inv_std;
    if (weight != nullptr) v *= weight[i];
    if (bias != nullptr) v += bias[i];
    y[i] = static_cast<float>(v);
  }
}

void softmax(int64_t n, const float* x, float* y) {
  if (n <= 0) return;
  const double top = max(n, x);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = std::exp(static_cast<double>(x[i]) - top);
    y[i] = static_cast<float>(e);  // y may alias x: x[i] is not read again
    total += e;
  }
  // y holds the exponentials rounded to float; normalising them adds under one ulp of error.
  const double inv_total = 1.0 / total;
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<double>(y[i]) * inv_total);
}

// --- dot products and row converters ------------------------------------------------------------

float vec_dot_f32(int64_t n, const void* weights, const void* activations) {
  const auto* w = static_cast<const float*>(weights);
  const auto* a = static_cast<const float*>(activations);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(w[i]) * a[i];
  return static_cast<float>(total);
}

float vec_dot_f16(int64_t n, const void* weights, const void* activations) {
  const auto* w = static_cast<const uint16_t*>(weights);
  const auto* a = static_cast<const float*>(activations);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(fp16_to_fp32(w[i])) * a[i];
  return static_cast<float>(total);
}

float vec_dot_bf16(int64_t n, const void* weights, const void* activations) {
  const auto* w = static_cast<const uint16_t*>(weights);
  const auto* a = static_cast<const float*>(activations);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(bf16_to_fp32(w[i])) * a[i];
  return static_cast<float>(total);
}

void quantize_row_f32(const float* src, void* dst, int64_t n) {
  std::memmove(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void quantize_row_f16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
}

void quantize_row_bf16(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) b[i] = fp32_to_bf16(src[i]);
}

}  // namespace

void register_ops_scalar(KernelTable& table) {
  table.unary[slot(UnaryOp::Relu)] = unary_row<relu>;
  table.unary[slot(UnaryOp::Silu)] = unary_row<silu>;
  table.unary[slot(UnaryOp::GeluTanh)] = unary_row<gelu_tanh>;
  table.unary[slot(UnaryOp::GeluErf)] = unary_row<gelu_erf>;
  table.unary[slot(UnaryOp::Tanh)] = unary_row<op_tanh>;
  table.unary[slot(UnaryOp::Sigmoid)] = unary_row<sigmoid>;
  table.unary[slot(UnaryOp::Exp)] = unary_row<op_exp>;
  table.unary[slot(UnaryOp::Log)] = unary_row<op_log>;
  table.unary[slot(UnaryOp::Neg)] = unary_row<op_neg>;
  table.unary[slot(UnaryOp::Abs)] = unary_row<op_abs>;
  table.unary[slot(UnaryOp::Sqrt)] = unary_row<op_sqrt>;

  table.binary[slot(BinaryOp::Add)] = binary_row<op_add>;
  table.binary[slot(BinaryOp::Sub)] = binary_row<op_sub>;
  table.binary[slot(BinaryOp::Mul)] = binary_row<op_mul>;
  table.binary[slot(BinaryOp::Div)] = binary_row<op_div>;
  table.binary[slot(BinaryOp::Max)] = binary_row<op_max>;
  table.binary[slot(BinaryOp::Min)] = binary_row<op_min>;
  table.binary[slot(BinaryOp::Pow)] = binary_row<op_pow>;

  table.binary_scalar[slot(BinaryOp::Add)] = binary_scalar_row<op_add>;
  table.binary_scalar[slot(BinaryOp::Sub)] = binary_scalar_row<op_sub>;
  table.binary_scalar[slot(BinaryOp::Mul)] = binary_scalar_row<op_mul>;
  table.binary_scalar[slot(BinaryOp::Div)] = binary_scalar_row<op_div>;
  table.binary_scalar[slot(BinaryOp::Max)] = binary_scalar_row<op_max>;
  table.binary_scalar[slot(BinaryOp::Min)] = binary_scalar_row<op_min>;
  table.binary_scalar[slot(BinaryOp::Pow)] = binary_scalar_row<op_pow>;

  table.axpy = axpy;
  table.scale = scale;
  table.sum = sum;
  table.max = max;
  table.argmax = argmax;
  table.rms_norm = rms_norm;
  table.layer_norm = layer_norm;
  table.softmax = softmax;

  table.vec_dot[slot(DType::F32)] = vec_dot_f32;
  table.vec_dot[slot(DType::F16)] = vec_dot_f16;
  table.vec_dot[slot(DType::BF16)] = vec_dot_bf16;
  table.quantize_row[slot(DType::F32)] = quantize_row_f32;
  table.quantize_row[slot(DType::F16)] = quantize_row_f16;
  table.quantize_row[slot(DType::BF16)] = quantize_row_bf16;
}

}  // namespace parley::kernels

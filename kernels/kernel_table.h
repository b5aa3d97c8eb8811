// KernelTable: the function pointers of one ISA level. The scalar table is the reference; each
// ISA translation unit (*_avx2.cc, *_avx512.cc) overrides the entries it accelerates, starting
// from the level below, so a table is always complete.
//
//   const KernelTable& k = kernels();                          // active level (cpu.h)
//   float d = k.vec_dot[int(DType::Q4_0)](n, weight_row, q8_0_activations);
//   k.unary[int(UnaryOp::Silu)](n, x, y);
//
// Every function here works on contiguous rows, never allocates and never throws. Pointers
// may be unaligned. Tensor-level operations with strides and broadcasting are in ops.h.
#pragma once

#include <cstdint>

#include "kernels/cpu.h"
#include "kernels/dtype.h"

namespace parley::kernels {

// Dot of n weights (in the row's dtype) with n activations (in its vec_dot_type).
using VecDotFn = float (*)(int64_t n, const void* weights, const void* activations);
using UnaryFn = void (*)(int64_t n, const float* x, float* y);            // y may alias x
using BinaryFn = void (*)(int64_t n, const float* a, const float* b, float* y);  // may alias
// Tile of a batched product (matmul.cc, batch > 1): for r < rows and b < batch,
//   y[b * y_row_stride_floats + r] = vec_dot(n, weights + r * weight_row_bytes,
//                                            activations + b * activation_row_bytes)
// with weights in the entry's dtype and activations in its vec_dot_type. Equal to that
// vec_dot loop up to float summation order (the integer block sums are exact). Optimized
// versions unpack each weight block once and multiply it with several activation rows held in
// registers; the caller sizes the tile so that its rows and activations stay in cache.
//   k.gemm_tile[int(DType::Q4_0)](cols, w, w_row_bytes, 64, a_q8, a_row_bytes, 32, y, rows);
using GemmTileFn = void (*)(int64_t n, const void* weights, int64_t weight_row_bytes,
                            int64_t rows, const void* activations, int64_t activation_row_bytes,
                            int64_t batch, float* y, int64_t y_row_stride_floats);

enum class UnaryOp : int {
  Relu,
  Silu,
  GeluTanh,
  GeluErf,
  Tanh,
  Sigmoid,
  Exp,
  Log,
  Neg,
  Abs,
  Sqrt,
  kCount
};
inline constexpr int kUnaryOpCount = static_cast<int>(UnaryOp::kCount);

enum class BinaryOp : int { Add, Sub, Mul, Div, Max, Min, Pow, kCount };
inline constexpr int kBinaryOpCount = static_cast<int>(BinaryOp::kCount);

struct KernelTable {
  Isa isa = Isa::Scalar;

  // --- dot products and activation conversion ------------------------------------------------
  VecDotFn vec_dot[kDTypeCount] = {};          // null where the dtype has no dot product
  FromFloatFn quantize_row[kDTypeCount] = {};  // optimized from_float (Q8_0, Q8_K, F16, ...)
  // Optimized to_float; every slot is filled (the scalar table starts from dtype_traits).
  ToFloatFn dequantize_row[kDTypeCount] = {};
  GemmTileFn gemm_tile[kDTypeCount] = {};      // set wherever vec_dot is (qgemm_*.cc)

  // --- f32 row primitives ---------------------------------------------------------------------
  UnaryFn unary[kUnaryOpCount] = {};
  BinaryFn binary[kBinaryOpCount] = {};  // same-length rows
  // y[i] = a[i] op scalar b
  void (*binary_scalar[kBinaryOpCount])(int64_t n, const float* a, float b, float* y) = {};
  void (*axpy)(int64_t n, float alpha, const float* x, float* y) = nullptr;  // y += alpha * x
  void (*scale)(int64_t n, float alpha, const float* x, float* y) = nullptr;  // y = alpha * x
  float (*sum)(int64_t n, const float* x) = nullptr;
  float (*max)(int64_t n, const float* x) = nullptr;
  int64_t (*argmax)(int64_t n, const float* x) = nullptr;  // first index of the maximum
  // y = x / rms(x) * weight (weight may be null)
  void (*rms_norm)(int64_t n, const float* x, const float* weight, float eps, float* y) = nullptr;
  // y = (x - mean) / sqrt(var + eps) * weight + bias (weight, bias may be null)
  void (*layer_norm)(int64_t n, const float* x, const float* weight, const float* bias, float eps,
                     float* y) = nullptr;
  // y = exp(x - max) / sum; returns nothing; y may alias x
  void (*softmax)(int64_t n, const float* x, float* y) = nullptr;
};

// Slot of an enum value in the table's arrays.
constexpr int slot(DType type) { return static_cast<int>(type); }
constexpr int slot(UnaryOp op) { return static_cast<int>(op); }
constexpr int slot(BinaryOp op) { return static_cast<int>(op); }

const KernelTable& kernels();              // table for active_isa()
const KernelTable* kernels_for(Isa isa);   // null when the CPU lacks the ISA (for tests)

// Registration hooks, one per kernel file, called by dispatch.cc in order: all scalar hooks
// fill a fresh table; then, for each higher level the CPU has, its hooks override entries.
void register_quant_legacy_scalar(KernelTable& table);
void register_quant_k_scalar(KernelTable& table);
void register_ops_scalar(KernelTable& table);
void register_qgemm_scalar(KernelTable& table);  // after the vec_dot hooks: loops over them
void register_quant_legacy_avx2(KernelTable& table);
void register_quant_k_avx2(KernelTable& table);
void register_ops_avx2(KernelTable& table);
void register_qgemm_avx2(KernelTable& table);
void register_quant_legacy_avx512(KernelTable& table);
void register_quant_k_avx512(KernelTable& table);
void register_ops_avx512(KernelTable& table);
void register_qgemm_avx512(KernelTable& table);

}  // namespace parley::kernels

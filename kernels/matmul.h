// Matrix products with weights in any dtype of the trait table.
//
//   y[b, r] = sum_c W[r, c] * x[b, c]          W: [rows, cols], x: [batch, cols], y: [batch, rows]
//
// This is the product every engine's linear layers use (GGUF weights are stored [out, in]).
// Activations are converted once per call to the weight type's vec_dot_type (8-bit blocks for
// quantized weights, so the inner loops are integer dot products). Batch 1 (decode) splits the
// rows of W across the pool, one vec_dot per row; batch > 1 (prefill) splits rows x batch
// blocks across the pool and runs the kernel table's gemm_tile on each, which reuses every
// unpacked weight block for several activation rows. The scratch arena holds the converted
// activations; nothing else allocates.
//
//   Arena scratch;
//   matmul(w_q4k, x, y, pool, scratch);   // any batch
//
// Contracts: W rows contiguous (a row is whole blocks), any row stride; x and y f32 with
// contiguous rows; shapes must agree (else parley::Error naming both shapes). Thread-safe for
// distinct y and scratch.
#pragma once

#include "kernels/storage.h"
#include "kernels/tensor.h"
#include "kernels/thread_pool.h"

namespace parley::kernels {

void matmul(const Tensor& w, const Tensor& x, const Tensor& y, ThreadPool& pool, Arena& scratch);

// Scalar reference: dequantizes each row of W to float and accumulates in double. Slow; tests.
void matmul_reference(const Tensor& w, const Tensor& x, const Tensor& y);

}  // namespace parley::kernels

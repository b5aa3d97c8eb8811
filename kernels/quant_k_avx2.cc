// AVX2+FMA K-quant kernels: dot products of Q2_K..Q6_K weights with Q8_K activations and the
// Q8_K activation quantizer. The bodies are in quant_k_x86-inl.h (shared with the AVX-512 file);
// this translation unit supplies the AVX2 way to scale and accumulate 16-bit products.
// Tested against the scalar reference in quant_k.cc (tests/kernels/quant_k_test.cc).
#include <immintrin.h>

#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

struct Accumulate {
  // acc (8 x i32) + pairwise sums of scales16 * products16 (16 x i16 each).
  static __m256i scaled(__m256i acc, __m256i scales16, __m256i products16) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(scales16, products16));
  }
};

}  // namespace
}  // namespace parley::kernels

#include "kernels/quant_k_x86-inl.h"

namespace parley::kernels {

void register_quant_k_avx2(KernelTable& table) {
  table.vec_dot[slot(DType::Q2_K)] = vec_dot_q2_K;
  table.vec_dot[slot(DType::Q3_K)] = vec_dot_q3_K;
  table.vec_dot[slot(DType::Q4_K)] = vec_dot_q4_K;
  table.vec_dot[slot(DType::Q5_K)] = vec_dot_q5_K;
  table.vec_dot[slot(DType::Q6_K)] = vec_dot_q6_K;
  table.quantize_row[slot(DType::Q8_K)] = quantize_row_q8_K;
}

}  // namespace parley::kernels

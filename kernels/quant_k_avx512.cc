// AVX-512 (VL + VNNI) K-quant kernels: the same bodies as the AVX2 file (quant_k_x86-inl.h, on
// the same data layout and 256-bit vectors), with the scale-and-accumulate step done by one VNNI
// vpdpwssd instead of vpmaddwd + vpaddd. vpdpwssd is the non-saturating form, so the result is
// the same integer as on AVX2 (the products never reach the one wrapping case of vpmaddwd,
// -32768 * -32768 twice). Tests skip it where kernels_for(Isa::Avx512) is null.
#include <immintrin.h>

#include "kernels/kernel_table.h"

namespace parley::kernels {
namespace {

struct Accumulate {
  // acc (8 x i32) + pairwise sums of scales16 * products16 (16 x i16 each), fused.
  static __m256i scaled(__m256i acc, __m256i scales16, __m256i products16) {
    return _mm256_dpwssd_epi32(acc, scales16, products16);
  }
};

}  // namespace
}  // namespace parley::kernels

#include "kernels/quant_k_x86-inl.h"

namespace parley::kernels {

void register_quant_k_avx512(KernelTable& table) {
  table.vec_dot[slot(DType::Q2_K)] = vec_dot_q2_K;
  table.vec_dot[slot(DType::Q3_K)] = vec_dot_q3_K;
  table.vec_dot[slot(DType::Q4_K)] = vec_dot_q4_K;
  table.vec_dot[slot(DType::Q5_K)] = vec_dot_q5_K;
  table.vec_dot[slot(DType::Q6_K)] = vec_dot_q6_K;
  table.quantize_row[slot(DType::Q8_K)] = quantize_row_q8_K;
}

}  // namespace parley::kernels

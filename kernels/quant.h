// Scalar reference conversions and dot products for every quantized block type.
// These are the ground truth the optimized ISA kernels are tested against.
//
// dequantize_row_X: n values (multiple of the block size) from blocks to float.
// quantize_row_X:   n floats to blocks (reference quantizer, as llama.cpp's *_ref functions).
// vec_dot_X_Y_scalar: dot of n weights of type X with n activations of type Y.
#pragma once

#include <cstdint>

namespace parley::kernels {

void dequantize_row_q4_0(const void* src, float* dst, int64_t n);
void dequantize_row_q4_1(const void* src, float* dst, int64_t n);
void dequantize_row_q5_0(const void* src, float* dst, int64_t n);
void dequantize_row_q5_1(const void* src, float* dst, int64_t n);
void dequantize_row_q8_0(const void* src, float* dst, int64_t n);
void dequantize_row_q2_K(const void* src, float* dst, int64_t n);
void dequantize_row_q3_K(const void* src, float* dst, int64_t n);
void dequantize_row_q4_K(const void* src, float* dst, int64_t n);
void dequantize_row_q5_K(const void* src, float* dst, int64_t n);
void dequantize_row_q6_K(const void* src, float* dst, int64_t n);
void dequantize_row_q8_K(const void* src, float* dst, int64_t n);

void quantize_row_q4_0(const float* src, void* dst, int64_t n);
void quantize_row_q4_1(const float* src, void* dst, int64_t n);
void quantize_row_q5_0(const float* src, void* dst, int64_t n);
void quantize_row_q5_1(const float* src, void* dst, int64_t n);
void quantize_row_q8_0(const float* src, void* dst, int64_t n);
void quantize_row_q2_K(const float* src, void* dst, int64_t n);
void quantize_row_q3_K(const float* src, void* dst, int64_t n);
void quantize_row_q4_K(const float* src, void* dst, int64_t n);
void quantize_row_q5_K(const float* src, void* dst, int64_t n);
void quantize_row_q6_K(const float* src, void* dst, int64_t n);
void quantize_row_q8_K(const float* src, void* dst, int64_t n);

float vec_dot_q4_0_q8_0_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q4_1_q8_0_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q5_0_q8_0_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q5_1_q8_0_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q2_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q3_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q4_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q5_K_q8_K_scalar(int64_t n, const void* w, const void* a);
float vec_dot_q6_K_q8_K_scalar(int64_t n, const void* w, const void* a);

}  // namespace parley::kernels

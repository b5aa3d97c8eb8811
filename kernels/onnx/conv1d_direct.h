// Direct 1-D convolution with stride 1 and weights packed once at load: the long-signal
// convolutions of vocoders (Piper's HiFi-GAN decoder: 32-512 channels, kernels of 3-11 taps,
// dilations 1-12, tens of thousands of samples), where lowering to im2col + GEMM copies every
// input K times and leaves BLAS a thin product (few output maps, short K) it handles poorly.
//
//   PackedConvWeights w;
//   w.pack(weights, /*maps=*/128, /*channels=*/128, /*kernel=*/7);  // ONNX W [M, C, K]
//   // xp: each input channel padded (pad_begin zeros in front, zeros behind), row stride ld
//   conv1d_direct(w, {xp, ld, /*dilation=*/3, out_len, y, out_len, bias}, pool);
//
// y[m, t] = bias[m] + sum over c, then k, of w[m, c, k] * xp[c, t + k * dilation]: each output
// is summed in the order of an im2col row ((c, k) lexicographic), as the GEMM path sums it. The
// caller provides the padding, so the kernel has no bounds checks: row c of xp must hold at least
// out + (kernel - 1) * dilation readable floats.
//
// Kernels: AVX2+FMA register tiles of 4 maps x 24 samples (conv1d_direct_avx2.cc) where the CPU
// has them, portable C++ elsewhere. Work is split over the pool by map blocks and time ranges.
// Contracts: no allocation, no throw; y must not alias xp or the weights.
#pragma once

#include <cstdint>

#include "kernels/storage.h"
#include "kernels/thread_pool.h"

namespace parley::onnx {

inline constexpr int64_t kConvMapBlock = 4;  // output maps per packed weight block

class PackedConvWeights {
 public:
  // w is ONNX's [maps, channels, kernel], row-major.
  void pack(const float* w, int64_t maps, int64_t channels, int64_t kernel);
  bool empty() const { return maps_ == 0; }
  int64_t maps() const { return maps_; }
  int64_t channels() const { return channels_; }
  int64_t kernel() const { return kernel_; }
  int64_t block_count() const { return (maps_ + kConvMapBlock - 1) / kConvMapBlock; }
  // Block b: for each channel c, for each tap k, kConvMapBlock floats w[4b + i, c, k] (maps past
  // the end are zero).
  const float* block(int64_t b) const {
    return data_.as<float>() + b * channels_ * kernel_ * kConvMapBlock;
  }

 private:
  int64_t maps_ = 0, channels_ = 0, kernel_ = 0;
  kernels::AlignedBuffer data_;
};

struct Conv1dDirectArgs {
  const float* x;    // padded input, channel c's row at x + c * x_stride
  int64_t x_stride;
  int64_t dilation;  // >= 1
  int64_t out;       // output samples per map
  float* y;          // map m's row at y + m * y_stride
  int64_t y_stride;
  const float* bias;  // [maps] or null
};

// The whole convolution; `pool` may be null (calling thread only).
void conv1d_direct(const PackedConvWeights& w, const Conv1dDirectArgs& args,
                   kernels::ThreadPool* pool);

namespace detail {
// Map blocks [block_begin, block_end) over output samples [t_begin, t_end), on the calling
// thread. The _avx2 version needs AVX2 and FMA.
void conv1d_direct_portable(const PackedConvWeights& w, const Conv1dDirectArgs& args,
                            int64_t block_begin, int64_t block_end, int64_t t_begin,
                            int64_t t_end);
void conv1d_direct_avx2(const PackedConvWeights& w, const Conv1dDirectArgs& args,
                        int64_t block_begin, int64_t block_end, int64_t t_begin, int64_t t_end);
}  // namespace detail

}  // namespace parley::onnx

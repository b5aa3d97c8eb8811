// Packing and dispatch of conv1d_direct (see conv1d_direct.h); the portable kernel.
#include "kernels/onnx/conv1d_direct.h"

#include <algorithm>

#include "kernels/cpu.h"

namespace parley::onnx {

void PackedConvWeights::pack(const float* w, int64_t maps, int64_t channels, int64_t kernel) {
  maps_ = maps;
  channels_ = channels;
  kernel_ = kernel;
  const int64_t per_block = channels * kernel * kConvMapBlock;
  data_ = kernels::AlignedBuffer(
      static_cast<size_t>(std::max<int64_t>(1, block_count() * per_block)) * sizeof(float));
  float* out = data_.as<float>();
  for (int64_t b = 0; b < block_count(); ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t k = 0; k < kernel; ++k) {
        float* dst = out + b * per_block + (c * kernel + k) * kConvMapBlock;
        for (int64_t i = 0; i < kConvMapBlock; ++i) {
          const int64_t m = b * kConvMapBlock + i;
          dst[i] = m < maps ? w[(m * channels + c) * kernel + k] : 0.0f;
        }
      }
    }
  }
}

namespace detail {

void conv1d_direct_portable(const PackedConvWeights& w, const Conv1dDirectArgs& a,
                            int64_t block_begin, int64_t block_end, int64_t t_begin,
                            int64_t t_end) {
  const int64_t channels = w.channels(), kernel = w.kernel();
  for (int64_t b = block_begin; b < block_end; ++b) {
    const float* wb = w.block(b);
    const int64_t maps = std::min(kConvMapBlock, w.maps() - b * kConvMapBlock);
    for (int64_t t = t_begin; t < t_end; ++t) {
      float acc[kConvMapBlock] = {};
      for (int64_t c = 0; c < channels; ++c) {
        const float* xr = a.x + c * a.x_stride + t;
        for (int64_t k = 0; k < kernel; ++k) {
          const float xv = xr[k * a.dilation];
          const float* wk = wb + (c * kernel + k) * kConvMapBlock;
          for (int64_t i = 0; i < kConvMapBlock; ++i) acc[i] += wk[i] * xv;
        }
      }
      for (int64_t i = 0; i < maps; ++i) {
        const int64_t m = b * kConvMapBlock + i;
        a.y[m * a.y_stride + t] = acc[i] + (a.bias != nullptr ? a.bias[m] : 0.0f);
      }
    }
  }
}

}  // namespace detail

void conv1d_direct(const PackedConvWeights& w, const Conv1dDirectArgs& args,
                   kernels::ThreadPool* pool) {
  if (w.empty() || args.out <= 0) return;
  const bool avx2 = kernels::active_isa() >= kernels::Isa::Avx2;
  auto run = [&](int64_t b0, int64_t b1, int64_t t0, int64_t t1) {
    if (avx2) {
      detail::conv1d_direct_avx2(w, args, b0, b1, t0, t1);
    } else {
      detail::conv1d_direct_portable(w, args, b0, b1, t0, t1);
    }
  };
  const int64_t blocks = w.block_count();
  if (pool == nullptr || pool->thread_count() <= 1) {
    run(0, blocks, 0, args.out);
    return;
  }
  // Tasks of one map block over a time range of a multiple of the 24-sample tile, about 256k
  // multiply-adds each; consecutive tasks share a time range, so a thread's input span stays in
  // cache across map blocks.
  const int64_t per_sample = w.channels() * w.kernel() * kConvMapBlock;
  const int64_t span = std::clamp<int64_t>(262144 / std::max<int64_t>(1, per_sample) / 24 * 24,
                                           96, std::max<int64_t>(96, args.out));
  const int64_t spans = (args.out + span - 1) / span;
  pool->parallel_for(
      blocks * spans,
      [&](int64_t begin, int64_t end, int) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t s = task / blocks, b = task % blocks;
          run(b, b + 1, s * span, std::min(args.out, (s + 1) * span));
        }
      },
      1);
}

}  // namespace parley::onnx

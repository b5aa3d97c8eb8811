// conv1d_direct (kernels/onnx/conv1d_direct.h) against a double-accumulating reference, for both
// kernels (portable and, where the CPU has it, AVX2): map counts around the 4-map block, output
// lengths around the 24-sample tile, taps and dilations as vocoders use them, bias, row strides
// wider than the rows, and a thread pool.
#include "kernels/onnx/conv1d_direct.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu.h"

namespace parley::onnx {
namespace {

struct Case {
  int64_t maps, channels, kernel, dilation, out;
  bool bias;
};

enum class Kernel { kPortable, kDispatched, kPool };

void check(const Case& c, Kernel which) {
  std::mt19937 rng(static_cast<unsigned>(c.maps * 7919 + c.channels * 104729 + c.kernel * 31 +
                                         c.dilation * 17 + c.out));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t width = c.out + (c.kernel - 1) * c.dilation, x_stride = width + 5;
  std::vector<float> x(static_cast<size_t>(c.channels * x_stride));
  std::vector<float> w(static_cast<size_t>(c.maps * c.channels * c.kernel));
  std::vector<float> bias(static_cast<size_t>(c.maps));
  for (float& v : x) v = dist(rng);
  for (float& v : w) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  PackedConvWeights packed;
  packed.pack(w.data(), c.maps, c.channels, c.kernel);
  ASSERT_EQ(packed.maps(), c.maps);
  ASSERT_EQ(packed.channels(), c.channels);
  ASSERT_EQ(packed.kernel(), c.kernel);

  const int64_t y_stride = c.out + 3;  // a sentinel gap after every row
  constexpr float kSentinel = 12345.0f;
  std::vector<float> y(static_cast<size_t>(c.maps * y_stride), kSentinel);
  const Conv1dDirectArgs args{x.data(), x_stride,  c.dilation, c.out,
                              y.data(), y_stride, c.bias ? bias.data() : nullptr};
  kernels::ThreadPool pool(3);
  switch (which) {
    case Kernel::kPortable:
      detail::conv1d_direct_portable(packed, args, 0, packed.block_count(), 0, c.out);
      break;
    case Kernel::kDispatched: conv1d_direct(packed, args, nullptr); break;
    case Kernel::kPool: conv1d_direct(packed, args, &pool); break;
  }
  const char* name = which == Kernel::kPortable     ? "portable"
                     : which == Kernel::kDispatched ? "dispatched"
                                                    : "pool";
  for (int64_t m = 0; m < c.maps; ++m) {
    for (int64_t t = 0; t < c.out; ++t) {
      double e = c.bias ? bias[m] : 0.0;
      for (int64_t ch = 0; ch < c.channels; ++ch) {
        for (int64_t k = 0; k < c.kernel; ++k) {
          e += static_cast<double>(w[(m * c.channels + ch) * c.kernel + k]) *
               x[ch * x_stride + t + k * c.dilation];
        }
      }
      const float tol = 1e-5f * (1.0f + std::sqrt(static_cast<float>(c.channels * c.kernel)));
      ASSERT_NEAR(y[m * y_stride + t], e, tol)
          << name << " maps=" << c.maps << " channels=" << c.channels << " kernel=" << c.kernel
          << " dilation=" << c.dilation << " out=" << c.out << " at (" << m << ", " << t << ")";
    }
    for (int64_t t = c.out; t < y_stride; ++t) {
      ASSERT_EQ(y[m * y_stride + t], kSentinel) << name << ": wrote past row " << m;
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (int64_t maps : {1, 3, 4, 5, 8, 13}) {
    for (int64_t out_len : {1, 7, 23, 24, 25, 40, 71, 200}) {  // tails of 1, 2 and 3 ymm columns
      for (int64_t kernel : {1, 3, 7}) {
        const int64_t v = maps + out_len + kernel;
        out.push_back({maps, 1 + v % 9, kernel, 1 + v % 4, out_len, v % 2 == 0});
      }
    }
  }
  out.push_back({32, 32, 11, 5, 3000, true});   // a HiFi-GAN residual block at 32 channels
  out.push_back({64, 128, 3, 12, 1000, false});  // several time spans and map blocks per task
  out.push_back({1, 32, 7, 1, 777, true});       // conv_post: one output map
  return out;
}

TEST(Conv1dDirect, PortableMatchesReference) {
  for (const Case& c : cases()) check(c, Kernel::kPortable);
}

TEST(Conv1dDirect, DispatchedMatchesReference) {
  if (kernels::active_isa() < kernels::Isa::Avx2) GTEST_SKIP() << "no AVX2: same as portable";
  for (const Case& c : cases()) check(c, Kernel::kDispatched);
}

TEST(Conv1dDirect, ThreadPoolMatchesReference) {
  for (const Case& c : cases()) check(c, Kernel::kPool);
}

TEST(Conv1dDirect, PackedBlocksZeroTheMissingMaps) {
  const std::vector<float> w = {1, 2, 3, 4, 5, 6};  // [maps 1, channels 2, kernel 3]
  PackedConvWeights packed;
  packed.pack(w.data(), 1, 2, 3);
  ASSERT_EQ(packed.block_count(), 1);
  const float* b = packed.block(0);
  for (int64_t ck = 0; ck < 6; ++ck) {
    EXPECT_EQ(b[ck * kConvMapBlock], w[ck]);
    for (int64_t i = 1; i < kConvMapBlock; ++i) EXPECT_EQ(b[ck * kConvMapBlock + i], 0.0f);
  }
}

}  // namespace
}  // namespace parley::onnx

// 1-D convolution with constant weights, stride 1: the direct kernel (kernels/onnx/
// conv1d_direct.h) against the lowering it replaces in kernels/onnx Conv — a zero-padded im2col
// column matrix built in cache-sized chunks of output samples, multiplied by OpenBLAS's sgemm
// (kernels::gemm_f32) — in the same run, one thread, on the shapes of the Piper VITS graph
// (lessac-medium: text encoder / flow at ~127 frames, HiFi-GAN decoder stages at 1,016, 8,128
// and 32,512 samples, conv_post with one output map).
//   build/bench/bench_conv1d [--benchmark_filter=Direct]
// Counters: GFLOP/s = 2 * maps * channels * kernel * out / time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/onnx/conv1d_direct.h"

namespace {

struct Shape {
  int64_t channels, maps, kernel, dilation, out;
};

// Args: channels, maps, kernel, dilation, out.
Shape shape_of(const benchmark::State& state) {
  return {state.range(0), state.range(1), state.range(2), state.range(3), state.range(4)};
}

struct Problem {
  explicit Problem(const Shape& s) : s(s) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    width = s.out + (s.kernel - 1) * s.dilation;
    x.resize(static_cast<size_t>(s.channels * width));
    w.resize(static_cast<size_t>(s.maps * s.channels * s.kernel));
    bias.resize(static_cast<size_t>(s.maps));
    y.resize(static_cast<size_t>(s.maps * s.out));
    for (float& v : x) v = dist(rng);
    for (float& v : w) v = dist(rng);
    for (float& v : bias) v = dist(rng);
  }
  Shape s;
  int64_t width = 0;
  std::vector<float> x, w, bias, y;
};

void set_counters(benchmark::State& state, const Shape& s) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * static_cast<double>(s.maps * s.channels * s.kernel * s.out) *
          static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void BM_Direct(benchmark::State& state) {
  const Shape s = shape_of(state);
  Problem p(s);
  parley::onnx::PackedConvWeights packed;
  packed.pack(p.w.data(), s.maps, s.channels, s.kernel);
  for (auto _ : state) {
    parley::onnx::conv1d_direct(
        packed, {p.x.data(), p.width, s.dilation, s.out, p.y.data(), s.out, p.bias.data()},
        nullptr);
    benchmark::DoNotOptimize(p.y.data());
  }
  set_counters(state, s);
}

// The im2col + GEMM lowering as kernels/onnx Conv runs it for long 1-D outputs: columns of about
// 2 MiB per chunk, sgemm per chunk, then the bias.
void BM_Im2colGemm(benchmark::State& state) {
  const Shape s = shape_of(state);
  Problem p(s);
  const int64_t rows = s.channels * s.kernel;
  const int64_t chunk =
      std::clamp<int64_t>((1 << 19) / std::max<int64_t>(1, rows) / 64 * 64, 256, s.out);
  std::vector<float> col(static_cast<size_t>(rows * chunk));
  for (auto _ : state) {
    for (int64_t o0 = 0; o0 < s.out; o0 += chunk) {
      const int64_t o1 = std::min(s.out, o0 + chunk), n = o1 - o0;
      for (int64_t c = 0; c < s.channels; ++c) {
        for (int64_t k = 0; k < s.kernel; ++k) {
          const float* src = p.x.data() + c * p.width + o0 + k * s.dilation;
          std::copy(src, src + n, col.data() + (c * s.kernel + k) * n);
        }
      }
      parley::kernels::gemm_f32(parley::kernels::Transpose::No, parley::kernels::Transpose::No,
                                s.maps, n, rows, 1.0f, p.w.data(), rows, col.data(), n, 0.0f,
                                p.y.data() + o0, s.out);
    }
    for (int64_t m = 0; m < s.maps; ++m) {
      float* row = p.y.data() + m * s.out;
      for (int64_t i = 0; i < s.out; ++i) row[i] += p.bias[m];
    }
    benchmark::DoNotOptimize(p.y.data());
  }
  set_counters(state, s);
}

void piper_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "M", "K", "dil", "T"});
  b->Args({192, 384, 5, 1, 127});    // flow WaveNet layer
  b->Args({192, 768, 3, 1, 129});    // text encoder feed-forward
  b->Args({128, 128, 7, 3, 1016});   // decoder, first stage
  b->Args({128, 128, 3, 1, 1016});
  b->Args({64, 64, 7, 3, 8128});     // decoder, second stage
  b->Args({64, 64, 3, 1, 8128});
  b->Args({32, 32, 7, 5, 32512});    // decoder, last stage
  b->Args({32, 32, 7, 12, 32512});
  b->Args({32, 32, 3, 1, 32512});
  b->Args({32, 1, 7, 1, 32512});     // conv_post
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Direct)->Apply(piper_shapes);
BENCHMARK(BM_Im2colGemm)->Apply(piper_shapes);

}  // namespace

int main(int argc, char** argv) {
  parley::kernels::set_blas_thread_count(1);  // one thread on both sides
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}

// packed_gemm (kernels/onnx/packed_gemm.h), the product every streaming encoder spends most of
// its time in: few rows (a 16-frame chunk, downsampled to 8, 4, 2) against constant weights.
// Two cases per shape:
//   hot  — the same weight matrix every iteration (it stays in L2/L3);
//   cold — a different matrix each iteration from a ring of 64 MB (the way a real encoder's
//          47 MB of weights pass by once per chunk), so the weights stream from memory.
// Reference in the same run: OpenBLAS cblas_sgemm on the unpacked matrix (hot and cold alike).
//   build/bench/bench_packed_gemm [--benchmark_filter=cold]
// Counters: GFLOP/s and the weight bytes read per second.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/onnx/packed_gemm.h"

namespace {

using parley::onnx::ConstStridedMatrix;
using parley::onnx::PackedMatrix;
using parley::onnx::StridedMatrix;

struct Weights {
  std::vector<std::vector<float>> raw;  // [k, n] row-major each
  std::vector<PackedMatrix> packed;
};

Weights& weights(int64_t k, int64_t n, bool cold) {
  static std::vector<std::pair<std::tuple<int64_t, int64_t, bool>, Weights>> cache;
  for (auto& [key, w] : cache) {
    if (key == std::tuple{k, n, cold}) return w;
  }
  const int64_t bytes = k * n * 4;
  const int64_t count = cold ? std::max<int64_t>(2, (64 << 20) / bytes) : 1;
  Weights w;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < count; ++i) {
    std::vector<float> b(static_cast<size_t>(k * n));
    for (float& v : b) v = dist(rng);
    PackedMatrix p;
    p.pack(b.data(), k, n, false);
    w.packed.push_back(std::move(p));
    w.raw.push_back(std::move(b));
  }
  cache.emplace_back(std::tuple{k, n, cold}, std::move(w));
  return cache.back().second;
}

void run(benchmark::State& state, bool cold, bool blas) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  Weights& w = weights(k, n, cold);
  std::vector<float> a(static_cast<size_t>(m * k), 0.5f), c(static_cast<size_t>(m * n));
  size_t next = 0;
  for (auto _ : state) {
    if (blas) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                  static_cast<int>(n), static_cast<int>(k), 1.0f, a.data(), static_cast<int>(k),
                  w.raw[next].data(), static_cast<int>(n), 0.0f, c.data(), static_cast<int>(n));
    } else {
      parley::onnx::packed_gemm(ConstStridedMatrix{a.data(), k, 1}, m, w.packed[next],
                                StridedMatrix{c.data(), n, 1}, nullptr, false, nullptr);
    }
    benchmark::DoNotOptimize(c.data());
    next = (next + 1) % w.packed.size();
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * m * k * n * iters * 1e-9, benchmark::Counter::kIsRate);
  state.counters["weightGBs"] =
      benchmark::Counter(4.0 * k * n * iters * 1e-9, benchmark::Counter::kIsRate);
}

void BM_packed_hot(benchmark::State& s) { run(s, false, false); }
void BM_packed_cold(benchmark::State& s) { run(s, true, false); }
void BM_openblas_hot(benchmark::State& s) { run(s, false, true); }
void BM_openblas_cold(benchmark::State& s) { run(s, true, true); }

// Shapes of the Zipformer2 encoder in ../shared/testdata/asr (rows per stack 16, 8, 4, 2;
// model dims 192-256, feed-forward 512-768).
void shapes(benchmark::internal::Benchmark* b) {
  for (int64_t m : {16, 8, 4, 2}) {
    b->Args({m, 256, 768});
    b->Args({m, 768, 256});
  }
}

BENCHMARK(BM_packed_hot)->Apply(shapes);
BENCHMARK(BM_packed_cold)->Apply(shapes);
BENCHMARK(BM_openblas_hot)->Apply(shapes);
BENCHMARK(BM_openblas_cold)->Apply(shapes);

}  // namespace

int main(int argc, char** argv) {
  openblas_set_num_threads(1);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

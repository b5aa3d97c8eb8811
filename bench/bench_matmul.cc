// Matrix x vector throughput per weight type, per ISA, 1 and 2 threads, as GB/s of weights
// streamed, next to a STREAM-style triad bandwidth probe measured in the same run.
//
//   build/bench/bench_matmul                                   # everything
//   build/bench/bench_matmul --benchmark_filter='q4_0/avx2/4096x4096/threads:2'
//
// Each benchmark keeps enough copies of the weight matrix that their total (>= 512 MiB) is far
// larger than the caches and cycles through them, so every call streams its weights from DRAM
// as a decode step of a real model does. Counters: GBps = weight bytes per second;
// of_triad = GBps / triad bandwidth with the same thread count (1.0 = running at memory speed).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/dtype.h"
#include "kernels/matmul.h"
#include "kernels/storage.h"
#include "kernels/tensor.h"
#include "kernels/thread_pool.h"

namespace pk = parley::kernels;

namespace {

constexpr size_t kStreamBytes = size_t{512} << 20;

double g_triad_gbps[3] = {0, 0, 0};  // by thread count

// a[i] = b[i] + s * c[i] over three float arrays of 128 MiB each; counts 3 x 4 bytes/element.
double measure_triad_gbps(int threads) {
  const size_t n = (size_t{128} << 20) / sizeof(float);
  pk::AlignedBuffer a(n * 4), b(n * 4), c(n * 4);
  pk::ThreadPool pool(threads);
  float* pa = a.as<float>();
  float* pb = b.as<float>();
  float* pc = c.as<float>();
  pool.parallel_for(static_cast<int64_t>(n), [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) pa[i] = 0.0f, pb[i] = 1.0f, pc[i] = 2.0f;
  });
  const int64_t chunk = static_cast<int64_t>(n) / threads;
  double best = 1e30;
  for (int rep = 0; rep < 6; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(
        threads,
        [&](int64_t begin, int64_t end, int) {
          for (int64_t t = begin; t < end; ++t) {
            const int64_t lo = t * chunk, hi = t + 1 == threads ? static_cast<int64_t>(n) : lo + chunk;
            for (int64_t i = lo; i < hi; ++i) pa[i] = pb[i] + 3.0f * pc[i];
          }
        },
        1);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  benchmark::DoNotOptimize(pa[n / 2]);
  return 3.0 * static_cast<double>(n) * sizeof(float) / best / 1e9;
}

struct Config {
  pk::DType type;
  pk::Isa isa;
  int threads;
  int64_t rows, cols;
};

void run_matvec(benchmark::State& state, Config config) {
  if (!pk::isa_supported(config.isa)) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  pk::set_isa_limit(config.isa);
  const int64_t row_bytes = pk::row_bytes(config.type, config.cols);
  const size_t matrix_bytes = static_cast<size_t>(row_bytes * config.rows);
  const size_t copies = std::max<size_t>(2, (kStreamBytes + matrix_bytes - 1) / matrix_bytes);

  // One random matrix quantized once, replicated.
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(config.cols));
  pk::AlignedBuffer weights(matrix_bytes * copies);
  for (int64_t r = 0; r < config.rows; ++r) {
    for (float& v : row) v = normal(rng);
    pk::dtype_traits(config.type).from_float(row.data(), weights.data() + r * row_bytes, config.cols);
  }
  for (size_t c = 1; c < copies; ++c)
    std::memcpy(weights.data() + c * matrix_bytes, weights.data(), matrix_bytes);

  std::vector<float> x(static_cast<size_t>(config.cols)), y(static_cast<size_t>(config.rows));
  for (float& v : x) v = normal(rng);
  pk::ThreadPool pool(config.threads);
  pk::Arena scratch(1 << 20);
  const pk::Tensor tx = pk::Tensor::contiguous(x.data(), pk::DType::F32, {1, config.cols});
  const pk::Tensor ty = pk::Tensor::contiguous(y.data(), pk::DType::F32, {1, config.rows});
  size_t next = 0;
  for (auto _ : state) {
    const pk::Tensor w = pk::Tensor::contiguous(weights.data() + next * matrix_bytes, config.type,
                                                {config.rows, config.cols});
    pk::matmul(w, tx, ty, pool, scratch);
    scratch.reset();
    benchmark::DoNotOptimize(y.data());
    next = (next + 1) % copies;
  }
  pk::set_isa_limit(pk::Isa::Avx512);
  const double bytes = static_cast<double>(matrix_bytes) * static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["GBps"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsRate);
  const double triad = g_triad_gbps[config.threads];
  state.counters["of_triad"] =
      benchmark::Counter(bytes / 1e9 / triad, benchmark::Counter::kIsRate);
}

void BM_triad(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(g_triad_gbps);
  state.counters["triad_GBps_1t"] = g_triad_gbps[1];
  state.counters["triad_GBps_2t"] = g_triad_gbps[2];
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  g_triad_gbps[1] = measure_triad_gbps(1);
  g_triad_gbps[2] = measure_triad_gbps(2);
  std::printf("triad bandwidth: 1 thread %.2f GB/s, 2 threads %.2f GB/s\n", g_triad_gbps[1],
              g_triad_gbps[2]);
  benchmark::RegisterBenchmark("triad", BM_triad)->Iterations(1);

  const pk::DType types[] = {pk::DType::F32,  pk::DType::F16,  pk::DType::BF16, pk::DType::Q8_0,
                             pk::DType::Q4_0, pk::DType::Q4_1, pk::DType::Q5_0, pk::DType::Q5_1,
                             pk::DType::Q2_K, pk::DType::Q3_K, pk::DType::Q4_K, pk::DType::Q5_K,
                             pk::DType::Q6_K};
  const pk::Isa isas[] = {pk::Isa::Scalar, pk::Isa::Avx2, pk::Isa::Avx512};
  const std::pair<int64_t, int64_t> shapes[] = {{4096, 4096}, {5632, 2048}};
  for (pk::DType type : types) {
    for (pk::Isa isa : isas) {
      if (!pk::isa_supported(isa)) continue;
      for (auto [rows, cols] : shapes) {
        for (int threads : {1, 2}) {
          const std::string name = std::string(pk::dtype_name(type)) + "/" +
                                   std::string(pk::isa_name(isa)) + "/" + std::to_string(rows) +
                                   "x" + std::to_string(cols) + "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), run_matvec,
                                       Config{type, isa, threads, rows, cols})
              ->UseRealTime()
              ->Unit(benchmark::kMicrosecond)
              ->MinTime(isa == pk::Isa::Scalar ? 0.2 : 0.5);
        }
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

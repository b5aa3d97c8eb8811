// Batched (prefill) matrix products per weight type, as GFLOP/s (2 * rows * cols * batch real
// operations per call), for two variants measured in the same run:
//
//   tile  matmul() as the engines call it: batch > 1 runs the kernel table's gemm_tile on
//         row x batch blocks (kernels/qgemm_avx2.cc);
//   rows  the per-row path matmul used before gemm_tile: the same converted activations, rows
//         split across the pool, one vec_dot per (row, batch entry).
//
//   build/bench/bench_matmul_batch                                        # everything
//   build/bench/bench_matmul_batch --benchmark_filter='q4_0/avx2/2048x5632/batch:128/threads:2'
//
// Before timing, each benchmark checks tile against rows (relative difference of the outputs
// below 1e-4 of their RMS; the integer sums are identical, only float order differs) and fails
// with an error if they disagree. Counter: GFLOPs (a rate). Shapes are TinyLlama-1.1B's
// ffn_down (2048 x 5632) and attention output (2048 x 2048); weights stay in cache across calls,
// as in prefill, where the activations, not the weights, are the limit.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu.h"
#include "kernels/dtype.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/storage.h"
#include "kernels/tensor.h"
#include "kernels/thread_pool.h"

namespace pk = parley::kernels;

namespace {

enum class Variant { Tile, Rows };

struct Config {
  pk::DType type;
  pk::Isa isa;
  int threads;
  int64_t rows, cols, batch;
  Variant variant;
};

// The per-row path: convert activations, then one vec_dot per (row, batch entry).
void matmul_rows(const Config& c, const uint8_t* weights, const std::vector<float>& x, float* y,
                 pk::ThreadPool& pool, pk::Arena& scratch) {
  const pk::KernelTable& k = pk::kernels();
  const pk::DType act_type = pk::dtype_traits(c.type).vec_dot_type;
  const int64_t act_row_bytes = pk::row_bytes(act_type, c.cols);
  const int64_t w_row_bytes = pk::row_bytes(c.type, c.cols);
  pk::FromFloatFn convert = k.quantize_row[static_cast<int>(act_type)];
  if (convert == nullptr) convert = pk::dtype_traits(act_type).from_float;
  auto* acts = static_cast<uint8_t*>(scratch.allocate_bytes(act_row_bytes * c.batch));
  for (int64_t b = 0; b < c.batch; ++b) {
    convert(x.data() + b * c.cols, acts + b * act_row_bytes, c.cols);
  }
  const pk::VecDotFn dot = k.vec_dot[static_cast<int>(c.type)];
  pool.parallel_for(
      c.rows,
      [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
          for (int64_t b = 0; b < c.batch; ++b) {
            y[b * c.rows + r] = dot(c.cols, weights + r * w_row_bytes, acts + b * act_row_bytes);
          }
        }
      },
      16);
}

void run_batch(benchmark::State& state, Config c) {
  if (!pk::isa_supported(c.isa)) {
    state.SkipWithError("ISA not supported by this CPU");
    return;
  }
  pk::set_isa_limit(c.isa);
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w_f(static_cast<size_t>(c.rows * c.cols));
  for (float& v : w_f) v = normal(rng);
  pk::AlignedBuffer weights(static_cast<size_t>(pk::row_bytes(c.type, c.cols) * c.rows));
  pk::dtype_traits(c.type).from_float(w_f.data(), weights.data(), c.rows * c.cols);
  std::vector<float> x(static_cast<size_t>(c.batch * c.cols));
  for (float& v : x) v = normal(rng);
  std::vector<float> y(static_cast<size_t>(c.batch * c.rows));
  std::vector<float> y_check(y.size());

  pk::ThreadPool pool(c.threads);
  pk::Arena scratch(size_t{1} << 20);
  const pk::Tensor tw = pk::Tensor::contiguous(weights.data(), c.type, {c.rows, c.cols});
  const pk::Tensor tx = pk::Tensor::contiguous(x.data(), pk::DType::F32, {c.batch, c.cols});
  const pk::Tensor ty = pk::Tensor::contiguous(y.data(), pk::DType::F32, {c.batch, c.rows});
  auto run_once = [&](float* out) {
    scratch.reset();
    if (c.variant == Variant::Tile) {
      pk::matmul(tw, tx, pk::Tensor::contiguous(out, pk::DType::F32, {c.batch, c.rows}), pool,
                 scratch);
    } else {
      matmul_rows(c, weights.data(), x, out, pool, scratch);
    }
  };

  // Check the two variants against each other before timing.
  pk::matmul(tw, tx, ty, pool, scratch);
  scratch.reset();
  matmul_rows(c, weights.data(), x, y_check.data(), pool, scratch);
  double diff2 = 0, ref2 = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    diff2 += (double(y[i]) - y_check[i]) * (double(y[i]) - y_check[i]);
    ref2 += double(y_check[i]) * y_check[i];
  }
  if (!(std::sqrt(diff2) <= 1e-4 * std::sqrt(ref2))) {
    state.SkipWithError("tile and per-row results disagree");
    pk::set_isa_limit(pk::Isa::Avx512);
    return;
  }

  for (auto _ : state) {
    run_once(y.data());
    benchmark::DoNotOptimize(y.data());
  }
  pk::set_isa_limit(pk::Isa::Avx512);
  const double flops = 2.0 * static_cast<double>(c.rows * c.cols * c.batch) *
                       static_cast<double>(state.iterations());
  state.counters["GFLOPs"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const pk::DType types[] = {pk::DType::Q4_0, pk::DType::Q8_0, pk::DType::Q4_K, pk::DType::Q6_K,
                             pk::DType::Q5_K};
  const pk::Isa isas[] = {pk::Isa::Avx2, pk::Isa::Avx512};
  const std::pair<int64_t, int64_t> shapes[] = {{2048, 5632}, {2048, 2048}};
  for (pk::DType type : types) {
    for (pk::Isa isa : isas) {
      if (!pk::isa_supported(isa)) continue;
      for (auto [rows, cols] : shapes) {
        for (int64_t batch : {16, 128}) {
          for (int threads : {1, 2}) {
            for (Variant variant : {Variant::Tile, Variant::Rows}) {
              const std::string name =
                  std::string(pk::dtype_name(type)) + "/" + std::string(pk::isa_name(isa)) + "/" +
                  std::to_string(rows) + "x" + std::to_string(cols) +
                  "/batch:" + std::to_string(batch) + "/threads:" + std::to_string(threads) +
                  (variant == Variant::Tile ? "/tile" : "/rows");
              benchmark::RegisterBenchmark(name.c_str(), run_batch,
                                           Config{type, isa, threads, rows, cols, batch, variant})
                  ->UseRealTime()
                  ->Unit(benchmark::kMillisecond)
                  ->MinTime(0.3);
            }
          }
        }
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

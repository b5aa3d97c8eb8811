// Audio benchmarks: SpscRing throughput (float samples per second across two threads, by block
// size) and round-trip latency (one sample ping-ponged through two rings), plus libsoxr
// resampling speed. Reference in the same run: the same two-thread transfer through a
// mutex-protected std::deque, so ratios stay meaningful on a shared, noisy machine.
//
// Build and run (from the repository root):
//   cmake -G Ninja -S . -B build -DPARLEY_BUILD_BENCH=ON && ninja -C build -j1 bench_audio
//   ./build/bench/bench_audio --benchmark_format=json   # machine-readable figures
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "audio/resampler.h"
#include "audio/spsc_ring.h"

namespace {

using parley::audio::SpscRing;

// Producer thread writes `total` samples in blocks of `block` while the benchmark thread reads.
void BM_SpscRingThroughput(benchmark::State& state) {
  const size_t block = static_cast<size_t>(state.range(0));
  constexpr size_t kSamplesPerIteration = 1 << 20;
  SpscRing<float> ring(16384);
  std::vector<float> source(block, 0.5f), sink(block);
  for (auto _ : state) {
    std::thread producer([&] {
      size_t sent = 0;
      while (sent < kSamplesPerIteration) {
        const size_t n = ring.try_write(
            std::span<const float>(source.data(), std::min(block, kSamplesPerIteration - sent)));
        sent += n;
        if (n == 0) std::this_thread::yield();
      }
    });
    size_t received = 0;
    float checksum = 0;
    while (received < kSamplesPerIteration) {
      const size_t n = ring.try_read(sink);
      if (n > 0) checksum += sink[0];
      received += n;
      if (n == 0) std::this_thread::yield();
    }
    producer.join();
    benchmark::DoNotOptimize(checksum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSamplesPerIteration));
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSamplesPerIteration), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SpscRingThroughput)->Arg(1)->Arg(64)->Arg(320)->Arg(4096)->UseRealTime();

// Reference: the same transfer through a mutex and a deque.
void BM_MutexDequeThroughput(benchmark::State& state) {
  const size_t block = static_cast<size_t>(state.range(0));
  constexpr size_t kSamplesPerIteration = 1 << 20;
  std::mutex mutex;
  std::deque<float> queue;
  std::vector<float> sink(block);
  for (auto _ : state) {
    std::thread producer([&] {
      size_t sent = 0;
      while (sent < kSamplesPerIteration) {
        std::lock_guard lock(mutex);
        if (queue.size() >= 16384) continue;
        const size_t n = std::min({block, kSamplesPerIteration - sent, 16384 - queue.size()});
        queue.insert(queue.end(), n, 0.5f);
        sent += n;
      }
    });
    size_t received = 0;
    while (received < kSamplesPerIteration) {
      std::lock_guard lock(mutex);
      const size_t n = std::min(block, queue.size());
      std::copy_n(queue.begin(), n, sink.begin());
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
      received += n;
    }
    producer.join();
    benchmark::DoNotOptimize(sink.data());
  }
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSamplesPerIteration), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MutexDequeThroughput)->Arg(64)->Arg(320)->UseRealTime();

// Round trip: main thread sends one sample on `ping`, the echo thread returns it on `pong`.
// Reported time per iteration = one round trip (both sides spin, no sleeping).
void BM_SpscRingRoundTrip(benchmark::State& state) {
  SpscRing<float> ping(64), pong(64);
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    float value;
    while (!stop.load(std::memory_order_relaxed)) {
      if (ping.try_pop(value)) {
        while (!pong.try_push(value)) {
        }
      }
    }
  });
  float value = 1.0f, returned = 0.0f;
  for (auto _ : state) {
    while (!ping.try_push(value)) {
    }
    while (!pong.try_pop(returned)) {
    }
    value = returned + 1.0f;
  }
  stop.store(true);
  echo.join();
  benchmark::DoNotOptimize(value);
}
BENCHMARK(BM_SpscRingRoundTrip)->UseRealTime();

// Resampling speed in input frames per second (mono, HQ).
void BM_Resample(benchmark::State& state) {
  const double in_hz = static_cast<double>(state.range(0));
  const double out_hz = static_cast<double>(state.range(1));
  parley::audio::Resampler resampler(in_hz, out_hz, 1);
  std::vector<float> input(480);
  for (size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.05f * static_cast<float>(i));
  std::vector<float> output(resampler.max_output_frames(input.size()));
  for (auto _ : state) {
    auto progress = resampler.process(input, output);
    benchmark::DoNotOptimize(progress);
  }
  state.counters["input_frames_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * input.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Resample)->Args({48000, 16000})->Args({16000, 48000})->Args({22050, 48000});

}  // namespace

BENCHMARK_MAIN();

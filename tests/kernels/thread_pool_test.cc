#include "kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace parley::kernels {
namespace {

class ThreadPoolTest : public ::testing::TestWithParam<int> {};

TEST_P(ThreadPoolTest, VisitsEveryIndexExactlyOnce) {
  ThreadPool pool(GetParam());
  for (int64_t n : {1, 2, 7, 13, 127, 128, 4097, 100000}) {
    std::vector<std::atomic<int>> visits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t begin, int64_t end, int worker) {
      ASSERT_GE(worker, 0);
      ASSERT_LT(worker, pool.thread_count());
      ASSERT_LE(begin, end);
      for (int64_t i = begin; i < end; ++i) visits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(visits[static_cast<size_t>(i)].load(), 1) << i;
  }
}

TEST_P(ThreadPoolTest, ZeroAndNegativeLengthRangesCallNothing) {
  ThreadPool pool(GetParam());
  int calls = 0;
  pool.parallel_for(0, [&](int64_t, int64_t, int) { ++calls; });
  pool.parallel_for(-5, [&](int64_t, int64_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST_P(ThreadPoolTest, ExceptionPropagatesAndPoolStaysUsable) {
  ThreadPool pool(GetParam());
  EXPECT_THROW(pool.parallel_for(1000,
                                 [&](int64_t begin, int64_t end, int) {
                                   if (begin <= 500 && 500 < end)
                                     throw std::runtime_error("range 500");
                                 }),
               std::runtime_error);
  std::atomic<int64_t> sum{0};
  pool.parallel_for(1000, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) sum += i;
  });
  EXPECT_EQ(sum.load(), 999 * 1000 / 2);
}

TEST_P(ThreadPoolTest, GrainKeepsRangesAtLeastThatLong) {
  ThreadPool pool(GetParam());
  std::atomic<int64_t> covered{0};
  pool.parallel_for(
      1000,
      [&](int64_t begin, int64_t end, int) {
        if (end != 1000) {
          EXPECT_GE(end - begin, 64);
        }
        covered += end - begin;
      },
      64);
  EXPECT_EQ(covered.load(), 1000);
}

TEST_P(ThreadPoolTest, NestedCallRunsInline) {
  ThreadPool pool(GetParam());
  std::atomic<int64_t> total{0};
  pool.parallel_for(8, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      pool.parallel_for(10, [&](int64_t b, int64_t e, int) { total += e - b; });
    }
  });
  EXPECT_EQ(total.load(), 80);
}

TEST_P(ThreadPoolTest, ManySmallCallsInARow) {
  ThreadPool pool(GetParam());
  int64_t expected = 0;
  std::atomic<int64_t> sum{0};
  for (int call = 0; call < 2000; ++call) {
    const int64_t n = 1 + call % 37;
    expected += n;
    pool.parallel_for(n, [&](int64_t begin, int64_t end, int) { sum += end - begin; });
  }
  EXPECT_EQ(sum.load(), expected);
}

// Workers asleep when a call starts may wake after the caller took every range; the caller then
// returns without them, and a late worker must not touch the finished call's function (its
// captures are gone: under ASan a stale call would be a stack-use-after-return).
TEST_P(ThreadPoolTest, CallsWhileWorkersSleepOrWakeCoverEveryIndexOnce) {
  ThreadPool pool(GetParam());
  for (int round = 0; round < 40; ++round) {
    if (round % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));  // asleep
    const int64_t n = 1 + (round * 7) % 23;
    std::vector<std::atomic<int>> visits(static_cast<size_t>(n));
    pool.parallel_for(n, [&visits](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) visits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(visits[static_cast<size_t>(i)].load(), 1) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, ThreadPoolTest, ::testing::Values(1, 2, 3, 8));

TEST(ThreadPool, RejectsZeroThreads) {
  EXPECT_THROW(ThreadPool(0), std::invalid_argument);
}

}  // namespace
}  // namespace parley::kernels

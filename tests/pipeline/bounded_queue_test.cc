// BoundedQueue: FIFO and capacity, close/reopen, clear, stop-token cancellation, try_push that
// keeps its argument on failure, and a multi-producer / multi-consumer stress test that checks
// every item arrives exactly once (sum and count) and that no element object leaks (lifetime
// counter, SPSCQueue-style).
#include "assistant/core/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels/error.h"

namespace parley::assistant {
namespace {

using namespace std::chrono_literals;

TEST(BoundedQueue, FifoAndCapacity) {
  BoundedQueue<int> q(3);
  EXPECT_EQ(q.capacity(), 3u);
  EXPECT_TRUE(q.try_push(1));
  EXPECT_TRUE(q.try_push(2));
  EXPECT_TRUE(q.push(3));
  EXPECT_FALSE(q.try_push(4)) << "full";
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.try_pop(), 1);
  EXPECT_TRUE(q.try_push(4));
  EXPECT_EQ(q.pop(), 2);
  EXPECT_EQ(q.pop(), 3);
  EXPECT_EQ(q.pop(), 4);
  EXPECT_EQ(q.try_pop(), std::nullopt);
  EXPECT_THROW(BoundedQueue<int>(0), Error);
}

TEST(BoundedQueue, TryPushMovesOnlyOnSuccess) {
  BoundedQueue<std::unique_ptr<int>> q(1);
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int>(2);
  EXPECT_TRUE(q.try_push(std::move(a)));
  EXPECT_EQ(a, nullptr);
  EXPECT_FALSE(q.try_push(std::move(b)));
  ASSERT_NE(b, nullptr) << "a failed try_push must leave the item with the caller";
  EXPECT_EQ(*b, 2);
}

TEST(BoundedQueue, CloseDrainsThenEnds) {
  BoundedQueue<std::string> q(4);
  q.push("a");
  q.push("b");
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_FALSE(q.push("c"));
  EXPECT_FALSE(q.try_push("d"));
  EXPECT_EQ(q.pop(), "a");
  EXPECT_EQ(q.pop(), "b");
  EXPECT_EQ(q.pop(), std::nullopt) << "closed and empty: pop returns at once";
  q.reopen();
  EXPECT_TRUE(q.push("e"));
  EXPECT_EQ(q.pop(), "e");
}

TEST(BoundedQueue, CloseWakesBlockedConsumersAndProducers) {
  BoundedQueue<int> q(1);
  std::atomic<int> consumers_done{0};
  std::vector<std::thread> consumers;
  for (int i = 0; i < 3; ++i) {
    consumers.emplace_back([&] {
      while (q.pop()) {
      }
      consumers_done.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(20ms);
  q.close();
  for (std::thread& t : consumers) t.join();
  EXPECT_EQ(consumers_done.load(), 3);

  BoundedQueue<int> full(1);
  full.push(1);
  std::thread producer([&] { EXPECT_FALSE(full.push(2)); });
  std::this_thread::sleep_for(20ms);
  full.close();
  producer.join();
}

TEST(BoundedQueue, StopTokenCancelsABlockedPopAndPush) {
  BoundedQueue<int> q(1);
  std::stop_source stop;
  std::thread consumer([&] { EXPECT_EQ(q.pop(stop.get_token()), std::nullopt); });
  std::this_thread::sleep_for(20ms);
  stop.request_stop();
  consumer.join();

  q.push(1);
  std::stop_source stop_push;
  std::thread producer([&] { EXPECT_FALSE(q.push(2, stop_push.get_token())); });
  std::this_thread::sleep_for(20ms);
  stop_push.request_stop();
  producer.join();
  EXPECT_EQ(q.size(), 1u);
  EXPECT_FALSE(q.closed()) << "cancelling one call does not close the queue";
}

TEST(BoundedQueue, PopForTimesOut) {
  BoundedQueue<int> q(2);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.pop_for(30ms), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 25ms);
  q.push(7);
  EXPECT_EQ(q.pop_for(1s), 7);
}

TEST(BoundedQueue, ClearDropsEverythingAndUnblocksProducers) {
  BoundedQueue<int> q(2);
  q.push(1);
  q.push(2);
  std::thread producer([&] { EXPECT_TRUE(q.push(3)); });
  std::this_thread::sleep_for(20ms);
  const size_t dropped = q.clear();
  producer.join();
  // The queue was full, so the producer's 3 can only go in after the clear.
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(q.pop(), 3);
  EXPECT_EQ(q.size(), 0u);
}

// Counts live instances, so a leak or double destruction shows.
struct Tracked {
  static inline std::atomic<int64_t> live{0};
  int64_t value = 0;
  explicit Tracked(int64_t v) : value(v) { live.fetch_add(1); }
  Tracked(Tracked&& other) noexcept : value(other.value) { live.fetch_add(1); }
  Tracked& operator=(Tracked&& other) noexcept {
    value = other.value;
    return *this;
  }
  Tracked(const Tracked&) = delete;
  ~Tracked() { live.fetch_sub(1); }
};

TEST(BoundedQueue, MultiProducerMultiConsumerStress) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 3;
  constexpr int64_t kPerProducer = 20000;
  {
    BoundedQueue<Tracked> q(16);
    std::atomic<int64_t> sum{0};
    std::atomic<int64_t> count{0};
    std::vector<std::vector<int64_t>> last_seen(kConsumers, std::vector<int64_t>(kProducers, -1));
    std::atomic<bool> order_ok{true};
    std::vector<std::thread> threads;
    for (int c = 0; c < kConsumers; ++c) {
      threads.emplace_back([&, c] {
        while (auto item = q.pop()) {
          const int64_t producer = item->value / kPerProducer;
          const int64_t sequence = item->value % kPerProducer;
          // Items of one producer reach any one consumer in increasing order (FIFO).
          if (sequence <= last_seen[c][producer]) order_ok = false;
          last_seen[c][producer] = sequence;
          sum.fetch_add(item->value);
          count.fetch_add(1);
        }
      });
    }
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int64_t i = 0; i < kPerProducer; ++i) {
          Tracked item(p * kPerProducer + i);
          if (i % 3 == 0) {
            while (!q.try_push(std::move(item))) std::this_thread::yield();
          } else {
            ASSERT_TRUE(q.push(std::move(item)));
          }
        }
      });
    }
    for (std::thread& t : producers) t.join();
    q.close();
    for (std::thread& t : threads) t.join();
    const int64_t n = kProducers * kPerProducer;
    EXPECT_EQ(count.load(), n);
    EXPECT_EQ(sum.load(), n * (n - 1) / 2);
    EXPECT_TRUE(order_ok.load());
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

TEST(BoundedQueue, DestructorDestroysQueuedItems) {
  {
    BoundedQueue<Tracked> q(4);
    q.push(Tracked(1));
    q.push(Tracked(2));
    EXPECT_EQ(Tracked::live.load(), 2);
    q.clear();
    EXPECT_EQ(Tracked::live.load(), 0);
    q.push(Tracked(3));
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

}  // namespace
}  // namespace parley::assistant

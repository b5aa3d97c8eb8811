// SpscRing: lifetimes (every construction matched by one destruction), capacity edges,
// wraparound, flush, and a two-thread producer/consumer run checked by checksum (run this binary
// in a -DPARLEY_SANITIZE_THREAD=ON build too).
#include "audio/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

namespace parley::audio {
namespace {

// Records every live object; each object carries a value and knows whether it is live.
struct Tracked {
  // Atomic: the producer constructs while the consumer destroys.
  static inline std::atomic<int> live = 0;
  static inline std::atomic<int> constructions = 0;
  static inline std::atomic<int> destructions = 0;

  int value = -1;
  bool alive = true;

  Tracked() noexcept { ++live, ++constructions; }
  explicit Tracked(int v) noexcept : value(v) { ++live, ++constructions; }
  Tracked(const Tracked& other) noexcept : value(other.value) {
    EXPECT_TRUE(other.alive);
    ++live, ++constructions;
  }
  Tracked(Tracked&& other) noexcept : value(other.value) {
    EXPECT_TRUE(other.alive);
    other.value = -2;
    ++live, ++constructions;
  }
  Tracked& operator=(const Tracked& other) noexcept {
    EXPECT_TRUE(alive && other.alive);
    value = other.value;
    return *this;
  }
  Tracked& operator=(Tracked&& other) noexcept {
    EXPECT_TRUE(alive && other.alive);
    value = other.value;
    other.value = -2;
    return *this;
  }
  ~Tracked() {
    EXPECT_TRUE(alive) << "double destruction";
    alive = false;
    --live, ++destructions;
  }

  static void reset() { live = constructions = destructions = 0; }
};

class SpscRingTest : public ::testing::Test {
 protected:
  void SetUp() override { Tracked::reset(); }
  void TearDown() override {
    EXPECT_EQ(Tracked::live, 0);
    EXPECT_EQ(Tracked::constructions, Tracked::destructions);
  }
};

TEST_F(SpscRingTest, CapacityRoundsUpToPowerOfTwo) {
  EXPECT_EQ(SpscRing<int>(1).capacity(), 1u);
  EXPECT_EQ(SpscRing<int>(2).capacity(), 2u);
  EXPECT_EQ(SpscRing<int>(3).capacity(), 4u);
  EXPECT_EQ(SpscRing<int>(1000).capacity(), 1024u);
  EXPECT_EQ(SpscRing<int>(1024).capacity(), 1024u);
  EXPECT_EQ(SpscRing<int>(1025).capacity(), 2048u);
  EXPECT_THROW(SpscRing<int>(0), std::invalid_argument);
}

TEST_F(SpscRingTest, IndicesLiveOnSeparateCacheLines) {
  EXPECT_GE(alignof(SpscRing<float>), 64u);
  EXPECT_GE(sizeof(SpscRing<float>), 4 * 64u);
}

TEST_F(SpscRingTest, CapacityOneFillsAndDrains) {
  SpscRing<Tracked> ring(1);
  EXPECT_TRUE(ring.try_emplace(7));
  EXPECT_FALSE(ring.try_emplace(8));  // full
  EXPECT_EQ(Tracked::live, 1);
  Tracked out;
  EXPECT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out.value, 7);
  EXPECT_FALSE(ring.try_pop(out));  // empty
  EXPECT_EQ(out.value, 7);          // untouched on failure
  EXPECT_EQ(Tracked::live, 1);      // only `out`
}

TEST_F(SpscRingTest, EveryCapacitySlotUsableThenFull) {
  SpscRing<Tracked> ring(8);
  std::vector<Tracked> source;
  for (int i = 0; i < 10; ++i) source.emplace_back(i);
  EXPECT_EQ(ring.write_available(), 8u);
  EXPECT_EQ(ring.try_write(source), 8u);  // only 8 fit
  EXPECT_EQ(ring.write_available(), 0u);
  EXPECT_EQ(ring.read_available(), 8u);
  EXPECT_EQ(ring.try_write(source), 0u);
  EXPECT_EQ(Tracked::live, 10 + 8);

  std::vector<Tracked> destination(12);
  EXPECT_EQ(ring.try_read(destination), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(destination[i].value, i);
  EXPECT_EQ(destination[8].value, -1);  // untouched
  EXPECT_EQ(ring.read_available(), 0u);
  EXPECT_EQ(Tracked::live, 10 + 12);
}

TEST_F(SpscRingTest, BulkWraparoundKeepsOrder) {
  SpscRing<Tracked> ring(8);
  int next_written = 0, next_expected = 0;
  // Chunk sizes chosen so writes and reads straddle the end of the storage many times.
  const size_t write_sizes[] = {3, 5, 7, 1, 6, 2, 8, 4};
  const size_t read_sizes[] = {2, 7, 3, 5, 1, 8, 4, 6};
  for (int round = 0; round < 50; ++round) {
    std::vector<Tracked> chunk;
    for (size_t i = 0; i < write_sizes[round % 8]; ++i) chunk.emplace_back(next_written + int(i));
    const size_t written = ring.try_write(chunk);
    EXPECT_LE(written, chunk.size());
    next_written += static_cast<int>(written);

    std::vector<Tracked> out(read_sizes[round % 8]);
    const size_t got = ring.try_read(out);
    for (size_t i = 0; i < got; ++i) EXPECT_EQ(out[i].value, next_expected++);
  }
  std::vector<Tracked> rest(8);
  const size_t got = ring.try_read(rest);
  for (size_t i = 0; i < got; ++i) EXPECT_EQ(rest[i].value, next_expected++);
  EXPECT_EQ(next_expected, next_written);
  EXPECT_GT(next_written, 100);
}

TEST_F(SpscRingTest, MoveWriteFrontPop) {
  SpscRing<Tracked> ring(4);
  std::vector<Tracked> source;
  for (int i = 0; i < 3; ++i) source.emplace_back(10 + i);
  EXPECT_EQ(ring.try_write_move(source), 3u);
  EXPECT_EQ(source[0].value, -2);  // moved from
  ASSERT_NE(ring.front(), nullptr);
  EXPECT_EQ(ring.front()->value, 10);
  ring.pop();
  EXPECT_EQ(ring.front()->value, 11);
  ring.pop();
  ring.pop();
  EXPECT_EQ(ring.front(), nullptr);
}

TEST_F(SpscRingTest, FlushDestroysQueuedElements) {
  SpscRing<Tracked> ring(16);
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(ring.try_emplace(i));
  Tracked out;
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_EQ(Tracked::live, 11);  // 10 queued + out
  EXPECT_EQ(ring.flush(), 10u);
  EXPECT_EQ(Tracked::live, 1);
  EXPECT_EQ(ring.read_available(), 0u);
  EXPECT_EQ(ring.write_available(), 16u);
  // The ring keeps working after a flush, across the wrap point.
  for (int i = 100; i < 116; ++i) ASSERT_TRUE(ring.try_emplace(i));
  EXPECT_FALSE(ring.try_emplace(0));
  for (int i = 100; i < 116; ++i) {
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out.value, i);
  }
}

TEST_F(SpscRingTest, DestructorDestroysQueuedElements) {
  {
    SpscRing<Tracked> ring(8);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(ring.try_emplace(i));
    Tracked out;
    ASSERT_TRUE(ring.try_pop(out));
    ASSERT_TRUE(ring.try_emplace(5));
    EXPECT_EQ(Tracked::live, 6);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(SpscRingThreads, ProducerConsumerChecksum) {
  constexpr uint64_t kTotal = 2'000'000;
  SpscRing<uint64_t> ring(1024);
  uint64_t consumer_sum = 0, consumer_weighted = 0;
  uint64_t received = 0;
  bool in_order = true;

  std::thread consumer([&] {
    std::vector<uint64_t> buffer(97);
    while (received < kTotal) {
      const size_t got = ring.try_read(buffer);
      for (size_t i = 0; i < got; ++i) {
        in_order &= buffer[i] == received;
        consumer_sum += buffer[i];
        consumer_weighted += buffer[i] * (buffer[i] & 0xff);
        ++received;
      }
      if (got == 0) std::this_thread::yield();
    }
  });

  std::vector<uint64_t> chunk(61);
  uint64_t next = 0;
  while (next < kTotal) {
    const size_t count = static_cast<size_t>(std::min<uint64_t>(chunk.size(), kTotal - next));
    for (size_t i = 0; i < count; ++i) chunk[i] = next + i;
    const size_t written = ring.try_write(std::span<const uint64_t>(chunk.data(), count));
    next += written;
    if (written == 0) std::this_thread::yield();
  }
  consumer.join();

  uint64_t expected_weighted = 0;
  for (uint64_t v = 0; v < kTotal; ++v) expected_weighted += v * (v & 0xff);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(consumer_sum, kTotal * (kTotal - 1) / 2);
  EXPECT_EQ(consumer_weighted, expected_weighted);
}

// Lifetimes stay balanced when the two sides run concurrently with non-trivial elements and the
// consumer flushes now and then (barge-in while the producer keeps writing).
TEST(SpscRingThreads, ConcurrentTrackedWithFlush) {
  Tracked::reset();
  {
    constexpr int kTotal = 200'000;
    SpscRing<Tracked> ring(64);
    std::atomic<bool> done{false};
    int64_t popped_sum = 0;
    std::thread consumer([&] {
      Tracked out;
      int last = -1;
      int reads = 0;
      while (true) {
        const bool finished = done.load(std::memory_order_acquire);
        if (ring.try_pop(out)) {
          EXPECT_GT(out.value, last);  // order kept even across flushes
          last = out.value;
          popped_sum += out.value;
          if (++reads % 1000 == 0) ring.flush();
        } else if (finished) {
          break;
        } else {
          std::this_thread::yield();
        }
      }
    });
    for (int i = 0; i < kTotal; ++i) {
      while (!ring.try_emplace(i)) std::this_thread::yield();
    }
    done.store(true, std::memory_order_release);
    consumer.join();
    EXPECT_GT(popped_sum, 0);
  }
  EXPECT_EQ(Tracked::live, 0);
  EXPECT_EQ(Tracked::constructions, Tracked::destructions);
}

}  // namespace
}  // namespace parley::audio

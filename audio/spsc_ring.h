// SpscRing<T> — a bounded, lock-free, single-producer / single-consumer ring of T.
//
// This is how audio crosses threads in Parley: a PortAudio callback on one side, a pipeline
// thread on the other. Nothing here locks, blocks, allocates or throws after construction.
//
// Contract
//   * Exactly one producer thread calls the producer functions (try_write, try_push,
//     try_emplace, write_available) and exactly one consumer thread calls the consumer functions
//     (try_read, try_pop, front, pop, flush, read_available). Either side may be handed to another
//     thread only with a happens-before edge in between (a join, a mutex hand-off).
//   * capacity() is a power of two: the requested capacity rounded up. All capacity() slots are
//     usable (monotonic 64-bit indices; a full ring holds capacity() elements).
//   * Slots hold live T objects only while queued: an element is constructed when written and
//     destroyed when read or flushed; the destructor destroys whatever is still queued.
//   * Bulk calls transfer as many elements as fit (possibly zero) and return how many, handling
//     wraparound internally; elements keep their order.
//   * flush() is called by the consumer (barge-in: drop queued playback). It drops every element
//     the producer had published when flush() read the index; later writes are kept.
//   * T's copy/move constructors, move assignment and destructor used by the calls below must be
//     noexcept (checked at compile time), so a call can never leave the ring half-updated.
//
// Layout (rigtorp/SPSCQueue habit): the producer index, the producer's cached copy of the consumer
// index, the consumer index and the consumer's cached copy of the producer index each sit on
// their own cache-line pair, so the two threads only share a line when the cached copy is stale.
//
// Usage
//   parley::audio::SpscRing<float> ring(4096);     // capture ring, 4096 samples
//   // PortAudio callback (producer):
//   size_t written = ring.try_write(std::span<const float>(input, frames));
//   if (written < frames) ++overflow_count;         // never blocks: drop what does not fit
//   // pipeline thread (consumer):
//   float chunk[320];
//   size_t got = ring.try_read(chunk);              // 0..320 samples
//   ring.flush();                                   // barge-in: drop everything queued
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace parley::audio {

// Two 64-byte lines: keeps the adjacent-line prefetcher from coupling the two sides.
inline constexpr size_t kFalseSharingBytes = 128;

template <typename T>
class SpscRing {
  static_assert(std::is_nothrow_destructible_v<T>, "SpscRing<T> needs a noexcept destructor");

 public:
  // Rounds capacity up to a power of two. Throws std::invalid_argument for 0 or an absurd size.
  explicit SpscRing(size_t requested_capacity)
      : capacity_(round_up_capacity(requested_capacity)),
        mask_(capacity_ - 1),
        slots_(std::allocator<T>().allocate(capacity_)) {}

  ~SpscRing() {
    const uint64_t write = write_index_.load(std::memory_order_acquire);
    for (uint64_t read = read_index_.load(std::memory_order_relaxed); read != write; ++read) {
      std::destroy_at(&slots_[read & mask_]);
    }
    std::allocator<T>().deallocate(slots_, capacity_);
  }

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const noexcept { return capacity_; }

  // ---- producer side -----------------------------------------------------------------------

  // Copies the longest prefix of `source` that fits; returns how many elements were written.
  size_t try_write(std::span<const T> source) noexcept {
    static_assert(std::is_nothrow_copy_constructible_v<T>, "try_write needs noexcept copy");
    return write_with(source.size(), [&](T* destination, size_t offset, size_t count) {
      std::uninitialized_copy_n(source.data() + offset, count, destination);
    });
  }

  // Moves the longest prefix of `source` that fits into the ring (moved-from objects stay in
  // `source`); returns how many elements were moved.
  size_t try_write_move(std::span<T> source) noexcept {
    static_assert(std::is_nothrow_move_constructible_v<T>, "try_write_move needs noexcept move");
    return write_with(source.size(), [&](T* destination, size_t offset, size_t count) {
      std::uninitialized_move_n(source.data() + offset, count, destination);
    });
  }

  // Constructs one element in place from `args`; false (nothing constructed) when full.
  template <typename... Args>
  bool try_emplace(Args&&... args) noexcept {
    static_assert(std::is_nothrow_constructible_v<T, Args&&...>, "try_emplace needs noexcept ctor");
    const uint64_t write = write_index_.load(std::memory_order_relaxed);
    if (write - cached_read_index_ == capacity_) {
      cached_read_index_ = read_index_.load(std::memory_order_acquire);
      if (write - cached_read_index_ == capacity_) return false;
    }
    std::construct_at(&slots_[write & mask_], std::forward<Args>(args)...);
    write_index_.store(write + 1, std::memory_order_release);
    return true;
  }

  template <typename U>
  bool try_push(U&& value) noexcept {
    return try_emplace(std::forward<U>(value));
  }

  // Free slots as seen by the producer (exact for the producer; may grow concurrently).
  size_t write_available() noexcept {
    cached_read_index_ = read_index_.load(std::memory_order_acquire);
    return capacity_ -
           static_cast<size_t>(write_index_.load(std::memory_order_relaxed) - cached_read_index_);
  }

  // ---- consumer side -----------------------------------------------------------------------

  // Move-assigns up to destination.size() queued elements into `destination` (oldest first) and
  // destroys their slots; returns how many were read.
  size_t try_read(std::span<T> destination) noexcept {
    static_assert(std::is_nothrow_move_assignable_v<T>, "try_read needs noexcept move-assign");
    const uint64_t read = read_index_.load(std::memory_order_relaxed);
    const size_t count = std::min(destination.size(), readable_from(read, destination.size()));
    if (count == 0) return 0;
    const size_t first_slot = static_cast<size_t>(read & mask_);
    const size_t first_part = std::min(count, capacity_ - first_slot);
    move_out(slots_ + first_slot, first_part, destination.data());
    move_out(slots_, count - first_part, destination.data() + first_part);
    read_index_.store(read + count, std::memory_order_release);
    return count;
  }

  // Moves the oldest element into `out`; false (out untouched) when empty.
  bool try_pop(T& out) noexcept { return try_read(std::span<T>(&out, 1)) == 1; }

  // The oldest element, or nullptr when empty. Valid until pop()/flush() by this consumer.
  T* front() noexcept {
    const uint64_t read = read_index_.load(std::memory_order_relaxed);
    if (readable_from(read, 1) == 0) return nullptr;
    return &slots_[read & mask_];
  }

  // Destroys the oldest element. Precondition: front() != nullptr.
  void pop() noexcept {
    const uint64_t read = read_index_.load(std::memory_order_relaxed);
    std::destroy_at(&slots_[read & mask_]);
    read_index_.store(read + 1, std::memory_order_release);
  }

  // Drops everything queued (barge-in). Returns how many elements were dropped.
  size_t flush() noexcept {
    const uint64_t read = read_index_.load(std::memory_order_relaxed);
    cached_write_index_ = write_index_.load(std::memory_order_acquire);
    const size_t count = static_cast<size_t>(cached_write_index_ - read);
    if constexpr (!std::is_trivially_destructible_v<T>) {
      for (uint64_t index = read; index != cached_write_index_; ++index) {
        std::destroy_at(&slots_[index & mask_]);
      }
    }
    read_index_.store(cached_write_index_, std::memory_order_release);
    return count;
  }

  // Queued elements as seen by the consumer (exact for the consumer; may grow concurrently).
  size_t read_available() noexcept {
    cached_write_index_ = write_index_.load(std::memory_order_acquire);
    return static_cast<size_t>(cached_write_index_ - read_index_.load(std::memory_order_relaxed));
  }

 private:
  static size_t round_up_capacity(size_t requested) {
    if (requested == 0) throw std::invalid_argument("SpscRing: capacity must be at least 1");
    if (requested > (size_t{1} << 40)) throw std::invalid_argument("SpscRing: capacity too large");
    size_t capacity = 1;
    while (capacity < requested) capacity <<= 1;
    return capacity;
  }

  // Producer: reserves up to `wanted` slots, lets `fill(destination, offset, count)` construct
  // elements in at most two contiguous pieces, then publishes them.
  template <typename Fill>
  size_t write_with(size_t wanted, Fill&& fill) noexcept {
    const uint64_t write = write_index_.load(std::memory_order_relaxed);
    size_t space = capacity_ - static_cast<size_t>(write - cached_read_index_);
    if (space < wanted) {
      cached_read_index_ = read_index_.load(std::memory_order_acquire);
      space = capacity_ - static_cast<size_t>(write - cached_read_index_);
    }
    const size_t count = std::min(wanted, space);
    if (count == 0) return 0;
    const size_t first_slot = static_cast<size_t>(write & mask_);
    const size_t first_part = std::min(count, capacity_ - first_slot);
    fill(slots_ + first_slot, 0, first_part);
    if (count > first_part) fill(slots_, first_part, count - first_part);
    write_index_.store(write + count, std::memory_order_release);
    return count;
  }

  // Consumer: how many elements are readable at `read`, refreshing the cached producer index only
  // when the cached value does not already cover `wanted`.
  size_t readable_from(uint64_t read, size_t wanted) noexcept {
    size_t available = static_cast<size_t>(cached_write_index_ - read);
    if (available < wanted) {
      cached_write_index_ = write_index_.load(std::memory_order_acquire);
      available = static_cast<size_t>(cached_write_index_ - read);
    }
    return available;
  }

  static void move_out(T* slots, size_t count, T* destination) noexcept {
    for (size_t i = 0; i < count; ++i) {
      destination[i] = std::move(slots[i]);
      std::destroy_at(&slots[i]);
    }
  }

  const size_t capacity_;
  const size_t mask_;
  T* const slots_;

  // Producer-owned.
  alignas(kFalseSharingBytes) std::atomic<uint64_t> write_index_{0};
  alignas(kFalseSharingBytes) uint64_t cached_read_index_ = 0;
  // Consumer-owned.
  alignas(kFalseSharingBytes) std::atomic<uint64_t> read_index_{0};
  alignas(kFalseSharingBytes) uint64_t cached_write_index_ = 0;
  // alignof(SpscRing) == kFalseSharingBytes pads the last line; nothing else shares it.
};

}  // namespace parley::audio

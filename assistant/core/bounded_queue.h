// BoundedQueue<T> — a blocking, bounded, multi-producer / multi-consumer queue for text and
// events between pipeline threads (transcripts, LLM pieces, TTS clauses, turn events). Audio
// samples do not go through here: they use the lock-free audio/spsc_ring.h.
//
// Contracts
//   * Capacity is fixed at construction (>= 1); the slots are allocated once, so push/pop never
//     allocate beyond what T's own move does. FIFO order per producer.
//   * push() blocks while the queue is full; pop() blocks while it is empty. Both wake and give up
//     when the queue is closed or the caller's std::stop_token is triggered (cancellation: the
//     pipeline's stop_source for the current turn).
//   * close(): no more items are accepted (push returns false); consumers still drain what is
//     queued, then pop() returns std::nullopt. reopen() accepts items again (next session).
//   * clear(): drops every queued item at once and returns how many (barge-in: drop queued
//     clauses). Producers blocked on a full queue wake up.
//   * try_push(T&&) moves from its argument only when it returns true.
//   * All members are thread-safe. T must be movable.
//
// Usage
//   BoundedQueue<std::string> clauses(8);
//   std::jthread tts([&](std::stop_token stop) {
//     while (auto clause = clauses.pop(stop)) speak(*clause);   // ends on close() or stop
//   });
//   clauses.push("Hello there.");        // blocks while 8 are waiting
//   clauses.clear();                     // barge-in
//   clauses.close();                     // end of session
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stop_token>
#include <vector>

#include "kernels/error.h"

namespace parley::assistant {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) {
    if (capacity == 0) throw Error("BoundedQueue: capacity must be at least 1");
    slots_.resize(capacity);
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Blocks while full. Returns false (item not queued) when closed or `stop` is triggered.
  bool push(T item, std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    if (!not_full_.wait(lock, stop, [&] { return closed_ || count_ < slots_.size(); }))
      return false;
    if (closed_) return false;
    emplace_locked(std::move(item));
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Never blocks. Moves from `item` only on success.
  bool try_push(T&& item) {
    {
      std::lock_guard lock(mutex_);
      if (closed_ || count_ == slots_.size()) return false;
      emplace_locked(std::move(item));
    }
    not_empty_.notify_one();
    return true;
  }

  // Blocks while empty and open. std::nullopt when closed and drained, or `stop` triggered.
  std::optional<T> pop(std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait(lock, stop, [&] { return closed_ || count_ > 0; })) return std::nullopt;
    return take_locked(lock);
  }

  // Waits at most `timeout`; std::nullopt on timeout, when closed and drained, or when stopped.
  template <typename Rep, typename Period>
  std::optional<T> pop_for(std::chrono::duration<Rep, Period> timeout, std::stop_token stop = {}) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, stop, timeout, [&] { return closed_ || count_ > 0; }))
      return std::nullopt;
    return take_locked(lock);
  }

  std::optional<T> try_pop() {
    std::unique_lock lock(mutex_);
    return take_locked(lock);
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  void reopen() {
    std::lock_guard lock(mutex_);
    closed_ = false;
  }

  size_t clear() {
    size_t dropped = 0;
    {
      std::lock_guard lock(mutex_);
      while (count_ > 0) {
        slots_[head_].reset();
        head_ = (head_ + 1) % slots_.size();
        --count_;
        ++dropped;
      }
    }
    not_full_.notify_all();
    return dropped;
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return count_;
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  size_t capacity() const { return slots_.size(); }

 private:
  void emplace_locked(T&& item) {
    slots_[(head_ + count_) % slots_.size()].emplace(std::move(item));
    ++count_;
  }

  // Takes the head item if there is one; unlocks before notifying a producer.
  std::optional<T> take_locked(std::unique_lock<std::mutex>& lock) {
    if (count_ == 0) return std::nullopt;
    std::optional<T> item = std::move(slots_[head_]);
    slots_[head_].reset();
    head_ = (head_ + 1) % slots_.size();
    --count_;
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  mutable std::mutex mutex_;
  std::condition_variable_any not_empty_;
  std::condition_variable_any not_full_;
  std::vector<std::optional<T>> slots_;
  size_t head_ = 0;
  size_t count_ = 0;
  bool closed_ = false;
};

}  // namespace parley::assistant

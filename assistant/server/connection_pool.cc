#include "assistant/server/connection_pool.h"

#include <algorithm>
#include <utility>

namespace parley::assistant::server {

ConnectionPool::ConnectionPool(ConnectionPoolOptions options) : options_(options) {
  options_.max_threads = std::max<size_t>(1, options_.max_threads);
  options_.keep_threads = std::min(options_.keep_threads, options_.max_threads);
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> job) {
  join_retired();
  std::lock_guard lock(mutex_);
  jobs_.push_back(std::move(job));
  if (idle_ > jobs_.size() - 1) {
    wake_.notify_one();
    return;
  }
  if (threads_.size() < options_.max_threads && !shutting_down_) {
    // Every idle thread is already promised to an earlier job: one more thread.
    threads_.emplace_back();
    auto self = std::prev(threads_.end());
    *self = std::thread([this, self] { worker(self); });
    peak_ = std::max(peak_, threads_.size());
  }
}

void ConnectionPool::worker(std::list<std::thread>::iterator self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    const bool woke = wake_.wait_for(lock, options_.idle_retire,
                                     [&] { return !jobs_.empty() || shutting_down_; });
    --idle_;
    if (jobs_.empty()) {
      if (shutting_down_) return;
      if (!woke && threads_.size() > options_.keep_threads) {
        retired_.push_back(std::move(*self));  // joined by the next enqueue or shutdown
        threads_.erase(self);
        return;
      }
      continue;
    }
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    ++busy_;
    lock.unlock();
    job();
    job = nullptr;  // release the connection's captures outside the lock
    lock.lock();
    --busy_;
  }
}

void ConnectionPool::join_retired() {
  std::vector<std::thread> retired;
  {
    std::lock_guard lock(mutex_);
    retired.swap(retired_);
  }
  for (std::thread& t : retired) t.join();
}

void ConnectionPool::shutdown() {
  std::list<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    wake_.notify_all();
  }
  // Workers drain the queue, then exit; a retiring worker may still move itself to retired_.
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (threads_.empty()) break;
      threads.splice(threads.end(), threads_, threads_.begin());
    }
    threads.back().join();
  }
  join_retired();
}

ConnectionPoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return {.threads = threads_.size(), .busy = busy_, .queued = jobs_.size(), .peak_threads = peak_};
}

}  // namespace parley::assistant::server

// ConnectionPool — the task queue that serves httplib's accepted connections: one thread per
// connection being served, started when a connection arrives and retired after it has been idle a
// while, up to `max_threads`; connections beyond that wait in a FIFO.
//
// Why not httplib::ThreadPool: its fixed threads serve connections strictly in arrival order, so a
// flood of connections that send nothing (each held up to the keep-alive timeout) or send slowly
// queues every later client behind them. Here a new connection gets its own thread at once while
// fewer than max_threads are busy, so a polite client is served beside a flood; memory stays
// bounded by max_threads (each idle thread costs its stack's touched pages) and threads not needed
// any more exit after `idle_retire`, keeping `keep_threads`.
//
// Contracts: enqueue() and shutdown() from httplib's accept thread (enqueue is safe from any
// thread); shutdown() runs the jobs already queued, then joins every thread.
//
// Usage
//   server.new_task_queue = [] { return new ConnectionPool({.max_threads = 256}); };
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::assistant::server {

struct ConnectionPoolOptions {
  size_t max_threads = 128;
  size_t keep_threads = 4;  // never retired
  std::chrono::milliseconds idle_retire{10'000};
};

struct ConnectionPoolStats {
  size_t threads = 0;  // alive
  size_t busy = 0;     // serving a connection
  size_t queued = 0;   // waiting for a thread
  size_t peak_threads = 0;
};

class ConnectionPool final : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(ConnectionPoolOptions options);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void enqueue(std::function<void()> job) override;
  void shutdown() override;
  ConnectionPoolStats stats() const;

 private:
  void worker(std::list<std::thread>::iterator self);
  void join_retired();  // with mutex_ not held

  ConnectionPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> threads_;
  std::vector<std::thread> retired_;  // exited on their own, to be joined
  size_t idle_ = 0;
  size_t busy_ = 0;
  size_t peak_ = 0;
  bool shutting_down_ = false;
};

}  // namespace parley::assistant::server

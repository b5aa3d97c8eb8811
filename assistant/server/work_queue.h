// WorkQueue — admission control for model work: a fixed set of workers (each owning a
// kernels::ThreadPool) and a bounded waiting line in front of them.
//
//   WorkQueue queue(/*workers=*/1, /*waiting_capacity=*/8, /*threads_per_worker=*/4);
//   WorkQueue::Admission admission = queue.acquire(std::chrono::seconds(30));
//   if (!admission.lease) return reject(admission.status);   // kQueueFull → 429, else 503
//   run_model(admission.lease->pool());                     // lease returned on destruction
//
// Contracts
//   * At most `workers` leases exist at once; at most `waiting_capacity` callers wait in
//     acquire(). A caller arriving when the line is full gets kQueueFull at once.
//   * Fair to clients (`client`: who asks — the route passes the peer address; "" is one
//     anonymous client): a free worker goes to the waiter whose client was admitted least
//     recently (never = first), first come first served within a client; and the last quarter
//     of the line (waiting_capacity / 4 slots) is kept for clients with nobody waiting, so one
//     client flooding the server fills at most the rest and another is still queued and served
//     after at most one job per flooding client.
//   * acquire() gives up with kTimedOut after `max_wait`, with kCancelled when `cancelled()`
//     turns true (polled every 50 ms: a client that went away), with kClosed after close().
//   * A lease's pool is used by one job at a time: its holder.
//   * All members are thread-safe. The queue must outlive its leases.
//   * When the last lease is returned and nobody waits, memory the model work freed is handed
//     back to the system (glibc malloc_trim, at most once a second): an appliance's RSS stays
//     flat over months of requests.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::kernels {
class ThreadPool;
}

namespace parley::assistant::server {

class WorkQueue {
 public:
  enum class Status { kAdmitted, kQueueFull, kTimedOut, kCancelled, kClosed };

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    kernels::ThreadPool& pool() const;
    int worker() const { return worker_; }
    std::chrono::steady_clock::duration waited() const { return waited_; }

   private:
    friend class WorkQueue;
    Lease(WorkQueue* queue, int worker, std::chrono::steady_clock::duration waited)
        : queue_(queue), worker_(worker), waited_(waited) {}
    WorkQueue* queue_;
    int worker_;
    std::chrono::steady_clock::duration waited_;
  };

  struct Admission {
    Status status = Status::kClosed;
    std::optional<Lease> lease;  // set iff status == kAdmitted
  };

  // threads_per_worker <= 0: hardware threads / workers (at least 1).
  WorkQueue(int workers, int waiting_capacity, int threads_per_worker);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  Admission acquire(std::chrono::milliseconds max_wait,
                    const std::function<bool()>& cancelled = {}, const std::string& client = {});
  void close();  // wakes every waiter with kClosed; later acquire() calls get kClosed

  int workers() const { return static_cast<int>(pools_.size()); }
  int waiting_capacity() const { return waiting_capacity_; }
  int waiting() const;  // callers in the line now
  int busy() const;     // leases held now

 private:
  void release(int worker);
  void return_free_memory();

  std::vector<std::unique_ptr<kernels::ThreadPool>> pools_;
  int waiting_capacity_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> in_use_;
  struct Waiter {
    uint64_t ticket;
    std::string client;
  };
  // The ticket of the waiter served next (see the fairness contract); line_ not empty.
  uint64_t next_in_line() const;
  void note_admitted(const std::string& client);

  std::deque<Waiter> line_;  // waiting callers, oldest first
  uint64_t next_ticket_ = 0;
  // Admission number of each client's latest lease, for the clients that may wait again; pruned
  // to the clients in line when it grows past kRememberedClients.
  std::map<std::string, uint64_t> last_admitted_;
  uint64_t admissions_ = 0;
  static constexpr size_t kRememberedClients = 256;
  bool closed_ = false;
  std::atomic<int64_t> last_trim_ms_{INT64_MIN / 2};
};

const char* to_string(WorkQueue::Status status);

}  // namespace parley::assistant::server

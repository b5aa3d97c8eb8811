#include "assistant/server/work_queue.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <thread>

#include "kernels/error.h"
#include "kernels/thread_pool.h"

namespace parley::assistant::server {

WorkQueue::Lease::Lease(Lease&& other) noexcept
    : queue_(other.queue_), worker_(other.worker_), waited_(other.waited_) {
  other.queue_ = nullptr;
}

WorkQueue::Lease::~Lease() {
  if (queue_ != nullptr) queue_->release(worker_);
}

kernels::ThreadPool& WorkQueue::Lease::pool() const {
  return *queue_->pools_[worker_];
}

WorkQueue::WorkQueue(int workers, int waiting_capacity, int threads_per_worker)
    : waiting_capacity_(waiting_capacity) {
  if (workers < 1) throw Error("WorkQueue: workers must be >= 1");
  if (waiting_capacity < 0) throw Error("WorkQueue: waiting_capacity must be >= 0");
  if (threads_per_worker <= 0)
    threads_per_worker = std::max(1, kernels::ThreadPool::default_thread_count() / workers);
  for (int i = 0; i < workers; ++i)
    pools_.push_back(std::make_unique<kernels::ThreadPool>(threads_per_worker));
  in_use_.assign(static_cast<size_t>(workers), false);
}

WorkQueue::~WorkQueue() {
  close();
}

uint64_t WorkQueue::next_in_line() const {
  // Least recently admitted client first (never admitted: 0), then the oldest ticket.
  const Waiter* best = nullptr;
  uint64_t best_admitted = 0;
  for (const Waiter& w : line_) {
    const auto it = last_admitted_.find(w.client);
    const uint64_t admitted = it == last_admitted_.end() ? 0 : it->second;
    if (best == nullptr || admitted < best_admitted) {
      best = &w;
      best_admitted = admitted;
    }
  }
  return best->ticket;
}

void WorkQueue::note_admitted(const std::string& client) {
  last_admitted_[client] = ++admissions_;
  if (last_admitted_.size() <= kRememberedClients) return;
  // Forget clients with nobody waiting: a forgotten client counts as never admitted, which
  // only moves it ahead of the others when it asks again — still fair.
  std::erase_if(last_admitted_, [&](const auto& entry) {
    return std::none_of(line_.begin(), line_.end(), [&](const Waiter& w) { return w.client == entry.first; });
  });
}

WorkQueue::Admission WorkQueue::acquire(std::chrono::milliseconds max_wait,
                                        const std::function<bool()>& cancelled,
                                        const std::string& client) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + max_wait;
  std::unique_lock lock(mutex_);
  if (closed_) return {Status::kClosed, std::nullopt};
  auto free_worker = [&]() -> int {
    for (size_t i = 0; i < in_use_.size(); ++i)
      if (!in_use_[i]) return static_cast<int>(i);
    return -1;
  };
  // Fast path: nobody waiting and a worker free.
  if (line_.empty()) {
    const int worker = free_worker();
    if (worker >= 0) {
      in_use_[worker] = true;
      note_admitted(client);
      return {Status::kAdmitted, Lease(this, worker, std::chrono::steady_clock::now() - start)};
    }
  }
  const int line_size = static_cast<int>(line_.size());
  if (line_size >= waiting_capacity_) return {Status::kQueueFull, std::nullopt};
  const bool client_waits =
      std::any_of(line_.begin(), line_.end(), [&](const Waiter& w) { return w.client == client; });
  if (client_waits && line_size >= waiting_capacity_ - waiting_capacity_ / 4)
    return {Status::kQueueFull, std::nullopt};  // the rest is kept for other clients
  const uint64_t ticket = next_ticket_++;
  line_.push_back({ticket, client});
  auto leave_line = [&] {
    line_.erase(std::find_if(line_.begin(), line_.end(), [&](const Waiter& w) { return w.ticket == ticket; }));
    changed_.notify_all();  // another waiter may now be next
  };
  for (;;) {
    if (closed_) {
      leave_line();
      return {Status::kClosed, std::nullopt};
    }
    if (next_in_line() == ticket) {
      const int worker = free_worker();
      if (worker >= 0) {
        in_use_[worker] = true;
        note_admitted(client);
        leave_line();
        return {Status::kAdmitted, Lease(this, worker, std::chrono::steady_clock::now() - start)};
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      leave_line();
      return {Status::kTimedOut, std::nullopt};
    }
    if (cancelled) {
      lock.unlock();
      const bool gone = cancelled();
      lock.lock();
      if (gone) {
        leave_line();
        return {Status::kCancelled, std::nullopt};
      }
    }
    changed_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
}

void WorkQueue::release(int worker) {
  bool idle = false;
  {
    std::lock_guard lock(mutex_);
    in_use_[worker] = false;
    idle = line_.empty() && std::none_of(in_use_.begin(), in_use_.end(), [](bool b) { return b; });
  }
  changed_.notify_all();
  if (idle) return_free_memory();
}

void WorkQueue::return_free_memory() {
#if defined(__GLIBC__)
  // Model work frees tens of MB of activations and arenas on the request threads; glibc keeps
  // those pages in its per-thread arenas, and as cpp-httplib hands requests to ever more
  // threads the process grew by 64 MB over a 20,000-request soak (bench/http_soak.py) while
  // the live heap stayed flat (heaptrack). Trimming when the queue goes idle returns them; at
  // most once a second, so a busy server pays nothing per request.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_trim_ms_.load(std::memory_order_relaxed);
  if (now - last < 1000) return;
  if (!last_trim_ms_.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
  malloc_trim(0);
#endif
}

void WorkQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

int WorkQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(line_.size());
}

int WorkQueue::busy() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count(in_use_.begin(), in_use_.end(), true));
}

const char* to_string(WorkQueue::Status status) {
  switch (status) {
    case WorkQueue::Status::kAdmitted:
      return "admitted";
    case WorkQueue::Status::kQueueFull:
      return "queue_full";
    case WorkQueue::Status::kTimedOut:
      return "queue_timeout";
    case WorkQueue::Status::kCancelled:
      return "cancelled";
    case WorkQueue::Status::kClosed:
      return "shutting_down";
  }
  return "unknown";
}

}  // namespace parley::assistant::server

#include "kernels/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace parley::kernels {
namespace {
thread_local bool t_inside_pool_range = false;
// Waiting threads first spin briefly with the CPU's pause hint (decode calls the pool hundreds of
// times per token, so the next job usually comes within microseconds), then yield, then sleep.
// The pause phase is kept short: on an appliance the engines share few cores, and a long spin
// while the thread we wait for is descheduled costs far more than it saves.
constexpr int kPauseIterations = 1000;  // roughly 10-40 us
constexpr int kYieldIterations = 200;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() holds or the spin budget runs out; returns done().
template <typename Done>
bool spin_until(Done done) {
  for (int i = 0; i < kPauseIterations; ++i) {
    if (done()) return true;
    cpu_relax();
  }
  for (int i = 0; i < kYieldIterations; ++i) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}
}  // namespace

int ThreadPool::default_thread_count() {
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(int thread_count) : thread_count_(thread_count) {
  if (thread_count < 1) throw std::invalid_argument("ThreadPool: thread_count must be >= 1");
  threads_.reserve(static_cast<size_t>(thread_count - 1));
  for (int w = 1; w < thread_count; ++w) threads_.emplace_back([this, w] { worker_loop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::work_on_current_job(int worker) {
  const bool was_inside = t_inside_pool_range;
  t_inside_pool_range = true;
  for (;;) {
    if (failed_.load(std::memory_order_relaxed)) break;
    const int64_t begin = next_chunk_.fetch_add(job_chunk_, std::memory_order_relaxed);
    if (begin >= job_n_) break;
    const int64_t end = std::min(job_n_, begin + job_chunk_);
    try {
      job_call_(job_ctx_, begin, end, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  t_inside_pool_range = was_inside;
}

void ThreadPool::worker_loop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    // Spin a little, then sleep until the generation moves.
    uint64_t current = seen;
    spin_until([&] { return (current = generation_.load(std::memory_order_acquire)) != seen; });
    if (current == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      current = generation_.load(std::memory_order_acquire);
    }
    seen = current;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    // Join the job unless its caller already stopped waiting for helpers (it ran every range
    // itself while this thread was waking up): then there is nothing left to do here.
    int joined = joined_.load(std::memory_order_acquire);
    bool member = false;
    while ((joined & kClosed) == 0) {
      if (joined_.compare_exchange_weak(joined, joined + 1, std::memory_order_acq_rel)) {
        member = true;
        break;
      }
    }
    if (!member) continue;
    work_on_current_job(worker);
    const int finished = finished_.fetch_add(1, std::memory_order_acq_rel) + 1;
    const int final_count = joined_.load(std::memory_order_acquire);
    if ((final_count & kClosed) != 0 && finished == (final_count & ~kClosed)) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::run(int64_t n, int64_t grain, void* ctx, Trampoline call) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (thread_count_ == 1 || t_inside_pool_range || n <= grain) {
    call(ctx, 0, n, 0);  // inline: a nested call, a single thread, or too little work
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  // About four chunks per thread balances noisy neighbours against per-chunk overhead.
  const int64_t chunk = std::max(grain, (n + thread_count_ * 4 - 1) / (thread_count_ * 4));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ctx_ = ctx;
    job_call_ = call;
    job_n_ = n;
    job_chunk_ = chunk;
    next_chunk_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    finished_.store(0, std::memory_order_relaxed);
    joined_.store(0, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  work_on_current_job(0);
  // Every range is taken. Close the job to late helpers — a worker still waking up must not
  // make this call wait for it (a small job would otherwise cost a thread wake-up) — and wait
  // for the ones that joined to finish their last ranges.
  const int joined = joined_.fetch_or(kClosed, std::memory_order_acq_rel) & ~kClosed;
  auto all_finished = [&] { return finished_.load(std::memory_order_acquire) == joined; };
  if (!spin_until(all_finished)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, all_finished);
  }
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace parley::kernels

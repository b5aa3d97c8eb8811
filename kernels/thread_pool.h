// ThreadPool: a fork-join pool owned by whoever runs work (a runtime context, an engine) and
// passed in — never a global.
//
//   ThreadPool pool(2);                              // the caller plus one worker thread
//   pool.parallel_for(rows, [&](int64_t begin, int64_t end, int worker) {
//     for (int64_t r = begin; r < end; ++r) y[r] = dot(w[r], x);   // worker < thread_count()
//   });
//
// Contract: the ranges handed out are disjoint and cover [0, n) exactly once; `worker` is stable
// for the duration of one call and may index per-worker scratch. parallel_for blocks until every
// range is done and rethrows the first exception a range threw (remaining ranges are skipped).
// A parallel_for called from inside a range runs inline on that thread. One parallel_for at a
// time per pool: concurrent callers are serialised. A worker that wakes only after the caller
// has taken every range does not join, and the caller does not wait for it: a small job never
// costs a thread wake-up (streaming graphs run thousands of them per chunk).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace parley::kernels {

class ThreadPool {
 public:
  // thread_count >= 1 threads take part in each call, the calling thread included.
  explicit ThreadPool(int thread_count);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int thread_count() const { return thread_count_; }

  // fn(int64_t begin, int64_t end, int worker). `grain` is the smallest range worth a thread.
  template <typename Fn>
  void parallel_for(int64_t n, Fn&& fn, int64_t grain = 1) {
    using F = std::remove_reference_t<Fn>;
    run(n, grain, const_cast<void*>(static_cast<const void*>(&fn)),
        [](void* ctx, int64_t begin, int64_t end, int worker) {
          (*static_cast<F*>(ctx))(begin, end, worker);
        });
  }

  // Threads a machine offers (hardware_concurrency, at least 1).
  static int default_thread_count();

 private:
  using Trampoline = void (*)(void*, int64_t, int64_t, int);
  void run(int64_t n, int64_t grain, void* ctx, Trampoline call);
  void worker_loop(int worker);
  void work_on_current_job(int worker);

  const int thread_count_;
  std::vector<std::thread> threads_;
  std::mutex call_mutex_;  // serialises callers

  // Current job; published under mutex_, then generation_ is bumped.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
  void* job_ctx_ = nullptr;
  Trampoline job_call_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_chunk_ = 1;
  std::atomic<int64_t> next_chunk_{0};
  // Workers that joined the current job, | kClosed once its caller took the last range and
  // stopped admitting helpers; finished_ counts the members that are done.
  static constexpr int kClosed = 1 << 30;
  std::atomic<int> joined_{kClosed};
  std::atomic<int> finished_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

}  // namespace parley::kernels

// MetricsRegistry — Prometheus counters, gauges and histograms, rendered in the text exposition
// format (version 0.0.4) for GET /metrics.
//
//   MetricsRegistry metrics;
//   metrics.counter("parley_http_requests_total", "HTTP requests", {{"route", "/health"},
//                   {"status", "200"}}).inc();
//   metrics.histogram("parley_chat_seconds", "Chat latency", kLatencyBucketsSeconds).observe(0.3);
//   std::string text = metrics.render();
//
// Contracts
//   * A family (name) has one kind and one help text; asking for it with another kind throws
//     parley::Error. Each distinct label set is one series; the returned reference stays valid
//     for the registry's lifetime, so hot paths may keep it.
//   * Names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label values are
//     escaped (\\, \", \n) when rendered. Histogram buckets are cumulative, end with +Inf, and
//     come with _sum and _count.
//   * Thread-safe: inc/set/observe are lock-free or take a per-series lock; lookups lock the
//     registry briefly.
//
// Families in use by `parley serve` (routes add theirs with the parley_ prefix):
//   parley_http_requests_total{route,method,status}, parley_http_request_seconds{route},
//   parley_chat_seconds, parley_chat_ttft_seconds, parley_chat_tokens_per_second,
//   parley_chat_tokens_total{kind=prompt|completion}, parley_queue_depth, parley_queue_busy,
//   parley_errors_total{kind}, parley_events_subscribers.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace parley::assistant::server {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

inline const std::vector<double> kLatencyBucketsSeconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10,  30};

class Counter {
 public:
  void inc(double amount = 1.0);  // amount >= 0
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // strictly increasing, finite
  void observe(double value);
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  Counter& counter(const std::string& name, const std::string& help,
                   const MetricLabels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& upper_bounds, const MetricLabels& labels = {});
  std::string render() const;

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, int kind);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

}  // namespace parley::assistant::server

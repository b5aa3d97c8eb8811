#include "assistant/server/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "kernels/error.h"

namespace parley::assistant::server {

namespace {

enum Kind { kCounter = 0, kGauge = 1, kHistogram = 2 };
const char* kKindNames[] = {"counter", "gauge", "histogram"};

bool valid_name(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  // Prefer the shortest form that reads back the same.
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[64];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return buffer;
}

// {a="x",b="y"} with an optional extra label (le for buckets); "" when there are none.
std::string render_labels(const MetricLabels& labels, const std::string& extra_name = {},
                          const std::string& extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

}  // namespace

void Counter::inc(double amount) {
  if (!(amount >= 0)) throw Error("Counter::inc: amount must be >= 0");
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void Gauge::add(double amount) {
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds) : upper_bounds_(std::move(upper_bounds)) {
  for (size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (!std::isfinite(upper_bounds_[i])) throw Error("Histogram: bucket bounds must be finite");
    if (i > 0 && upper_bounds_[i] <= upper_bounds_[i - 1])
      throw Error("Histogram: bucket bounds must increase strictly");
  }
  counts_.assign(upper_bounds_.size() + 1, 0);
}

void Histogram::observe(double value) {
  size_t bucket = 0;
  while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = upper_bounds_;
  std::lock_guard lock(mutex_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulative_counts.push_back(running);
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

struct MetricsRegistry::Family {
  std::string help;
  int kind;
  // Series by rendered label set, kept in insertion-independent (sorted) order.
  std::map<std::string, std::pair<MetricLabels, std::unique_ptr<Counter>>> counters;
  std::map<std::string, std::pair<MetricLabels, std::unique_ptr<Gauge>>> gauges;
  std::map<std::string, std::pair<MetricLabels, std::unique_ptr<Histogram>>> histograms;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help,
                                                 int kind) {
  if (!valid_name(name, true)) throw Error("metrics: invalid metric name '" + name + "'");
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->help = help;
    family->kind = kind;
    it = families_.emplace(name, std::move(family)).first;
  } else if (it->second->kind != kind) {
    throw Error("metrics: '" + name + "' is a " + kKindNames[it->second->kind] + ", not a " +
                kKindNames[kind]);
  }
  return *it->second;
}

namespace {
void check_labels(const std::string& name, const MetricLabels& labels) {
  for (const auto& [label, value] : labels)
    if (!valid_name(label, false) || label == "le")
      throw Error("metrics: invalid label name '" + label + "' on " + name);
}
}  // namespace

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const MetricLabels& labels) {
  check_labels(name, labels);
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, kCounter);
  auto& slot = f.counters[render_labels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Counter>()};
  return *slot.second;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const MetricLabels& labels) {
  check_labels(name, labels);
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, kGauge);
  auto& slot = f.gauges[render_labels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Gauge>()};
  return *slot.second;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::vector<double>& upper_bounds,
                                      const MetricLabels& labels) {
  check_labels(name, labels);
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, kHistogram);
  auto& slot = f.histograms[render_labels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Histogram>(upper_bounds)};
  return *slot.second;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << ' ' << escape_help(family->help) << '\n';
    out << "# TYPE " << name << ' ' << kKindNames[family->kind] << '\n';
    for (const auto& [key, series] : family->counters)
      out << name << key << ' ' << format_number(series.second->value()) << '\n';
    for (const auto& [key, series] : family->gauges)
      out << name << key << ' ' << format_number(series.second->value()) << '\n';
    for (const auto& [key, series] : family->histograms) {
      const Histogram::Snapshot s = series.second->snapshot();
      for (size_t i = 0; i < s.upper_bounds.size(); ++i)
        out << name << "_bucket"
            << render_labels(series.first, "le", format_number(s.upper_bounds[i])) << ' '
            << s.cumulative_counts[i] << '\n';
      out << name << "_bucket" << render_labels(series.first, "le", "+Inf") << ' '
          << s.cumulative_counts.back() << '\n';
      out << name << "_sum" << key << ' ' << format_number(s.sum) << '\n';
      out << name << "_count" << key << ' ' << s.count << '\n';
    }
  }
  return out.str();
}

}  // namespace parley::assistant::server

#pragma once
// Counters, gauges and histograms, and their exposition in Prometheus' text format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Threading: updating a metric (inc, set, observe) is a relaxed atomic operation and never
// takes a lock, so the writer and the I/O threads bump them freely. Registering and
// rendering take the registry's mutex; they happen at start and on a scrape.
//
// Cardinality: label sets are fixed when a metric is registered (a refusal cause, a
// severity, a listener); nothing is ever labelled per endpoint, agent or address.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posture::collector::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // not cumulative; last: above all
  std::atomic<double> sum_{0};
};

// Buckets for durations of milliseconds to seconds (a batch commit, a scrape).
std::vector<double> latencyBuckets();

enum class Type { Counter, Gauge, Histogram };

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each returns the metric of (name, labels), creating it on first use; the reference
  // stays valid as long as the registry. Throws std::invalid_argument on a name or label
  // that Prometheus would not accept, or a name registered with another type or help.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                       const Labels& labels = {});
  // A value read at each scrape from what already holds it (a connection count, a file
  // size); nullopt leaves the sample out of that scrape.
  void callback(Type type, const std::string& name, const std::string& help, const Labels& labels,
                std::function<std::optional<double>()> read);

  // Every family with at least one sample, in the order registered.
  std::string render() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<std::optional<double>()> read;
  };
  struct Family {
    std::string name, help;
    Type type;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series& series(Type type, const std::string& name, const std::string& help, const Labels& labels,
                 bool& created);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

// The text format's escaping: HELP text (backslash, newline) and label values (backslash,
// double quote, newline).
std::string escapeHelp(std::string_view text);
std::string escapeLabelValue(std::string_view text);
// A sample value: integers without a fraction, +Inf, -Inf, NaN, otherwise the shortest
// text that reads back as the same double.
std::string formatValue(double v);
bool validMetricName(std::string_view name);
bool validLabelName(std::string_view name);

}  // namespace posture::collector::metrics

#include "collector/metrics/registry.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace posture::collector::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;  // le: a value on a bound counts in it
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // The count is the buckets' total, so +Inf always equals _count within one scrape.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

bool validMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool validLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return name != "le";  // reserved for histogram buckets
}

std::string escapeHelp(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escapeLabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buffer[64];
  auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, r.ptr);
}

namespace {
const char* typeName(Type t) {
  switch (t) {
    case Type::Counter: return "counter";
    case Type::Gauge: return "gauge";
    case Type::Histogram: return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} with `extra` (le) last; empty when there is no label at all.
std::string labelText(const Labels& labels, const char* extraName = nullptr,
                      const std::string& extraValue = {}) {
  if (labels.empty() && !extraName) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escapeLabelValue(v) + "\"";
  }
  if (extraName) {
    if (!first) out += ',';
    out += std::string(extraName) + "=\"" + escapeLabelValue(extraValue) + "\"";
  }
  return out + "}";
}
}  // namespace

Registry::Series& Registry::series(Type type, const std::string& name, const std::string& help,
                                   const Labels& labels, bool& created) {
  if (!validMetricName(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
  for (const auto& [k, v] : labels) {
    if (!validLabelName(k)) throw std::invalid_argument("invalid label name '" + k + "' of " + name);
  }
  Family* family = nullptr;
  for (auto& f : families_) {
    if (f->name == name) family = f.get();
  }
  if (!family) {
    families_.push_back(std::make_unique<Family>(Family{name, help, type, {}}));
    family = families_.back().get();
  } else if (family->type != type || family->help != help) {
    throw std::invalid_argument("metric " + name + " registered twice with another type or help");
  }
  for (auto& s : family->series) {
    if (s->labels == labels) {
      created = false;
      return *s;
    }
  }
  family->series.push_back(std::make_unique<Series>());
  family->series.back()->labels = labels;
  created = true;
  return *family->series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  bool created = false;
  auto& s = series(Type::Counter, name, help, labels, created);
  if (created) s.counter = std::make_unique<Counter>();
  if (!s.counter) throw std::invalid_argument("metric " + name + " is read by a callback");
  return *s.counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  bool created = false;
  auto& s = series(Type::Gauge, name, help, labels, created);
  if (created) s.gauge = std::make_unique<Gauge>();
  if (!s.gauge) throw std::invalid_argument("metric " + name + " is read by a callback");
  return *s.gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds, const Labels& labels) {
  std::lock_guard lock(mutex_);
  bool created = false;
  auto& s = series(Type::Histogram, name, help, labels, created);
  if (created) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void Registry::callback(Type type, const std::string& name, const std::string& help,
                        const Labels& labels, std::function<std::optional<double>()> read) {
  if (type == Type::Histogram) throw std::invalid_argument("a histogram cannot be a callback");
  std::lock_guard lock(mutex_);
  bool created = false;
  auto& s = series(type, name, help, labels, created);
  if (!created && !s.read) throw std::invalid_argument("metric " + name + " is already a value");
  s.read = std::move(read);
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    std::string samples;
    for (const auto& s : f->series) {
      if (s->histogram) {
        auto snap = s->histogram->snapshot();
        const auto& bounds = s->histogram->bounds();
        for (std::size_t i = 0; i < bounds.size(); ++i) {
          samples += f->name + "_bucket" + labelText(s->labels, "le", formatValue(bounds[i])) + " " +
                     std::to_string(snap.cumulative[i]) + "\n";
        }
        samples += f->name + "_bucket" + labelText(s->labels, "le", "+Inf") + " " +
                   std::to_string(snap.count) + "\n";
        samples += f->name + "_sum" + labelText(s->labels) + " " + formatValue(snap.sum) + "\n";
        samples += f->name + "_count" + labelText(s->labels) + " " + std::to_string(snap.count) + "\n";
        continue;
      }
      std::string value;
      if (s->counter) {
        value = std::to_string(s->counter->value());
      } else if (s->gauge) {
        value = formatValue(s->gauge->value());
      } else if (s->read) {
        std::optional<double> v;
        try {
          v = s->read();
        } catch (const std::exception&) {
          v.reset();  // a source that failed this time is left out, not a failed scrape
        }
        if (!v) continue;
        value = formatValue(*v);
      } else {
        continue;
      }
      samples += f->name + labelText(s->labels) + " " + value + "\n";
    }
    if (samples.empty()) continue;
    out += "# HELP " + f->name + " " + escapeHelp(f->help) + "\n";
    out += "# TYPE " + f->name + " " + typeName(f->type) + "\n";
    out += samples;
  }
  return out;
}

}  // namespace posture::collector::metrics

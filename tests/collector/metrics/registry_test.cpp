// collector/metrics: the Prometheus text format 0.0.4 as the registry writes it (HELP and
// TYPE lines, escaping, histogram buckets cumulative with +Inf equal to _count, values),
// names checked at registration, and /proc/self/stat read as proc(5) lays it out.
#include "collector/metrics/registry.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "collector/metrics/instruments.h"
#include "collector/metrics/process.h"

using namespace posture::collector::metrics;

TEST_CASE("a counter and a gauge: HELP, TYPE and one sample each") {
  Registry r;
  r.counter("posture_x_total", "Things counted.").inc(3);
  r.gauge("posture_depth", "How deep.").set(2.5);
  CHECK(r.render() ==
        "# HELP posture_x_total Things counted.\n"
        "# TYPE posture_x_total counter\n"
        "posture_x_total 3\n"
        "# HELP posture_depth How deep.\n"
        "# TYPE posture_depth gauge\n"
        "posture_depth 2.5\n");
}

TEST_CASE("escaping: HELP escapes backslash and newline, label values also the double quote") {
  CHECK(escapeHelp("a\\b\nc\"d") == "a\\\\b\\nc\"d");
  CHECK(escapeLabelValue("a\\b\nc\"d") == "a\\\\b\\nc\\\"d");
  Registry r;
  r.counter("posture_refused_total", "Refused\nby cause \\ reason.", {{"cause", "say \"no\"\n"}}).inc();
  auto text = r.render();
  CHECK(text.find("# HELP posture_refused_total Refused\\nby cause \\\\ reason.\n") != std::string::npos);
  CHECK(text.find("posture_refused_total{cause=\"say \\\"no\\\"\\n\"} 1\n") != std::string::npos);
}

TEST_CASE("one family with several fixed label sets is written under one HELP and TYPE") {
  Registry r;
  r.counter("posture_refused_total", "R.", {{"cause", "revoked"}}).inc(2);
  r.counter("posture_refused_total", "R.", {{"cause", "malformed"}});
  // The same (name, labels) is the same counter.
  r.counter("posture_refused_total", "R.", {{"cause", "revoked"}}).inc();
  CHECK(r.render() ==
        "# HELP posture_refused_total R.\n"
        "# TYPE posture_refused_total counter\n"
        "posture_refused_total{cause=\"revoked\"} 3\n"
        "posture_refused_total{cause=\"malformed\"} 0\n");
}

TEST_CASE("a histogram: cumulative buckets, a value on a bound counts in it, +Inf equals _count") {
  Registry r;
  auto& h = r.histogram("posture_commit_seconds", "Commit time.", {0.25, 0.5, 1});
  // Binary fractions, so that the sum is exact.
  for (double v : {0.125, 0.25, 0.375, 0.75, 0.875, 30.0}) h.observe(v);
  CHECK(r.render() ==
        "# HELP posture_commit_seconds Commit time.\n"
        "# TYPE posture_commit_seconds histogram\n"
        "posture_commit_seconds_bucket{le=\"0.25\"} 2\n"
        "posture_commit_seconds_bucket{le=\"0.5\"} 3\n"
        "posture_commit_seconds_bucket{le=\"1\"} 5\n"
        "posture_commit_seconds_bucket{le=\"+Inf\"} 6\n"
        "posture_commit_seconds_sum 32.375\n"
        "posture_commit_seconds_count 6\n");
}

TEST_CASE("a histogram with labels puts le last; bounds must increase") {
  Registry r;
  r.histogram("posture_h_seconds", "H.", {1}, {{"listener", "agent"}}).observe(2);
  auto text = r.render();
  CHECK(text.find("posture_h_seconds_bucket{listener=\"agent\",le=\"1\"} 0\n") != std::string::npos);
  CHECK(text.find("posture_h_seconds_bucket{listener=\"agent\",le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(text.find("posture_h_seconds_count{listener=\"agent\"} 1\n") != std::string::npos);
  CHECK_THROWS_AS(Histogram({1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(Histogram({2, 1}), std::invalid_argument);
}

TEST_CASE("concurrent observations: the buckets' total always equals the count") {
  Histogram h(latencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.observe((i % 100) * 0.001 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  auto s = h.snapshot();
  CHECK(s.count == 40000);
  CHECK(s.cumulative.back() == 40000);
  for (std::size_t i = 1; i < s.cumulative.size(); ++i) CHECK(s.cumulative[i] >= s.cumulative[i - 1]);
}

TEST_CASE("values: integers plain, fractions shortest, infinities and NaN as Prometheus spells them") {
  CHECK(formatValue(0) == "0");
  CHECK(formatValue(12345678901) == "12345678901");
  CHECK(formatValue(-3) == "-3");
  CHECK(formatValue(0.1) == "0.1");
  CHECK(formatValue(1e300) == "1e+300");
  CHECK(formatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(formatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(formatValue(std::nan("")) == "NaN");
}

TEST_CASE("callbacks are read at each scrape; nullopt or a throw leaves the sample out") {
  Registry r;
  double v = 1;
  r.callback(Type::Gauge, "posture_read", "Read.", {}, [&v]() -> std::optional<double> { return v; });
  r.callback(Type::Gauge, "posture_absent", "Absent.", {}, []() -> std::optional<double> { return std::nullopt; });
  r.callback(Type::Gauge, "posture_broken", "Broken.", {},
             []() -> std::optional<double> { throw std::runtime_error("no"); });
  CHECK(r.render().find("posture_read 1\n") != std::string::npos);
  v = 7;
  auto text = r.render();
  CHECK(text.find("posture_read 7\n") != std::string::npos);
  // A family without any sample is not written at all (no HELP without samples).
  CHECK(text.find("posture_absent") == std::string::npos);
  CHECK(text.find("posture_broken") == std::string::npos);
}

TEST_CASE("names Prometheus would refuse, reserved labels and a second type are refused") {
  Registry r;
  CHECK_THROWS_AS(r.counter("1abc", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("posture-x", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("posture_x_total", "x", {{"le", "1"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("posture_x_total", "x", {{"__name", "1"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("posture_x_total", "x", {{"bad-label", "1"}}), std::invalid_argument);
  r.counter("posture_y_total", "y");
  CHECK_THROWS_AS(r.gauge("posture_y_total", "y"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("posture_y_total", "other help"), std::invalid_argument);
  CHECK(validMetricName("process_cpu_seconds_total"));
  CHECK(validMetricName("a:b_c"));
  CHECK_FALSE(validMetricName(""));
}

TEST_CASE("the collector's instruments: every refusal cause is there from the start, at 0") {
  auto text = instruments().registry.render();
  for (std::size_t i = 0; i < static_cast<std::size_t>(Refusal::kCount); ++i) {
    std::string label(refusalLabel(static_cast<Refusal>(i)));
    CHECK(text.find("posture_reports_refused_total{cause=\"" + label + "\"}") != std::string::npos);
  }
  CHECK(text.find("# TYPE posture_ingest_batch_commit_seconds histogram\n") != std::string::npos);
  CHECK(text.find("posture_ingest_batch_commit_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
}

TEST_CASE("/proc/PID/stat: fields after the last ')' even when the name holds spaces and parentheses") {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
  // stime cutime cstime priority nice threads itrealvalue starttime vsize rss ...
  std::string stat = "4242 (posture (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 "
                     "3 0 987654 123456789 2048 18446744073709551615";
  auto s = parseProcStat(stat);
  REQUIRE(s);
  CHECK(s->utimeTicks == 250);
  CHECK(s->stimeTicks == 75);
  CHECK(s->startTicks == 987654);
  CHECK(s->virtualBytes == 123456789);
  CHECK(s->residentPages == 2048);
  CHECK_FALSE(parseProcStat("no parenthesis here"));
  CHECK_FALSE(parseProcStat("1 (x) S 1 2"));
  CHECK_FALSE(parseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 75 0 0 20 0 3 0 9 9 9"));
}

TEST_CASE("process metrics of this very process: present and plausible") {
  Registry r;
  addProcessMetrics(r);
  auto text = r.render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_virtual_memory_bytes ", "process_open_fds ", "process_max_fds ",
                           "process_start_time_seconds "}) {
    auto at = text.find(std::string("\n") + name);
    REQUIRE_MESSAGE(at != std::string::npos, name);
    double v = std::stod(text.substr(at + 1 + std::string(name).size()));
    CHECK_MESSAGE(v >= 0, name);
  }
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}

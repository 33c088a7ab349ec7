// posture-retention-bench: what the retention (issue 18) costs and buys (prints figures).
//
//   posture-retention-bench --dir DIR [--endpoints 10000] [--days 30] [--batch 2048]
//                           [--writer-batch 256] [--writer-seconds 10] [--keep]
//
// N endpoints reporting hourly for D days (the fleet generator's bodies), written through
// the collector's storage code (openDatabase, ReportWriter, ingest's batch size) with past
// timestamps. Then, on that database:
//   * its size with no retention, and the as-of export (whole fleet, a day in the window);
//   * a writer alone (a second connection committing report batches through ReportWriter,
//     like the ingest writer): its rate and commit latencies;
//   * the pruner with the default retention and the clock 120 days after the first day, so
//     the D days are all older than 90 days (the steady state: one report per endpoint per
//     day), with the same writer running: the prune time, the writer's longest and p99
//     wait for the write lock (its stall: what the pruner's transactions cost it) and
//     commit, its rate; then the size after pruning and incremental vacuum,
//     and the as-of export again.
// DIR must not exist; it is deleted at the end unless --keep.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "collector/export/export.h"
#include "collector/policy/policy.h"
#include "collector/retention/pruner.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/time.h"
#include "tests/bench/fleet_baseline.h"
#include "tests/bench/fleet_generator.h"

using namespace posture;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double mib(const fs::path& dir) {
  std::uintmax_t n = 0;
  for (const char* f : {"posture.db", "posture.db-wal"}) {
    std::error_code ec;
    auto s = fs::file_size(dir / f, ec);
    if (!ec) n += s;
  }
  return static_cast<double>(n) / (1024.0 * 1024.0);
}

struct Fleet {
  bench::FleetGenerator gen;
  std::vector<bench::EndpointProfile> profiles;
  std::vector<std::string> ids;
  explicit Fleet(std::size_t n) : gen(7, {"BS-UBND", "BS-TCKH", "BS-TNMT", "BS-XA-BINHCHAU", "DC-UBND", "DC-XA-IA"}) {
    for (std::size_t i = 0; i < n; ++i) {
      profiles.push_back(gen.profile(i));
      ids.push_back(bench::baselineAgentId(7, i));
    }
  }
  collector::ReportRecord record(std::size_t i, std::uint64_t seq, std::int64_t at) const {
    collector::ReportRecord r;
    r.agentId = ids[i];
    r.unitCode = profiles[i].unitCode;
    r.hostname = profiles[i].hostname;
    r.sequence = seq;
    r.collectedAt = at;
    r.body = gen.report(profiles[i], ids[i], seq, at).SerializeAsString();
    return r;
  }
};

struct WriterFigures {
  std::uint64_t rows = 0;
  double seconds = 0;
  std::vector<double> commitsMs;  // BEGIN IMMEDIATE to COMMIT done: the lock wait included
  std::vector<double> waitsMs;    // BEGIN IMMEDIATE alone: the wait for the write lock
  double percentile(double p) const { return percentileOf(commitsMs, p); }
  double waitPercentile(double p) const { return percentileOf(waitsMs, p); }
  static double percentileOf(const std::vector<double>& ms, double p) {
    if (ms.empty()) return 0;
    auto v = ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  }
};

// Commits batches of new reports (sequences after the history, received at `at`) until
// `stop`, on its own connection, as the ingest writer does.
WriterFigures runWriter(const fs::path& dir, const Fleet& fleet, std::size_t batchSize,
                        std::uint64_t& nextSeq, std::int64_t at, const std::atomic<bool>& stop) {
  auto conn = collector::openDatabase(dir);
  collector::ReportWriter writer(*conn);
  WriterFigures w;
  auto start = Clock::now();
  std::size_t endpoint = 0;
  std::vector<collector::ReportRecord> batch;
  while (!stop.load()) {
    batch.clear();
    for (std::size_t k = 0; k < batchSize; ++k) {
      batch.push_back(fleet.record(endpoint, nextSeq, at));
      if (++endpoint == fleet.ids.size()) {
        endpoint = 0;
        ++nextSeq;
      }
    }
    auto t = Clock::now();
    {
      db::Transaction tx(*conn);
      w.waitsMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
      for (const auto& r : batch) writer.insert(r, at);
      tx.commit();
    }
    w.commitsMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    w.rows += batch.size();
  }
  w.seconds = secondsSince(start);
  return w;
}

void printWriter(const char* what, const WriterFigures& w) {
  std::printf("%s: %.0f rows/s (%llu rows in %.1f s), commit of a batch p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
              "wait for the write lock p99 %.1f ms, max %.1f ms\n",
              what, static_cast<double>(w.rows) / std::max(w.seconds, 1e-9),
              static_cast<unsigned long long>(w.rows), w.seconds, w.percentile(0.5), w.percentile(0.99),
              w.percentile(1.0), w.waitPercentile(0.99), w.waitPercentile(1.0));
}

double timeAsOf(db::Connection& db, const std::shared_ptr<const std::vector<policy::Policy>>& policies,
                std::int64_t day, std::int64_t now, std::size_t& rows) {
  collector::ExportFilters f;
  f.asOfDay = day;
  auto t = Clock::now();
  auto list = collector::buildComplianceExport(db, policies, f, "bench", now);
  rows = list.endpoints.size();
  return secondsSince(t);
}

int run(const std::vector<std::string>& argv) {
  util::Args a(argv, {"dir", "endpoints", "days", "batch", "writer-batch", "writer-seconds", "policies"},
               {"keep"});
  fs::path dir = a.require("dir");
  auto endpoints = static_cast<std::size_t>(a.number("endpoints", 10000, 1, 1000000));
  auto days = a.number("days", 30, 1, 400);
  auto batch = static_cast<std::size_t>(a.number("batch", 2048, 1, 100000));
  auto writerBatch = static_cast<std::size_t>(a.number("writer-batch", 256, 1, 100000));
  auto writerSeconds = a.number("writer-seconds", 10, 1, 3600);
  auto policies = std::make_shared<const std::vector<policy::Policy>>(policy::loadPolicyDirectory(
      a.getOr("policies", std::string(POSTURE_SOURCE_DIR) + "/policies")));
  if (fs::exists(dir)) throw util::ArgsError(dir.string() + " already exists; give a fresh --dir");

  Fleet fleet(endpoints);
  // The first day: a Vietnam midnight well in the past; the pruner's now is 120 days on.
  std::int64_t firstDay = util::vietnamDay(util::unixNow()) - 200;
  std::int64_t t0 = collector::retention::startOfVietnamDay(firstDay);
  std::int64_t pruneNow = t0 + 120 * util::kSecondsPerDay;
  std::printf("posture-retention-bench: %zu endpoints hourly for %lld days = %llu reports, batches of %zu\n",
              endpoints, days, static_cast<unsigned long long>(endpoints * static_cast<std::size_t>(days) * 24),
              batch);

  // 1. The history, written in time order.
  {
    auto conn = collector::openDatabase(dir);
    collector::ReportWriter writer(*conn);
    std::vector<collector::ReportRecord> rows;
    auto start = Clock::now();
    double sqlSeconds = 0;
    std::uint64_t written = 0;
    auto flush = [&](std::int64_t at) {
      auto t = Clock::now();
      db::Transaction tx(*conn);
      for (const auto& r : rows) writer.insert(r, at);
      tx.commit();
      sqlSeconds += secondsSince(t);
      written += rows.size();
      rows.clear();
    };
    for (std::int64_t h = 0; h < days * 24; ++h) {
      std::int64_t at = t0 + h * util::kSecondsPerHour;
      for (std::size_t i = 0; i < endpoints; ++i) {
        rows.push_back(fleet.record(i, static_cast<std::uint64_t>(h + 1), at + static_cast<std::int64_t>(i % 3000)));
        if (rows.size() == batch) flush(at + 3000);
      }
      if (h % 24 == 23) {
        std::fprintf(stderr, "  day %lld of %lld written (%.0f s)\n", static_cast<long long>((h + 1) / 24), days,
                     secondsSince(start));
      }
    }
    if (!rows.empty()) flush(t0 + days * 24 * util::kSecondsPerHour);
    conn->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::printf("written: %llu reports in %.0f s (SQLite %.0f s: %.0f rows/s)\n",
                static_cast<unsigned long long>(written), secondsSince(start), sqlSeconds,
                static_cast<double>(written) / std::max(sqlSeconds, 1e-9));
  }
  std::printf("database size, no retention: %.1f MiB\n", mib(dir));

  std::int64_t asOfDay = firstDay + days / 2;
  {
    auto conn = collector::openDatabase(dir);
    std::size_t rows = 0;
    double s = timeAsOf(*conn, policies, asOfDay, pruneNow, rows);
    std::printf("as-of export of %s, no retention: %zu endpoints in %.2f s\n", util::formatDate(asOfDay).c_str(),
                rows, s);
  }

  // 2. The writer alone.
  std::uint64_t nextSeq = static_cast<std::uint64_t>(days * 24 + 1);
  std::int64_t liveAt = pruneNow - util::kSecondsPerHour;
  WriterFigures alone;
  {
    std::atomic<bool> stop{false};
    std::thread w([&] { alone = runWriter(dir, fleet, writerBatch, nextSeq, liveAt, stop); });
    std::this_thread::sleep_for(std::chrono::seconds(writerSeconds));
    stop = true;
    w.join();
  }
  printWriter("writer alone", alone);

  // 3. The pruner with the default retention, the writer running.
  collector::retention::Settings settings;  // 90d, 2y, 2y
  collector::retention::PassCounts pass;
  WriterFigures during;
  double pruneSeconds = 0;
  {
    // The writer runs for the first --writer-seconds of the pass (or all of it, if shorter):
    // its rows would otherwise outweigh the history in the size after pruning.
    std::atomic<bool> stop{false}, pruned{false};
    std::thread w([&] { during = runWriter(dir, fleet, writerBatch, nextSeq, liveAt, stop); });
    std::thread timer([&] {
      auto until = Clock::now() + std::chrono::seconds(writerSeconds);
      while (!pruned.load() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      stop = true;
    });
    auto conn = collector::retention::openPrunerConnection(dir);
    collector::retention::recordSettings(*conn, settings, pruneNow);
    collector::retention::Pruner pruner(settings, [pruneNow] { return pruneNow; });
    auto start = Clock::now();
    pass = pruner.runOnce(*conn);
    pruneSeconds = secondsSince(start);
    pruned = true;
    timer.join();
    w.join();
    conn->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  std::printf("prune pass (default retention, now = first day + 120 days): %.1f s\n  %s\n", pruneSeconds,
              pass.line().c_str());
  printWriter("writer while pruning (the first seconds of the pass)", during);
  // The stall the pruner causes is the writer's wait for the lock; a batch's commit also
  // holds its own inserts and fsync, which the writer alone shows.
  std::printf("longest writer stall while pruning (wait for the write lock): %.1f ms (p99 %.1f ms); "
              "ingest rate %.0f%% of the writer alone\n",
              during.waitPercentile(1.0), during.waitPercentile(0.99),
              100.0 * (static_cast<double>(during.rows) / std::max(during.seconds, 1e-9)) /
                  std::max(static_cast<double>(alone.rows) / std::max(alone.seconds, 1e-9), 1e-9));
  std::printf("database size after pruning and incremental vacuum: %.1f MiB (with the writer's %llu new reports)\n",
              mib(dir), static_cast<unsigned long long>(alone.rows + during.rows));
  {
    auto conn = collector::openDatabase(dir);
    std::size_t rows = 0;
    double s = timeAsOf(*conn, policies, asOfDay, pruneNow, rows);
    std::printf("as-of export of %s after pruning: %zu endpoints in %.2f s\n", util::formatDate(asOfDay).c_str(),
                rows, s);
    if (rows != endpoints) {
      std::fprintf(stderr, "posture-retention-bench: the as-of export lists %zu endpoints, expected %zu\n", rows,
                   endpoints);
      return 1;
    }
  }
  if (!a.flag("keep")) fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<util::Command> commands = {{{"run"}, run}};
  std::vector<std::string> args(argv, argv + argc);
  args.insert(args.begin() + 1, "run");
  std::vector<char*> p;
  for (auto& s : args) p.push_back(s.data());
  return util::runCommands("posture-retention-bench", "  posture-retention-bench --dir DIR [--endpoints 10000] "
                           "[--days 30] [--batch 2048] [--writer-batch 256] [--writer-seconds 10] [--keep]\n",
                           static_cast<int>(p.size()), p.data(), commands);
}

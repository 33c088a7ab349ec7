#pragma once
// The retention pass (retention.h says what is kept), on its own thread and its own
// database connection, never on the ingest writer's. Every step is a short transaction
// (at most `sliceBudget` of work and its commit, then a `pause`), so the writer, waiting
// in the connection's busy handler (common/db: it polls every millisecond), takes the lock
// between two slices: it never waits much more than one slice.
//
// Reports are walked by id (ids grow with arrival, so received_at grows with them):
//   * expiry: from the lowest id, those received before the daily cut are deleted, except
//     each endpoint's latest (endpoints.report_id, checked by agent id: the pruner's
//     connection runs without foreign-key checks, which would scan `endpoints` per row);
//   * thinning: from retention_state.thinned_to, those received before the raw cut that
//     another report of the same endpoint and Vietnam day outranks (a higher sequence)
//     are deleted; thinned_to moves on, so a day is thinned once.
// Then audit_log, alert_events, alert_group_events already delivered (id <= the delivery
// outbox's position), compliance_history and federated_endpoint_days before their cuts;
// enrolment tokens used up or expired for more than a day. Sessions are the console's
// housekeeping's (collector/console/housekeeping.h). Last, `PRAGMA incremental_vacuum` in
// slices gives the free pages back (databases created with auto_vacuum=INCREMENTAL).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "collector/retention/retention.h"
#include "common/db/sqlite.h"

namespace posture::collector::retention {

struct PassCounts {
  std::int64_t reportsExpired = 0;   // older than the daily retention
  std::int64_t reportsThinned = 0;   // not the last of their endpoint's day
  std::int64_t auditRows = 0, alertEvents = 0, groupEvents = 0;
  std::int64_t historyDays = 0;      // compliance_history and federated_endpoint_days rows
  std::int64_t tokens = 0;
  std::int64_t pagesFreed = 0;       // given back by incremental_vacuum
  int slices = 0;                    // transactions taken
  double longestSliceMs = 0;         // the longest of them (the writer's worst wait)
  std::string longestSliceIn;        // its phase: expiry, thinning, a table, incremental vacuum
  double seconds = 0;
  std::string line() const;          // the pass's log line
};

struct PrunerOptions {
  std::chrono::milliseconds sliceBudget{8};   // work per transaction
  std::chrono::milliseconds pause{12};        // between two transactions
  int rowsPerSlice = 200;                     // at most, per transaction
  int vacuumPagesPerSlice = 256;              // at most; fewer while a slice overruns
};

class Pruner {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix seconds; tests inject their own
  Pruner(Settings settings, Clock clock = {}, PrunerOptions options = {});

  // One pass now, on the caller's connection (opened with openPrunerConnection).
  PassCounts runOnce(db::Connection& db);
  // A stop request (another thread) ends a pass between two slices.
  void requestStop();

 private:
  bool stopping() const;
  void pause();
  template <typename Step>
  void slices(db::Connection& db, PassCounts& c, const char* phase, Step step);
  std::int64_t expire(db::Connection& db, std::int64_t cut, PassCounts& c);
  std::int64_t thin(db::Connection& db, std::int64_t rawCut, PassCounts& c);
  // `sql` deletes at most ?2 rows of `table` (named in the pass's figures) older than ?1.
  std::int64_t deleteOld(db::Connection& db, const std::string& sql, const std::string& table,
                         std::int64_t cut, PassCounts& c);

  Settings settings_;
  Clock clock_;
  PrunerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  friend class PrunerThread;
};

// The pruner's own connection: the collector's database, foreign-key checks off.
std::unique_ptr<db::Connection> openPrunerConnection(const std::filesystem::path& dataDir);

// serve's pruning thread: a first pass after `firstDelay`, then every pruneEvery.
class PrunerThread {
 public:
  PrunerThread(std::filesystem::path dataDir, Settings settings,
               std::chrono::milliseconds firstDelay = std::chrono::seconds(60),
               Pruner::Clock clock = {});
  ~PrunerThread();  // stop()
  void stop();
  std::uint64_t passes() const;

 private:
  void loop();
  std::filesystem::path dataDir_;
  std::chrono::milliseconds firstDelay_;
  Pruner pruner_;
  std::uint64_t passes_ = 0;
  std::thread thread_;
};

}  // namespace posture::collector::retention

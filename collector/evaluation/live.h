#pragma once
// The live evaluation: the fleet model the collector keeps current while it serves, and the
// alerts it raises and clears. It runs on the writer thread only (collector/ingest/), called
// at two points:
//   - onReports(): after each committed batch, with the reports that were new (decoded once
//     at ingest, and handed on as they are);
//   - tick(): every evaluation interval, for the stale sweep, the periodic full evaluation
//     and whatever changed outside the writer (organization, links, exceptions).
// What changes the model is announced, not searched for: new policies come through the
// policy provider (a new set is a new pointer), and organization changes through storage's
// change counters, which the CLI and the console move in the same transaction as the change.
//
// Alert changes are written in the writer's transaction after the model moved. If writing
// fails (a full disk, a busy database) they are kept, the latest per (rule, subject), and
// written again at the next tick; nothing raised or cleared is lost. After every successful
// write `afterAlertsWritten` runs (delivery reads the new alert events right away).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerts/alerts.h"
#include "collector/evaluation/model.h"
#include "collector/evaluation/stale.h"
#include "collector/policy/policy.h"
#include "common/util/time.h"
#include "collector/storage/storage.h"
#include "common/db/sqlite.h"

namespace posture::collector {

using PolicySet = std::shared_ptr<const std::vector<policy::Policy>>;

struct LiveOptions {
  std::int64_t staleAfterSeconds = kDefaultStaleAfterSeconds;
  std::chrono::seconds fullEvaluateEvery{util::kSecondsPerHour};  // ages grow with time
  // A failed full evaluation is retried, but not on every tick: at 100,000 endpoints one
  // takes seconds.
  std::chrono::seconds rebuildRetry{5};
  // The policies in force; a different pointer means a new set (a reload).
  std::function<PolicySet()> policies;
  // Unix time; tests pin it.
  std::function<std::int64_t()> now;
  // After alert changes were written (writer thread, outside any transaction).
  std::function<void(db::Connection&)> afterAlertsWritten;
  // Threads of a full evaluation; 0: every core (the writer waits for it).
  unsigned rebuildThreads = 0;
};

class LiveEvaluation {
 public:
  explicit LiveEvaluation(LiveOptions options);

  // Writer thread: reports that were new in the batch committed at committedAt.
  void onReports(db::Connection& db, const std::vector<const ReportRecord*>& records,
                 std::int64_t committedAt);
  // Writer thread: rows a child collector's push upserted or removed (issue 16), read
  // back from federated_endpoints and moved into the model one by one, as onReports()
  // does with reports; `organization`: its layer verdicts or systems changed too (the
  // organization is read again and its targets evaluated, not every endpoint). A push that
  // changed units announces an organization change instead: the next tick evaluates all.
  void onFederated(db::Connection& db, const std::string& childId,
                   const std::vector<std::string>& agentIds, bool organization,
                   std::int64_t committedAt);
  // Writer thread: the periodic step (see the top of this file).
  void tick(db::Connection& db);

  // Any thread. Moves whenever the model's figures or the alerts it raised may have changed:
  // the console's cached overview is current while it holds still.
  std::uint64_t generation() const { return generation_.load(); }
  // The model (null before the first full evaluation). Writer thread only: the console
  // reads it inside an Ingest job.
  const FleetModel* model() const { return model_.get(); }
  // Alert changes waiting to be written again (0 when the alert table is current).
  std::size_t pendingAlertChanges() const { return pending_.size(); }
  // Figures for the metrics, any thread: kept as the writer moves the model (-1 before
  // the first full evaluation), so a scrape never waits for the writer.
  std::int64_t endpointCount() const { return endpoints_.load(std::memory_order_relaxed); }
  std::int64_t staleCount() const { return stale_.load(std::memory_order_relaxed); }
  // How long the last full evaluation took, in seconds (-1 before the first).
  double lastFullSeconds() const { return lastFullSeconds_.load(std::memory_order_relaxed); }

 private:
  void rebuild(db::Connection& db);
  void writeAlerts(db::Connection& db, const char* what, AlertDelta delta, std::int64_t now,
                   std::size_t endpoints);
  void flushAlerts(db::Connection& db, const char* what, std::int64_t now,
                   std::size_t endpoints);
  bool needsRebuild(db::Connection& db) const;

  LiveOptions options_;
  std::unique_ptr<FleetModel> model_;
  PolicySet modelPolicies_;
  std::int64_t organizationSeen_ = 0;  // storage's change counter the model was built at
  std::string linksSeen_;  // the links' health the model was built with (org::Links::signature)
  // The active exceptions the model was built with (ExceptionSet::signature): one recorded,
  // revoked or expired (end of its day, UTC+7) makes the next tick evaluate everything.
  std::string exceptionsSeen_;
  std::chrono::steady_clock::time_point lastRebuild_, lastRebuildAttempt_;
  std::map<std::pair<std::string, std::string>, std::optional<WantedAlert>> pending_;
  bool alertsBehind_ = false;  // a full evaluation's alerts are not all written
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<std::int64_t> endpoints_{-1}, stale_{-1};
  std::atomic<double> lastFullSeconds_{-1};
  void publishFigures();
};

}  // namespace posture::collector

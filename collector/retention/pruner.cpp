#include "collector/retention/pruner.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::collector::retention {
namespace {
using Steady = std::chrono::steady_clock;

struct Row {
  std::int64_t id, receivedAt, sequence;
  std::string agentId;
  bool latest;
};

// The next reports by id after `after`, each with whether it is its endpoint's latest.
std::vector<Row> nextReports(db::Connection& db, std::int64_t after, int limit) {
  auto st = db.prepare(
      "SELECT r.id, r.received_at, r.sequence, r.agent_id, coalesce(e.report_id = r.id, 0) "
      "FROM reports r LEFT JOIN endpoints e ON e.agent_id = r.agent_id "
      "WHERE r.id > ?1 ORDER BY r.id LIMIT ?2");
  st.bind(1, after).bind(2, limit);
  std::vector<Row> rows;
  while (st.step()) {
    rows.push_back({st.getInt(0), st.getInt(1), st.getInt(2), st.getText(3), st.getInt(4) != 0});
  }
  return rows;
}

std::int64_t scalar(db::Connection& db, const std::string& sql) {
  auto st = db.prepare(sql);
  return st.step() ? st.getInt(0) : 0;
}

}  // namespace

std::string PassCounts::line() const {
  std::ostringstream s;
  s << "retention: " << reportsExpired << " report(s) past the daily retention and " << reportsThinned
    << " beyond one per endpoint per day deleted; " << auditRows << " audit row(s), " << alertEvents
    << " alert event(s), " << groupEvents << " alert group event(s), " << historyDays
    << " daily history row(s), " << tokens << " enrolment token(s) deleted; " << pagesFreed
    << " page(s) given back; " << slices << " transaction(s), the longest "
    << static_cast<int>(longestSliceMs + 0.5) << " ms" << (longestSliceIn.empty() ? "" : " (" + longestSliceIn + ")")
    << "; " << static_cast<int>(seconds * 1000 + 0.5)
    << " ms in all";
  return s.str();
}

std::unique_ptr<db::Connection> openPrunerConnection(const std::filesystem::path& dataDir) {
  auto db = openDatabase(dataDir);
  // endpoints.report_id REFERENCES reports(id) has no index on the child side: with the
  // checks on, each deleted report would scan `endpoints`. The pruner checks it itself.
  db->exec("PRAGMA foreign_keys=OFF");
  db->exec("PRAGMA wal_autocheckpoint=0");  // checkpoints between slices (Pruner::slices)
  // No fsync while holding the write lock: a deletion lost to a power cut is done again at
  // the next pass (WAL stays consistent); the writer's next commit (synchronous=FULL)
  // makes these frames durable anyway.
  db->exec("PRAGMA synchronous=NORMAL");
  return db;
}

Pruner::Pruner(Settings settings, Clock clock, PrunerOptions options)
    : settings_(settings), clock_(clock ? std::move(clock) : Clock(util::unixNow)), options_(options) {}

void Pruner::requestStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

bool Pruner::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void Pruner::pause() {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, options_.pause, [&] { return stopping_; });
}

// Runs step(deadline) in one transaction after another until it returns false (done) or
// a stop is requested, pausing between them so the writer gets the lock.
template <typename Step>
void Pruner::slices(db::Connection& db, PassCounts& c, const char* phase, Step step) {
  for (;;) {
    bool more;
    double ms;
    {
      db::Transaction tx(db);  // BEGIN IMMEDIATE: may wait for the writer's commit first
      auto start = Steady::now();
      more = step(start + options_.sliceBudget);
      tx.commit();
      ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    }
    ++c.slices;
    if (ms > c.longestSliceMs) {
      c.longestSliceMs = ms;
      c.longestSliceIn = phase;
    }
    // The WAL is copied back here, outside any transaction (the connection's own automatic
    // checkpoint is off): a checkpoint holds no write lock, so the writer goes on meanwhile.
    if (c.slices % 32 == 0) db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    if (!more || stopping()) {
      db.exec("PRAGMA wal_checkpoint(PASSIVE)");
      return;
    }
    pause();
  }
}

std::int64_t Pruner::expire(db::Connection& db, std::int64_t cut, PassCounts& c) {
  std::int64_t deleted = 0, after = 0;
  auto del = db.prepare("DELETE FROM reports WHERE id = ?");
  auto mark = db.prepare("UPDATE retention_state SET pruned_before = max(pruned_before, ?) WHERE id = 1");
  slices(db, c, "expiry", [&](Steady::time_point deadline) {
    auto rows = nextReports(db, after, options_.rowsPerSlice);
    bool more = !rows.empty();
    std::int64_t before = deleted;
    for (const auto& r : rows) {
      // Past the cut by a day: the rest is newer (a clock stepped back a little is tolerated).
      if (r.receivedAt >= cut + util::kSecondsPerDay) {
        more = false;
        break;
      }
      after = r.id;
      if (r.receivedAt < cut && !r.latest) {
        del.reset();
        del.bind(1, r.id).run();
        ++deleted;
      }
      if (Steady::now() >= deadline) break;
    }
    if (deleted > before) {
      mark.reset();
      mark.bind(1, cut).run();
    }
    return more;
  });
  return deleted;
}

std::int64_t Pruner::thin(db::Connection& db, std::int64_t rawCut, PassCounts& c) {
  std::int64_t deleted = 0;
  std::int64_t cursor = scalar(db, "SELECT thinned_to FROM retention_state WHERE id = 1");
  auto outranked = db.prepare(
      "SELECT 1 FROM reports INDEXED BY reports_agent_received WHERE agent_id = ?1 AND received_at >= ?2 AND received_at < ?3 "
      "AND sequence > ?4 LIMIT 1");
  auto del = db.prepare("DELETE FROM reports WHERE id = ?");
  auto save = db.prepare("UPDATE retention_state SET thinned_to = ? WHERE id = 1");
  slices(db, c, "thinning", [&](Steady::time_point deadline) {
    auto rows = nextReports(db, cursor, options_.rowsPerSlice);
    bool more = !rows.empty();
    for (const auto& r : rows) {
      // Days from the raw cut on are whole; a day is thinned once it is older.
      if (r.receivedAt >= rawCut) {
        more = false;
        break;
      }
      cursor = r.id;
      if (!r.latest) {
        std::int64_t day = util::vietnamDay(r.receivedAt);
        outranked.reset();
        outranked.bind(1, r.agentId)
            .bind(2, startOfVietnamDay(day))
            .bind(3, startOfVietnamDay(day + 1))
            .bind(4, r.sequence);
        bool drop = outranked.step();
        outranked.reset();
        if (drop) {
          del.reset();
          del.bind(1, r.id).run();
          ++deleted;
        }
      }
      if (Steady::now() >= deadline) break;
    }
    save.reset();
    save.bind(1, cursor).run();
    return more;
  });
  return deleted;
}

// `sql` deletes at most ?2 rows older than ?1; run until it deletes fewer.
std::int64_t Pruner::deleteOld(db::Connection& db, const std::string& sql, const std::string& table,
                               std::int64_t cut, PassCounts& c) {
  std::int64_t deleted = 0;
  auto st = db.prepare(sql);
  slices(db, c, table.c_str(), [&](Steady::time_point) {
    st.reset();
    st.bind(1, cut).bind(2, options_.rowsPerSlice).run();
    int n = db.changes();
    deleted += n;
    return n >= options_.rowsPerSlice;
  });
  return deleted;
}

PassCounts Pruner::runOnce(db::Connection& db) {
  auto start = Steady::now();
  std::int64_t now = clock_();
  Cuts cuts = cutsAt(settings_, now);
  PassCounts c;
  if (cuts.dailyCut) c.reportsExpired = expire(db, *cuts.dailyCut, c);
  if (cuts.rawCut && !stopping()) c.reportsThinned = thin(db, *cuts.rawCut, c);
  if (cuts.eventsCut && !stopping()) {
    c.auditRows = deleteOld(
        db, "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ?1 ORDER BY id LIMIT ?2)",
        "audit_log", *cuts.eventsCut, c);
    c.alertEvents = deleteOld(
        db, "DELETE FROM alert_events WHERE rowid IN (SELECT rowid FROM alert_events WHERE at < ?1 "
            "ORDER BY rowid LIMIT ?2)",
        "alert_events", *cuts.eventsCut, c);
    // Delivery reads alert_group_events after its position: an undelivered one stays.
    c.groupEvents = deleteOld(
        db, "DELETE FROM alert_group_events WHERE id IN (SELECT id FROM alert_group_events WHERE at < ?1 "
            "AND id <= (SELECT coalesce(max(last_event), 0) FROM delivery_outbox) ORDER BY id LIMIT ?2)",
        "alert_group_events", *cuts.eventsCut, c);
  }
  if (cuts.dailyCut && !stopping()) {
    std::int64_t day = util::vietnamDay(*cuts.dailyCut);
    c.historyDays += deleteOld(
        db, "DELETE FROM compliance_history WHERE (unit_code, policy_id, target_id, day) IN (SELECT "
            "unit_code, policy_id, target_id, day FROM compliance_history WHERE day < ?1 LIMIT ?2)",
        "compliance_history", day, c);
    c.historyDays += deleteOld(
        db, "DELETE FROM federated_endpoint_days WHERE (child_id, agent_id, day) IN (SELECT child_id, "
            "agent_id, day FROM federated_endpoint_days WHERE day < ?1 LIMIT ?2)",
        "federated_endpoint_days", day, c);
  }
  if (!stopping()) {
    // Used up or expired for more than a day (a day's grace: `token list` still shows why
    // an enrolment was just refused).
    c.tokens = deleteOld(
        db, "DELETE FROM enrolment_tokens WHERE token_sha256 IN (SELECT token_sha256 FROM "
            "enrolment_tokens WHERE (uses_left = 0 AND created_at < ?1) OR expires_at < ?1 LIMIT ?2)",
        "enrolment_tokens", now - util::kSecondsPerDay, c);
  }
  if (!stopping() && scalar(db, "PRAGMA auto_vacuum") == 2) {
    // Moving a page costs more in a larger file (its parent and pointer-map pages too): the
    // pages per slice halve when a slice overruns the budget, and double back when cheap.
    int pages = options_.vacuumPagesPerSlice;
    slices(db, c, "incremental vacuum", [&](Steady::time_point deadline) {
      std::int64_t free = scalar(db, "PRAGMA freelist_count");
      if (free == 0) return false;
      int asked = pages;
      db.exec("PRAGMA incremental_vacuum(" + std::to_string(asked) + ")");
      c.pagesFreed += free - scalar(db, "PRAGMA freelist_count");
      auto now = Steady::now();
      if (now > deadline) {
        pages = std::max(16, pages / 2);
      } else if (deadline - now > options_.sliceBudget / 2) {
        pages = std::min(options_.vacuumPagesPerSlice, pages * 2);
      }
      return free > asked;
    });
  }
  c.seconds = std::chrono::duration<double>(Steady::now() - start).count();
  return c;
}

PrunerThread::PrunerThread(std::filesystem::path dataDir, Settings settings,
                           std::chrono::milliseconds firstDelay, Pruner::Clock clock)
    : dataDir_(std::move(dataDir)),
      firstDelay_(firstDelay),
      pruner_(settings, std::move(clock)),
      thread_([this] { loop(); }) {}

PrunerThread::~PrunerThread() { stop(); }

void PrunerThread::stop() {
  pruner_.requestStop();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t PrunerThread::passes() const {
  std::lock_guard lock(pruner_.mutex_);
  return passes_;
}

void PrunerThread::loop() {
  std::unique_ptr<db::Connection> db;
  try {
    db = openPrunerConnection(dataDir_);
    // What the offline CLI checks an as-of day against (retention.h).
    recordSettings(*db, pruner_.settings_, pruner_.clock_());
    log::info("retention: ", describe(pruner_.settings_), "; pruning every ",
              pruner_.settings_.pruneEverySeconds, " s");
  } catch (const std::exception& e) {
    log::error("retention: could not record the retention in force (retried at each pass): ", e.what());
    db.reset();
  }
  auto wait = firstDelay_;
  for (;;) {
    {
      std::unique_lock lock(pruner_.mutex_);
      pruner_.wake_.wait_for(lock, wait, [&] { return pruner_.stopping_; });
      if (pruner_.stopping_) return;
    }
    wait = std::chrono::seconds(pruner_.settings_.pruneEverySeconds);
    try {
      if (!db) {
        db = openPrunerConnection(dataDir_);
        recordSettings(*db, pruner_.settings_, pruner_.clock_());
      }
      log::info(pruner_.runOnce(*db).line());
    } catch (const std::exception& e) {
      // Each slice committed on its own: what was done stays done.
      log::error("retention pass failed (retried at the next one): ", e.what());
      db.reset();
    }
    std::lock_guard lock(pruner_.mutex_);
    ++passes_;
  }
}

}  // namespace posture::collector::retention

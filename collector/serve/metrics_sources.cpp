#include "collector/serve/metrics_sources.h"

#include "common/db/sqlite.h"

namespace posture::collector {

std::optional<StoredFigures::Figures> StoredFigures::read() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (cached_ && now - readAt_ < maxAge_) return cached_;
  try {
    db::Connection db(database_, db::Connection::Mode::ReadOnly);
    db.exec("PRAGMA busy_timeout = 250");
    Figures f;
    // alerts_status index; a few thousand open alerts at most in a district.
    auto st = db.prepare("SELECT severity, count(*) FROM alerts WHERE status != 'resolved' "
                         "GROUP BY severity");
    while (st.step()) f.openAlerts[st.getText(0)] = st.getInt(1);
    auto backlog = db.prepare(
        "SELECT count(*) FROM alert_group_events WHERE id > "
        "(SELECT coalesce(max(last_event), 0) FROM delivery_outbox)");
    if (backlog.step()) f.undelivered = backlog.getInt(0);
    cached_ = f;
    readAt_ = now;
  } catch (const std::exception&) {
    cached_.reset();
    readAt_ = now;
  }
  return cached_;
}

std::optional<std::string> Readiness::notReady() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (!checked_ || now - checkedAt_ >= std::chrono::seconds(1)) {
    cached_ = check();
    checkedAt_ = now;
    checked_ = true;
  }
  return cached_;
}

std::optional<std::string> Readiness::check() {
  if (sources_.policyCount && sources_.policyCount() == 0) return std::string("no policies are loaded");
  if (sources_.writerError) {
    if (auto e = sources_.writerError()) return "the writer's last commit failed: " + *e;
  }
  try {
    db::Connection db(sources_.database);
    db.exec("PRAGMA busy_timeout = 250");
    db.exec("BEGIN IMMEDIATE");
    try {
      // A real write into the page cache (never committed): a read-only file or
      // directory fails here, a lock held elsewhere at BEGIN IMMEDIATE.
      db.exec("CREATE TABLE main.readyz_probe(x)");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
    db.exec("ROLLBACK");
  } catch (const std::exception& e) {
    return std::string("the database is not writable: ") + e.what();
  }
  return std::nullopt;
}

std::int64_t databaseBytes(const std::filesystem::path& database) {
  std::int64_t total = 0;
  for (const auto& p : {database, std::filesystem::path(database.string() + "-wal")}) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    if (!ec) total += static_cast<std::int64_t>(n);
  }
  return total;
}

}  // namespace posture::collector

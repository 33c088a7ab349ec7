#include "agent/spool.h"

#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::agent {
namespace {
const std::vector<std::string_view> kMigrations = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('last_sequence', 0);
-- kind 'state': a full snapshot, superseded by any later one, so dropped first when full.
CREATE TABLE queue(
  sequence INTEGER PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'state',
  created_at INTEGER NOT NULL,
  body BLOB NOT NULL);
)sql",
};
}  // namespace

Spool::Spool(const std::filesystem::path& stateDir, SpoolLimits limits) : limits_(limits) {
  std::filesystem::create_directories(stateDir);
  db_ = std::make_unique<db::Connection>(stateDir / "spool.db");
  db_->migrate(kMigrations);
}

std::uint64_t Spool::reserveSequence() {
  db_->exec("UPDATE meta SET value = value + 1 WHERE key = 'last_sequence'");
  auto st = db_->prepare("SELECT value FROM meta WHERE key = 'last_sequence'");
  st.step();
  return static_cast<std::uint64_t>(st.getInt(0));
}

void Spool::insert(std::uint64_t sequence, const std::string& body) {
  db_->prepare("INSERT INTO queue(sequence, created_at, body) VALUES (?, ?, ?)")
      .bind(1, static_cast<std::int64_t>(sequence))
      .bind(2, util::unixNow())
      .bindBlob(3, body)
      .run();
}

void Spool::insert(const Row& row) {
  db_->prepare("INSERT INTO queue(sequence, kind, created_at, body) VALUES (?, ?, ?, ?)")
      .bind(1, static_cast<std::int64_t>(row.sequence))
      .bind(2, row.kind)
      .bind(3, row.createdAt)
      .bindBlob(4, row.body)
      .run();
}

std::vector<Spool::Row> Spool::takeAll() {
  std::vector<Row> rows;
  auto st = db_->prepare("SELECT sequence, kind, created_at, body FROM queue ORDER BY sequence");
  while (st.step()) {
    rows.push_back(Row{static_cast<std::uint64_t>(st.getInt(0)), st.getText(1), st.getInt(2), st.getBlob(3)});
  }
  db_->exec("DELETE FROM queue");
  return rows;
}

void Spool::raiseCounter(std::uint64_t atLeast) {
  db_->prepare("UPDATE meta SET value = max(value, ?) WHERE key = 'last_sequence'")
      .bind(1, static_cast<std::int64_t>(atLeast))
      .run();
}

void Spool::compact() {
  // Oldest state reports go first; the newest report always stays, whatever its size.
  for (;;) {
    std::size_t n = size(), b = bytes();
    if ((n <= limits_.maxReports && b <= limits_.maxBytes) || n <= 1) return;
    auto st = db_->prepare(
        "SELECT sequence FROM queue WHERE kind = 'state' ORDER BY sequence LIMIT 1");
    if (!st.step()) return;
    std::int64_t victim = st.getInt(0);
    db_->prepare("DELETE FROM queue WHERE sequence = ?").bind(1, victim).run();
    ++compacted_;
    log::warn("spool full (", n, " reports, ", b, " bytes): dropped the oldest state report ",
              victim);
  }
}

std::optional<SpooledReport> Spool::oldest() {
  auto st = db_->prepare("SELECT sequence, body FROM queue ORDER BY sequence LIMIT 1");
  if (!st.step()) return std::nullopt;
  return SpooledReport{static_cast<std::uint64_t>(st.getInt(0)), st.getBlob(1)};
}

void Spool::remove(std::uint64_t sequence) {
  db_->prepare("DELETE FROM queue WHERE sequence = ?")
      .bind(1, static_cast<std::int64_t>(sequence))
      .run();
}

std::size_t Spool::size() {
  auto st = db_->prepare("SELECT count(*) FROM queue");
  st.step();
  return static_cast<std::size_t>(st.getInt(0));
}

std::size_t Spool::bytes() {
  auto st = db_->prepare("SELECT coalesce(sum(length(body)), 0) FROM queue");
  st.step();
  return static_cast<std::size_t>(st.getInt(0));
}

}  // namespace posture::agent

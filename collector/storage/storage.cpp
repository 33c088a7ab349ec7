#include "collector/storage/storage.h"

#include <algorithm>
#include <tuple>

#include "collector/storage/endpoint_posture.h"
#include "collector/storage/migrations.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/time.h"

namespace posture::collector {

std::unique_ptr<db::Connection> openDatabase(const std::filesystem::path& dataDir) {
  // The directory holds the CA key, the database and the export signer: 0700 and files
  // 0600 whatever the caller's umask (SQLite gives its -wal and -shm files the database
  // file's mode).
  util::ensurePrivateDirectory(dataDir);
  util::ensurePrivateFile(dataDir / "posture.db");
  auto db = std::make_unique<db::Connection>(dataDir / "posture.db");
  // 64 MiB of page cache: the history's index and the latest-state table stay in memory.
  db->exec("PRAGMA cache_size=-65536");
  // Freed pages go back to the file system by `PRAGMA incremental_vacuum` (the pruner,
  // collector/retention/). A new database only: the connection is in WAL mode already,
  // where the setting takes with a VACUUM, instant while there is no table. An older
  // database keeps auto_vacuum=NONE (collector/README.md, Retention).
  {
    auto tables = db->prepare("SELECT count(*) FROM sqlite_master");
    bool empty = tables.step() && tables.getInt(0) == 0;
    tables.reset();
    if (empty) db->exec("PRAGMA auto_vacuum=INCREMENTAL; VACUUM");
  }
  db->migrate(migrations());
  // Rows stored before the posture columns existed (issue 17): filled once, here.
  fillMissingPosture(*db, util::unixNow());
  return db;
}

std::unique_ptr<db::Connection> openExistingDatabase(const std::filesystem::path& dataDir) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dataDir / "posture.db", ec)) {
    throw std::runtime_error("không có dữ liệu máy chủ thu thập trong " + dataDir.string() +
                             " (thiếu posture.db): kiểm tra --data-dir / no collector data in " +
                             dataDir.string() + " (posture.db is missing): check --data-dir");
  }
  return openDatabase(dataDir);
}

void insertToken(db::Connection& db, const std::string& token, const std::string& unitCode,
                 std::int64_t createdAt, std::int64_t expiresAt, int uses, IdentityKind kind) {
  db.prepare("INSERT INTO enrolment_tokens(token_sha256, unit_code, created_at, expires_at, uses_left, "
             "kind) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, crypto::sha256Hex(token))
      .bind(2, unitCode)
      .bind(3, createdAt)
      .bind(4, expiresAt)
      .bind(5, uses)
      .bind(6, identityKindName(kind))
      .run();
}

TokenCheck consumeToken(db::Connection& db, const std::string& token, std::int64_t now,
                        TokenInfo& out) {
  std::string hash = crypto::sha256Hex(token);
  auto st = db.prepare(
      "SELECT unit_code, expires_at, uses_left, revoked_at, kind FROM enrolment_tokens "
      "WHERE token_sha256 = ?");
  st.bind(1, hash);
  if (!st.step()) return TokenCheck::Unknown;
  out.unitCode = st.getText(0);
  out.kind = st.getText(4) == "collector" ? IdentityKind::Collector : IdentityKind::Agent;
  out.expiresAt = st.getInt(1);
  out.usesLeft = static_cast<int>(st.getInt(2));
  if (!st.isNull(3)) return TokenCheck::Revoked;
  if (out.usesLeft <= 0) return TokenCheck::UsedUp;
  if (now >= out.expiresAt) return TokenCheck::Expired;
  db.prepare("UPDATE enrolment_tokens SET uses_left = uses_left - 1 WHERE token_sha256 = ?")
      .bind(1, hash)
      .run();
  --out.usesLeft;
  return TokenCheck::Ok;
}

void insertAgent(db::Connection& db, const AgentRecord& a) {
  db.prepare("INSERT INTO agents(agent_id, unit_code, hostname, enrolled_at, cert_serial, "
             "cert_not_after, kind) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, a.agentId)
      .bind(2, a.unitCode)
      .bind(3, a.hostname)
      .bind(4, a.enrolledAt)
      .bind(5, a.certSerial)
      .bind(6, a.certNotAfter)
      .bind(7, identityKindName(a.kind))
      .run();
}

std::string_view identityKindName(IdentityKind kind) {
  return kind == IdentityKind::Collector ? "collector" : "agent";
}

std::optional<AgentRecord> findAgent(db::Connection& db, const std::string& agentId) {
  auto st = db.prepare(
      "SELECT agent_id, unit_code, hostname, cert_serial, enrolled_at, cert_not_after, "
      "revoked_at, previous_cert_serial, kind FROM agents WHERE agent_id = ?");
  st.bind(1, agentId);
  if (!st.step()) return std::nullopt;
  AgentRecord a{st.getText(0), st.getText(1), st.getText(2), st.getText(3), st.getInt(4),
                st.getInt(5), std::nullopt};
  if (!st.isNull(6)) a.revokedAt = st.getInt(6);
  if (!st.isNull(7)) a.previousCertSerial = st.getText(7);
  if (st.getText(8) == "collector") a.kind = IdentityKind::Collector;
  return a;
}

CertificateCheck checkCertificate(const std::string& presented, const std::string& current,
                                  const std::string& previous) {
  if (presented.empty()) return CertificateCheck::Superseded;
  if (presented == current) return CertificateCheck::Current;
  if (!previous.empty() && presented == previous) return CertificateCheck::Previous;
  return CertificateCheck::Superseded;
}

void announceChange(db::Connection& db, Change what) {
  db.prepare("UPDATE change_counters SET value = value + 1 WHERE name = ?")
      .bind(1, what == Change::Organization ? "organization" : "agents")
      .run();
}

ChangeCounters readChangeCounters(db::Connection& db) {
  ChangeCounters c;
  auto st = db.prepare("SELECT name, value FROM change_counters");
  while (st.step()) {
    (st.getText(0) == "organization" ? c.organization : c.agents) = st.getInt(1);
  }
  return c;
}

std::vector<StoredEndpoint> loadEndpoints(db::Connection& db) {
  std::vector<StoredEndpoint> out;
  auto st = db.prepare(
      "SELECT e.agent_id, e.unit_code, e.hostname, e.last_sequence, e.last_seen, "
      "e.collected_at, r.body FROM endpoints e JOIN reports r ON r.id = e.report_id");
  while (st.step()) {
    out.push_back({st.getText(0), st.getText(1), st.getText(2),
                   static_cast<std::uint64_t>(st.getInt(3)), st.getInt(4), st.getInt(5),
                   st.getBlob(6), {}});
  }
  // The rows children pushed (collector/federation/): evaluated from their facts.
  auto fed = db.prepare(
      "SELECT agent_id, unit_code, hostname, last_seen, facts_at, facts, child_id "
      "FROM federated_endpoints");
  while (fed.step()) {
    out.push_back({fed.getText(0), fed.getText(1), fed.getText(2), 0, fed.getInt(3), fed.getInt(4),
                   {}, fed.getBlob(5), fed.getText(6)});
  }
  // Sorted here rather than by SQLite, whose sorter would copy every report body.
  std::sort(out.begin(), out.end(), [](const StoredEndpoint& a, const StoredEndpoint& b) {
    return std::tie(a.unitCode, a.hostname, a.agentId) < std::tie(b.unitCode, b.hostname, b.agentId);
  });
  return out;
}

namespace {

// "os, av_product, ..." (kPostureColumns).
std::string postureColumns() {
  std::string out;
  for (const char* c : kPostureColumns) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// ", os = excluded.os, ...": a newer report moves the posture columns with the rest of the
// row, in the same statement (none of them is indexed, so this costs no index write).
std::string postureUpdates() {
  std::string out;
  for (const char* c : kPostureColumns) out += std::string(", ") + c + " = excluded." + c;
  return out;
}


}  // namespace

ReportWriter::ReportWriter(db::Connection& db)
    : db_(db),
      agent_(db.prepare(
          "SELECT revoked_at IS NOT NULL, cert_serial, coalesce(previous_cert_serial, '') "
          "FROM agents WHERE agent_id = ?")),
      retire_(db.prepare(
          "UPDATE agents SET previous_cert_serial = NULL WHERE agent_id = ? AND cert_serial = ?")),
      stored_(db.prepare("SELECT body FROM reports WHERE agent_id = ? AND sequence = ?")),
      last_(db.prepare("SELECT max(sequence) FROM reports WHERE agent_id = ?")),
      insert_(db.prepare(
          "INSERT OR IGNORE INTO reports(agent_id, sequence, received_at, collected_at, body) "
          "VALUES (?, ?, ?, ?, ?)")),
      upsert_(db.prepare(
          "INSERT INTO endpoints(agent_id, unit_code, hostname, last_sequence, last_seen, "
          "collected_at, report_id, " + postureColumns() + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
          "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
          "ON CONFLICT(agent_id) DO UPDATE SET unit_code = excluded.unit_code, "
          "hostname = excluded.hostname, last_sequence = excluded.last_sequence, "
          "last_seen = excluded.last_seen, collected_at = excluded.collected_at, "
          "report_id = excluded.report_id" + postureUpdates() + " "
          // A late resend of an older report joins the history but not the latest state.
          "WHERE excluded.last_sequence > endpoints.last_sequence")) {}

ReportWriter::~ReportWriter() = default;

ReportWriter::Admission ReportWriter::admit(const ReportRecord& r) {
  if (r.certSerial.empty()) return Admission::Accepted;  // stored by our own tools, not an agent
  agent_.reset();
  agent_.bind(1, r.agentId);
  if (!agent_.step()) {
    agent_.reset();
    return Admission::UnknownAgent;
  }
  bool revoked = agent_.getInt(0) != 0;
  std::string current = agent_.getText(1), previous = agent_.getText(2);
  // Reset at once: a statement left on a row keeps a read snapshot open, and the next
  // write transaction would then fail with "database is locked".
  agent_.reset();
  if (revoked) return Admission::Revoked;
  switch (checkCertificate(r.certSerial, current, previous)) {
    case CertificateCheck::Superseded:
      return Admission::Superseded;
    case CertificateCheck::Current:
      if (!previous.empty()) {
        // The renewed certificate is in use: the one before it is retired for good.
        retire_.reset();
        retire_.bind(1, r.agentId).bind(2, r.certSerial).run();
      }
      return Admission::Accepted;
    case CertificateCheck::Previous:
      break;
  }
  return Admission::Accepted;
}

std::optional<std::uint64_t> ReportWriter::conflict(const ReportRecord& r) {
  stored_.reset();
  stored_.bind(1, r.agentId).bind(2, static_cast<std::int64_t>(r.sequence));
  bool same = !stored_.step() || stored_.getBlob(0) == r.body;
  stored_.reset();
  if (same) return std::nullopt;
  last_.reset();
  last_.bind(1, r.agentId);
  last_.step();
  auto last = static_cast<std::uint64_t>(last_.getInt(0));
  last_.reset();
  return last;
}

bool ReportWriter::insert(const ReportRecord& r, std::int64_t receivedAt) {
  insert_.reset();
  insert_.bind(1, r.agentId)
      .bind(2, static_cast<std::int64_t>(r.sequence))
      .bind(3, receivedAt)
      .bind(4, r.collectedAt)
      .bindBlob(5, r.body)
      .run();
  if (db_.changes() == 0) return false;
  upsert_.reset();
  upsert_.bind(1, r.agentId)
      .bind(2, r.unitCode)
      .bind(3, r.hostname)
      .bind(4, static_cast<std::int64_t>(r.sequence))
      .bind(5, receivedAt)
      .bind(6, r.collectedAt)
      .bind(7, db_.lastInsertRowid());
  // The list's posture columns (issue 17), from the report ingest already decoded.
  const EndpointPosture posture = r.decoded ? postureOf(*r.decoded, receivedAt) : postureOfBody(r.body, receivedAt);
  bindPosture(upsert_, 8, posture);
  upsert_.run();
  return true;
}

}  // namespace posture::collector

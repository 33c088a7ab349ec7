#include "collector/storage/storage.h"

#include <algorithm>
#include <tuple>

#include "common/crypto/crypto.h"
#include "common/util/files.h"

namespace posture::collector {

namespace {
// Numbered migrations, applied in order at start; never edit a released one.
const std::vector<std::string_view> kMigrations = {
    R"sql(
CREATE TABLE enrolment_tokens(
  token_sha256 TEXT PRIMARY KEY,
  unit_code TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  uses_left INTEGER NOT NULL CHECK (uses_left >= 0));
CREATE TABLE agents(
  agent_id TEXT PRIMARY KEY,
  unit_code TEXT NOT NULL,
  hostname TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  cert_serial TEXT NOT NULL,
  cert_not_after INTEGER NOT NULL,
  revoked_at INTEGER);
-- Every report as received: the history. Appended in arrival order (rowid), so a batch
-- fills fresh pages instead of touching one page per agent.
CREATE TABLE reports(
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  body BLOB NOT NULL,
  UNIQUE (agent_id, sequence));
-- The latest report of each endpoint: what the evaluator reads. It points into the
-- history rather than holding a second copy of the body.
CREATE TABLE endpoints(
  agent_id TEXT PRIMARY KEY,
  unit_code TEXT NOT NULL,
  hostname TEXT NOT NULL,
  last_sequence INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  report_id INTEGER NOT NULL REFERENCES reports(id)) WITHOUT ROWID;
CREATE INDEX endpoints_unit ON endpoints(unit_code);
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  unit_code TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  title_vi TEXT NOT NULL,
  title_en TEXT NOT NULL,
  detail TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  resolved_at INTEGER,
  UNIQUE (rule, subject));
CREATE INDEX alerts_status ON alerts(status);
CREATE TABLE alert_events(
  alert_id INTEGER NOT NULL REFERENCES alerts(id),
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  detail TEXT NOT NULL);
)sql",
    // 2: the audit log; alerts gain the acknowledged state, an assignee and who acted.
    R"sql(
CREATE TABLE audit_log(
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  before TEXT NOT NULL,
  after TEXT NOT NULL);
CREATE INDEX audit_log_object ON audit_log(object);
CREATE TABLE alerts_v2(
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  unit_code TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  title_vi TEXT NOT NULL,
  title_en TEXT NOT NULL,
  detail TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  resolved_at INTEGER,
  assignee TEXT NOT NULL DEFAULT '',
  UNIQUE (rule, subject));
INSERT INTO alerts_v2(id, rule, subject, unit_code, severity, status, title_vi, title_en, detail,
                      first_seen, last_seen, resolved_at)
  SELECT id, rule, subject, unit_code, severity, status, title_vi, title_en, detail,
         first_seen, last_seen, resolved_at FROM alerts;
-- The child table is rebuilt too, so no foreign key ever points at a dropped table; the
-- renames carry its reference from alerts_v2 over to alerts.
CREATE TABLE alert_events_v2(
  alert_id INTEGER NOT NULL REFERENCES alerts_v2(id),
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  detail TEXT NOT NULL,
  actor TEXT NOT NULL DEFAULT 'posture');
INSERT INTO alert_events_v2(rowid, alert_id, at, event, detail)
  SELECT rowid, alert_id, at, event, detail FROM alert_events;
DROP TABLE alert_events;
DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;
ALTER TABLE alert_events_v2 RENAME TO alert_events;
CREATE INDEX alerts_status ON alerts(status);
CREATE INDEX alerts_unit ON alerts(unit_code);
CREATE INDEX alert_events_alert ON alert_events(alert_id);
)sql",
    // 3: compliance per unit per target per day (Vietnam days), the last evaluation of the
    // day wins; unit_code '' is the whole fleet.
    R"sql(
CREATE TABLE compliance_history(
  day INTEGER NOT NULL,
  unit_code TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  satisfied INTEGER NOT NULL,
  total INTEGER NOT NULL,
  status TEXT NOT NULL,
  threshold REAL,
  PRIMARY KEY (unit_code, policy_id, target_id, day)) WITHOUT ROWID;
CREATE INDEX compliance_history_day ON compliance_history(day);
)sql",
    // 4: how far alert delivery has read alert_events (collector/alerts/outbox.h).
    R"sql(
CREATE TABLE delivery_outbox(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_event INTEGER NOT NULL);
)sql",
    // 5: the organization model (collector/org/): units, four-layer records, systems.
    R"sql(
CREATE TABLE org_units(
  code TEXT PRIMARY KEY,
  parent TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('province', 'district', 'commune', 'department')),
  name_vi TEXT NOT NULL,
  name_en TEXT NOT NULL DEFAULT '');
CREATE TABLE org_layers(
  unit_code TEXT NOT NULL REFERENCES org_units(code),
  layer INTEGER NOT NULL CHECK (layer BETWEEN 1 AND 4),
  reference TEXT NOT NULL,
  document TEXT NOT NULL,
  date INTEGER,
  valid_until INTEGER,
  period_months INTEGER NOT NULL,
  recorded_by TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (unit_code, layer));
CREATE TABLE org_systems(
  code TEXT PRIMARY KEY,
  unit_code TEXT NOT NULL REFERENCES org_units(code),
  name_vi TEXT NOT NULL,
  name_en TEXT NOT NULL,
  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
  shared INTEGER NOT NULL,
  dossier_decision TEXT NOT NULL,
  dossier_day INTEGER,
  plan_day INTEGER,
  assessment_day INTEGER,
  assessor TEXT NOT NULL,
  assessment_period_months INTEGER NOT NULL);
)sql",
    // 6: enrolment tokens can be revoked.
    R"sql(
ALTER TABLE enrolment_tokens ADD COLUMN revoked_at INTEGER;
)sql",
    // 7: console users, login throttling and sessions (collector/auth/). A session row
    // holds only the SHA-256 of the browser's token.
    R"sql(
CREATE TABLE users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'soc', 'auditor')),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL,
  disabled_at INTEGER,
  last_login_at INTEGER,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  last_failed_at INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0);
-- Failures by client IP ('ip:ADDR') and by names that are not users ('name:NAME').
CREATE TABLE login_throttle(
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sessions(
  id_sha256 TEXT PRIMARY KEY,
  user TEXT NOT NULL REFERENCES users(name),
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL);
CREATE INDEX sessions_user ON sessions(user);
)sql",
    // 8: the console's overview counts open alerts and stale endpoints per unit on every
    // request; covering indexes answer both without reading the rows (100,000 endpoints,
    // 440,000 alerts: tests/bench/console_bench.cpp).
    R"sql(
CREATE INDEX alerts_status_unit ON alerts(status, unit_code);
CREATE INDEX endpoints_unit_seen ON endpoints(unit_code, last_seen);
)sql",
    // 9: the console's endpoint list. Its order (unit, hostname, agent) straight from an
    // index, so a page reads only its own rows; each row's open-alert count by subject
    // from a covering index instead of a scan of every open alert (37 s a page with
    // 100,000 endpoints and 440,000 alerts before this). endpoints_unit is a prefix of the
    // new order index.
    R"sql(
CREATE INDEX endpoints_order ON endpoints(unit_code, hostname, agent_id);
DROP INDEX IF EXISTS endpoints_unit;
CREATE INDEX alerts_subject ON alerts(subject, status, rule);
)sql",
    // 10: an agent's previous certificate, accepted only until its renewed one is first
    // used (crash-safe renewal); and counters that the CLI and the console move in the
    // same transaction as an organization or agent change, so the serving collector
    // notices without scanning the audit log.
    R"sql(
ALTER TABLE agents ADD COLUMN previous_cert_serial TEXT;
CREATE TABLE change_counters(
  name TEXT PRIMARY KEY CHECK (name IN ('organization', 'agents')),
  value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO change_counters(name, value) VALUES ('organization', 0), ('agents', 0);
)sql",
    // 11: login throttling moved to memory, per (name, source group) (collector/auth/
    // login_throttle.h): a failed login no longer writes to the database, so its table and
    // the per-user counters go.
    R"sql(
DROP TABLE login_throttle;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN last_failed_at;
ALTER TABLE users DROP COLUMN locked_until;
)sql",
    // 12: federation (collector/federation/). A child's durable outbox toward its parent
    // (upstream_*), and a parent's mounted children with their rows (federat*).
    R"sql(
CREATE TABLE upstream_state(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL,
  next_sequence INTEGER NOT NULL,
  acked_sequence INTEGER NOT NULL,
  snapshot_through INTEGER,
  snapshot_acked INTEGER NOT NULL);
CREATE TABLE upstream_sent(
  key TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  removal BLOB NOT NULL,
  rank INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE upstream_outbox(
  sequence INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  change BLOB NOT NULL);
CREATE TABLE federation_children(
  child_id TEXT PRIMARY KEY,
  mount_unit TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  epoch INTEGER NOT NULL DEFAULT 0,
  last_sequence INTEGER NOT NULL DEFAULT 0,
  snapshot_through INTEGER NOT NULL DEFAULT 0,
  last_push_at INTEGER,
  interval_seconds INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '',
  revoked_at INTEGER);
CREATE TABLE federated_units(
  code TEXT PRIMARY KEY,
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  parent TEXT NOT NULL,
  name_vi TEXT NOT NULL,
  name_en TEXT NOT NULL,
  kind TEXT NOT NULL);
CREATE INDEX federated_units_child ON federated_units(child_id);
CREATE TABLE federated_endpoints(
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  agent_id TEXT NOT NULL,
  unit_code TEXT NOT NULL,
  hostname TEXT NOT NULL,
  os TEXT NOT NULL,
  facts BLOB NOT NULL,
  checks BLOB NOT NULL,
  facts_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  stale INTEGER NOT NULL,
  PRIMARY KEY (child_id, agent_id)) WITHOUT ROWID;
CREATE INDEX federated_endpoints_unit ON federated_endpoints(child_id, unit_code);
CREATE TABLE federated_targets(
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  unit_code TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  satisfied INTEGER NOT NULL,
  total INTEGER NOT NULL,
  status TEXT NOT NULL,
  threshold REAL,
  PRIMARY KEY (child_id, unit_code, policy_id, target_id)) WITHOUT ROWID;
CREATE TABLE federated_layers(
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  unit_code TEXT NOT NULL,
  layer INTEGER NOT NULL CHECK (layer BETWEEN 1 AND 4),
  pass INTEGER NOT NULL,
  evidence_vi TEXT NOT NULL,
  evidence_en TEXT NOT NULL,
  reference TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (child_id, unit_code, layer)) WITHOUT ROWID;
CREATE TABLE federated_systems(
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  code TEXT NOT NULL,
  unit_code TEXT NOT NULL,
  name_vi TEXT NOT NULL,
  name_en TEXT NOT NULL,
  level INTEGER NOT NULL,
  shared INTEGER NOT NULL,
  dossier_day INTEGER,
  plan_day INTEGER,
  assessment_day INTEGER,
  PRIMARY KEY (child_id, code)) WITHOUT ROWID;
CREATE TABLE federated_alert_counts(
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  unit_code TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  open INTEGER NOT NULL,
  acknowledged INTEGER NOT NULL,
  PRIMARY KEY (child_id, unit_code, rule, severity)) WITHOUT ROWID;
)sql",
    // 13: child collectors (issue 16): a token may enrol the collector of a lower tier (a
    // district under its province) instead of an agent. Its identity is an agents row of
    // kind 'collector': it authenticates like an agent, pushes to the federation endpoint
    // and never sends reports.
    R"sql(
ALTER TABLE enrolment_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent'
  CHECK (kind IN ('agent', 'collector'));
ALTER TABLE agents ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent'
  CHECK (kind IN ('agent', 'collector'));
)sql",
    // 14: link health (issue 16). A child records each round with its upstream (layer 4's
    // telemetry: the last push the upstream committed); a parent records the last refused
    // push of each child, which raises an alert until a push is accepted again.
    R"sql(
CREATE TABLE upstream_link(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  upstream TEXT NOT NULL,
  identity TEXT NOT NULL,
  mount_unit TEXT NOT NULL,
  interval_seconds INTEGER NOT NULL,
  last_ack_at INTEGER,
  last_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '');
ALTER TABLE federation_children ADD COLUMN refused_code TEXT;
ALTER TABLE federation_children ADD COLUMN refused_vi TEXT;
ALTER TABLE federation_children ADD COLUMN refused_en TEXT;
ALTER TABLE federation_children ADD COLUMN refused_at INTEGER;
-- The province's endpoint list in its order (unit, host, agent, source): no sort per page.
CREATE INDEX federated_endpoints_order ON federated_endpoints(unit_code, hostname, agent_id, child_id);
-- The children's endpoint rows day by day, for exports as of a date (federation/history.h).
CREATE TABLE federated_endpoint_days(
  child_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  unit_code TEXT NOT NULL,
  hostname TEXT NOT NULL,
  facts BLOB NOT NULL,
  facts_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  removed INTEGER NOT NULL,
  PRIMARY KEY (child_id, agent_id, day)) WITHOUT ROWID;
)sql",
    // 15: the national tier (issue 16): a summary child pushes each unit's own 2290 counts
    // (FederatedReport2290) in place of endpoint rows; the parent's 2290 report rolls them
    // up with the machines it counts from rows.
    R"sql(
CREATE TABLE federated_report_2290(
  child_id TEXT NOT NULL REFERENCES federation_children(child_id),
  unit_code TEXT NOT NULL,
  machines INTEGER NOT NULL,
  auto_protect INTEGER NOT NULL,
  enable_firewall INTEGER NOT NULL,
  not_updated INTEGER NOT NULL,
  not_updated_report_too_old INTEGER NOT NULL,
  not_updated_no_anti_malware INTEGER NOT NULL,
  not_updated_signature_age_unknown INTEGER NOT NULL,
  not_updated_signatures_too_old INTEGER NOT NULL,
  stale INTEGER NOT NULL,
  operating_systems BLOB NOT NULL,
  PRIMARY KEY (child_id, unit_code)) WITHOUT ROWID;
)sql",
};
}  // namespace

std::unique_ptr<db::Connection> openDatabase(const std::filesystem::path& dataDir) {
  // The directory holds the CA key, the database and the export signer: 0700 and files
  // 0600 whatever the caller's umask (SQLite gives its -wal and -shm files the database
  // file's mode).
  util::ensurePrivateDirectory(dataDir);
  util::ensurePrivateFile(dataDir / "posture.db");
  auto db = std::make_unique<db::Connection>(dataDir / "posture.db");
  // 64 MiB of page cache: the history's index and the latest-state table stay in memory.
  db->exec("PRAGMA cache_size=-65536");
  db->migrate(kMigrations);
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
          "collected_at, report_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT(agent_id) DO UPDATE SET unit_code = excluded.unit_code, "
          "hostname = excluded.hostname, last_sequence = excluded.last_sequence, "
          "last_seen = excluded.last_seen, collected_at = excluded.collected_at, "
          "report_id = excluded.report_id "
          // A late resend of an older report joins the history but not the latest state.
          "WHERE excluded.last_sequence > endpoints.last_sequence")) {}

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
      .bind(7, db_.lastInsertRowid())
      .run();
  return true;
}

}  // namespace posture::collector

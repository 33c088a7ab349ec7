// The schema of the collector's database: numbered migrations, applied in order at start
// (db::Connection::migrate; the version is the position in this list). Never edit a
// released one; add the next.
#include "collector/storage/migrations.h"

namespace posture::collector {

const std::vector<std::string_view>& migrations() {
  static const std::vector<std::string_view> kMigrations = {
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
    // issue 17, routed notifications: each unit's own contacts (collector/alerts/contacts.h).
    // A notice goes to the contacts of its unit and of every ancestor unit.
    R"sql(
CREATE TABLE unit_contacts(
  id INTEGER PRIMARY KEY,
  unit_code TEXT NOT NULL REFERENCES org_units(code),
  kind TEXT NOT NULL CHECK (kind IN ('webhook', 'syslog', 'email')),
  address TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  UNIQUE (unit_code, kind, address));
)sql",
    // issue 17, grouped alerts: the alerts of one rule in one unit form a group
    // (collector/alerts/groups.h). alert_groups keeps each group's member counts in step with
    // alerts through triggers, in the same transaction, so the grouped list reads groups,
    // not members. alert_group_events are the group transitions, the outbox of delivery
    // from now on (one notice per group transition, not per member): its position restarts.
    R"sql(
CREATE TABLE alert_groups(
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  unit_code TEXT NOT NULL,
  severity TEXT NOT NULL,
  title_vi TEXT NOT NULL,
  title_en TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 0,
  acknowledged INTEGER NOT NULL DEFAULT 0,
  members INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  assignee TEXT NOT NULL DEFAULT '',
  acknowledged_at INTEGER,
  UNIQUE (rule, unit_code));
CREATE INDEX alert_groups_unit ON alert_groups(unit_code);
CREATE INDEX alerts_group ON alerts(rule, unit_code, status);
INSERT INTO alert_groups(rule, unit_code, severity, title_vi, title_en, open, acknowledged,
                         members, first_seen, last_seen)
  SELECT rule, unit_code, max(severity), max(title_vi), max(title_en), sum(status = 'open'),
         sum(status = 'acknowledged'), count(*), min(first_seen), max(last_seen)
  FROM alerts GROUP BY rule, unit_code;
CREATE TRIGGER alerts_group_insert AFTER INSERT ON alerts BEGIN
  INSERT INTO alert_groups(rule, unit_code, severity, title_vi, title_en, open, acknowledged,
                           members, first_seen, last_seen)
  VALUES (NEW.rule, NEW.unit_code, NEW.severity, NEW.title_vi, NEW.title_en,
          NEW.status = 'open', NEW.status = 'acknowledged', 1, NEW.first_seen, NEW.last_seen)
  ON CONFLICT (rule, unit_code) DO UPDATE SET
    open = open + excluded.open, acknowledged = acknowledged + excluded.acknowledged,
    members = members + 1, last_seen = max(last_seen, excluded.last_seen),
    severity = excluded.severity, title_vi = excluded.title_vi, title_en = excluded.title_en;
END;
CREATE TRIGGER alerts_group_update AFTER UPDATE OF status, last_seen ON alerts BEGIN
  UPDATE alert_groups SET
    open = open + (NEW.status = 'open') - (OLD.status = 'open'),
    acknowledged = acknowledged + (NEW.status = 'acknowledged') - (OLD.status = 'acknowledged'),
    last_seen = max(last_seen, NEW.last_seen), severity = NEW.severity
  WHERE rule = NEW.rule AND unit_code = NEW.unit_code;
END;
CREATE TRIGGER alerts_group_delete AFTER DELETE ON alerts BEGIN
  UPDATE alert_groups SET
    open = open - (OLD.status = 'open'), acknowledged = acknowledged - (OLD.status = 'acknowledged'),
    members = members - 1
  WHERE rule = OLD.rule AND unit_code = OLD.unit_code;
END;
CREATE TABLE alert_group_events(
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES alert_groups(id),
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL,
  open INTEGER NOT NULL,
  acknowledged INTEGER NOT NULL);
UPDATE delivery_outbox SET last_event = 0;
)sql",
    // issue 17, endpoint list (posture at a glance): the latest report's posture in columns
    // of `endpoints`, so the console sorts and filters 100,000 rows without
    // decoding every report. Only the host name is indexed (the search): an
    // index per sortable column made each new endpoint enter 12 more indexes and cut the
    // ingest rate by half or more; a sort on another column is one scan of the table.
    // ReportWriter fills them (endpoint_posture.h); a row left NULL here (a database from before) is filled by fillMissingPosture when the database is
    // next opened. Unknown is stored as a value ('' / -1 / 0, endpoint_posture.h), not NULL,
    // so keyset comparisons hold. hostname_lc is the prefix search's key (q=); the children's
    // rows get it too. alerts_rule answers "endpoints failing rule R" (rule=).
    R"sql(
ALTER TABLE endpoints ADD COLUMN hostname_lc TEXT GENERATED ALWAYS AS (lower(hostname)) VIRTUAL;
ALTER TABLE endpoints ADD COLUMN os TEXT;
ALTER TABLE endpoints ADD COLUMN av_product TEXT;
ALTER TABLE endpoints ADD COLUMN av_installed INTEGER;
ALTER TABLE endpoints ADD COLUMN av_real_time INTEGER;
ALTER TABLE endpoints ADD COLUMN av_signature_at INTEGER;
ALTER TABLE endpoints ADD COLUMN patch_pending INTEGER;
ALTER TABLE endpoints ADD COLUMN patch_security INTEGER;
ALTER TABLE endpoints ADD COLUMN reboot_required INTEGER;
ALTER TABLE endpoints ADD COLUMN ipv6_level INTEGER;
ALTER TABLE endpoints ADD COLUMN firewall_on INTEGER;
CREATE INDEX endpoints_hostname_lc ON endpoints(hostname_lc, agent_id);
-- Only the rows stored before these columns (os IS NULL until filled): a partial index, so
-- the ingest path never writes to it.
CREATE INDEX endpoints_posture_missing ON endpoints(agent_id) WHERE os IS NULL;
ALTER TABLE federated_endpoints ADD COLUMN hostname_lc TEXT GENERATED ALWAYS AS (lower(hostname)) VIRTUAL;
CREATE INDEX federated_endpoints_hostname_lc ON federated_endpoints(hostname_lc, agent_id, child_id);
CREATE INDEX federated_endpoints_agent ON federated_endpoints(agent_id, child_id);
CREATE INDEX alerts_rule ON alerts(rule, status, subject);
)sql",
    // issue 17, exceptions: risk acceptances (collector/exceptions/). An exception of an
    // endpoint (agent id) or a unit (its subtree) against one rule of a policy, until the
    // end of its expiry day in Vietnam (expires_at: the first second after it). Revoking
    // sets revoked_at; rows are never deleted (auditors read them).
    R"sql(
CREATE TABLE risk_exceptions(
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('endpoint', 'unit')),
  subject TEXT NOT NULL,
  hostname TEXT NOT NULL DEFAULT '',
  rule TEXT NOT NULL,
  justification TEXT NOT NULL,
  approver TEXT NOT NULL,
  document TEXT NOT NULL,
  expires_day INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER,
  revoked_by TEXT);
CREATE INDEX risk_exceptions_active ON risk_exceptions(expires_at) WHERE revoked_at IS NULL;
)sql",
    // 18a: retention (collector/retention/). The as-of queries' index: each endpoint's reports
    // by arrival, with the sequence so the latest one as of a time is read from the index
    // alone; the pruner's "last report of the day" check reads it too. retention_state: the
    // retention serve runs with (the offline CLI refuses as-of days it no longer keeps),
    // how far the daily thinning has gone (reports.id), and the newest cut the pruner made.
    R"sql(
CREATE INDEX reports_agent_received ON reports(agent_id, received_at, sequence);
CREATE TABLE retention_state(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  raw_seconds INTEGER,
  daily_seconds INTEGER,
  events_seconds INTEGER,
  recorded_at INTEGER NOT NULL,
  thinned_to INTEGER NOT NULL,
  pruned_before INTEGER NOT NULL);
INSERT INTO retention_state(id, recorded_at, thinned_to, pruned_before) VALUES (1, 0, 0, 0);
)sql",
  };
  return kMigrations;
}

}  // namespace posture::collector

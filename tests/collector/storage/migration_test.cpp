// Schema migrations applied to a database created by an earlier release keep its rows.
#include <doctest/doctest.h>

#include "collector/audit/audit.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

TEST_CASE("a version-1 database keeps its alerts when migrated, and gains the audit log") {
  test::TempDir dir("posture-migrate-");
  {
    // The agents, reports (issue 18's migration indexes them), alerts and endpoints part of
    // the version-1 schema, as the first release created it.
    db::Connection v1(dir.path() / "posture.db");
    v1.exec(R"sql(
CREATE TABLE agents(agent_id TEXT PRIMARY KEY, unit_code TEXT NOT NULL, hostname TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL, cert_serial TEXT NOT NULL, cert_not_after INTEGER NOT NULL,
  revoked_at INTEGER);
INSERT INTO agents VALUES ('a', 'BS-VP', 'pc', 1, 'ab12', 2, NULL);
CREATE TABLE enrolment_tokens(token_sha256 TEXT PRIMARY KEY, unit_code TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, uses_left INTEGER NOT NULL);
CREATE TABLE alerts(id INTEGER PRIMARY KEY, rule TEXT NOT NULL, subject TEXT NOT NULL,
  unit_code TEXT NOT NULL, severity TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')), title_vi TEXT NOT NULL,
  title_en TEXT NOT NULL, detail TEXT NOT NULL, first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL, resolved_at INTEGER, UNIQUE (rule, subject));
CREATE INDEX alerts_status ON alerts(status);
CREATE TABLE reports(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, sequence INTEGER NOT NULL,
  received_at INTEGER NOT NULL, collected_at INTEGER NOT NULL, body BLOB NOT NULL,
  UNIQUE (agent_id, sequence));
CREATE TABLE endpoints(agent_id TEXT PRIMARY KEY, unit_code TEXT NOT NULL,
  hostname TEXT NOT NULL, last_sequence INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  collected_at INTEGER NOT NULL, report_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE alert_events(alert_id INTEGER NOT NULL REFERENCES alerts(id), at INTEGER NOT NULL,
  event TEXT NOT NULL, detail TEXT NOT NULL);
INSERT INTO alerts VALUES (7, 'p/c', 'endpoint:a', 'BS-VP', 'high', 'resolved', 'vi', 'en', 'd',
  100, 200, 300);
INSERT INTO alert_events VALUES (7, 100, 'opened', 'd');
PRAGMA user_version=1;
)sql");
  }
  auto db = openDatabase(dir.path());
  auto st = db->prepare("SELECT rule, status, resolved_at, assignee FROM alerts WHERE id = 7");
  REQUIRE(st.step());
  CHECK(st.getText(0) == "p/c");
  CHECK(st.getText(1) == "resolved");
  CHECK(st.getInt(2) == 300);
  CHECK(st.getText(3) == "");
  auto ev = db->prepare("SELECT event, actor FROM alert_events WHERE alert_id = 7");
  REQUIRE(ev.step());
  CHECK(ev.getText(0) == "opened");
  CHECK(ev.getText(1) == "posture");
  // The new state is accepted; an unknown one is still refused by the CHECK constraint.
  db->exec("UPDATE alerts SET status = 'acknowledged' WHERE id = 7");
  CHECK_THROWS(db->exec("UPDATE alerts SET status = 'forgotten' WHERE id = 7"));
  // alert_events still points at alerts: an event of no alert is refused.
  CHECK_THROWS(db->exec("INSERT INTO alert_events(alert_id, at, event, detail) VALUES (999, 1, 'x', 'y')"));

  appendAudit(*db, {0, 500, "lan", "alert.ack", "alert:7", "{\"status\":\"open\"}",
                    "{\"status\":\"acknowledged\"}"});
  appendAudit(*db, {0, 501, "lan", "unit.add", "unit:BS-VP", "", "{}"});
  auto all = listAudit(*db);
  REQUIRE(all.size() == 2);
  CHECK(all[0].action == "unit.add");  // newest first
  auto alerts = listAudit(*db, "alert:");
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].actor == "lan");
  CHECK(alerts[0].before == "{\"status\":\"open\"}");
  CHECK(listAudit(*db, "alert:%").empty());  // the prefix is literal, not a LIKE pattern
}

TEST_CASE("the overview's per-unit counts are answered from covering indexes") {
  test::TempDir dir("posture-migrate-");
  auto db = openDatabase(dir.path());
  auto plan = [&](const std::string& sql) {
    auto st = db->prepare("EXPLAIN QUERY PLAN " + sql);
    std::string out;
    while (st.step()) out += st.getText(3) + "\n";
    return out;
  };
  // The queries collector/console/console_api.cpp runs for GET /api/v1/overview.
  auto alerts = plan(
      "SELECT unit_code, count(*) FROM alerts WHERE status IN ('open', 'acknowledged') "
      "GROUP BY unit_code");
  INFO(alerts);
  CHECK(alerts.find("COVERING INDEX alerts_status_unit") != std::string::npos);
  auto endpoints = plan("SELECT unit_code, count(*), sum(last_seen < 5) FROM endpoints GROUP BY unit_code");
  INFO(endpoints);
  CHECK(endpoints.find("COVERING INDEX endpoints_unit_seen") != std::string::npos);
}

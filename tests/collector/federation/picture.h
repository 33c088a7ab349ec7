#pragma once
// Test helpers for federation: a district's picture built from plain values, and what a
// province holds of a child read back with its own SQL (not the library's readers), so a
// round trip compares the two independently.
#include <map>
#include <string>
#include <vector>

#include "collector/federation/changes.h"
#include "collector/federation/outbox.h"
#include "common/db/sqlite.h"
#include "posture/v1/federation.pb.h"

namespace posture::test::federation {

namespace fed = posture::collector::federation;
using posture::v1::FederationChange;

// key -> serialized upsert (no sequence): a picture, and what the province holds.
using Rows = std::map<std::string, std::string>;

inline FederationChange unit(const std::string& code, const std::string& parent,
                             const std::string& kind = "commune") {
  FederationChange c;
  auto* u = c.mutable_unit();
  u->set_code(code);
  u->set_parent(parent);
  u->set_name_vi("Xã " + code);
  u->set_name_en(code + " commune");
  u->set_kind(kind);
  return c;
}

inline FederationChange endpoint(const std::string& agent, const std::string& unitCode,
                                 bool realTime = true, double signatureAge = 1) {
  FederationChange c;
  auto* e = c.mutable_endpoint();
  e->set_agent_id(agent);
  e->set_hostname("pc-" + agent);
  e->set_unit_code(unitCode);
  e->set_os("Windows 10 Pro");
  auto* f = e->add_facts();
  f->set_name("antivirus.real_time");
  f->set_flag(realTime);
  f = e->add_facts();
  f->set_name("antivirus.signature_age_days");
  f->set_number(signatureAge);
  f = e->add_facts();
  f->set_name("endpoint.os_name");
  f->set_text("Windows 10 Pro");
  e->add_facts()->set_name("patches.pending_security");  // unknown
  e->set_facts_at(1700000000);
  auto* ch = e->add_checks();
  ch->set_policy_id("baseline");
  ch->set_check_id("av-realtime");
  ch->set_result(realTime ? posture::v1::CHECK_RESULT_MET : posture::v1::CHECK_RESULT_NOT_MET);
  e->set_last_seen(1700000100);
  e->set_stale(false);
  return c;
}

inline FederationChange target(const std::string& unitCode, std::uint32_t satisfied,
                               std::uint32_t total) {
  FederationChange c;
  auto* t = c.mutable_target();
  t->set_unit_code(unitCode);
  t->set_policy_id("bs-plan");
  t->set_target_id("av-coverage");
  t->set_satisfied(satisfied);
  t->set_total(total);
  t->set_status(satisfied * 10 >= total * 9 ? "met" : "missed");
  t->set_threshold(90);
  return c;
}

inline FederationChange layer(const std::string& unitCode, int n, bool pass) {
  FederationChange c;
  auto* l = c.mutable_layer();
  l->set_unit_code(unitCode);
  l->set_layer(static_cast<std::uint32_t>(n));
  l->set_pass(pass);
  l->set_evidence_vi(pass ? "có hồ sơ" : "thiếu hồ sơ");
  l->set_evidence_en(pass ? "recorded" : "missing");
  l->set_reference("SOC tỉnh");
  l->set_document("12/QĐ");
  return c;
}

inline FederationChange system(const std::string& code, const std::string& unitCode) {
  FederationChange c;
  auto* s = c.mutable_system();
  s->set_code(code);
  s->set_unit_code(unitCode);
  s->set_name_vi("Hệ thống " + code);
  s->set_name_en(code + " system");
  s->set_level(3);
  s->set_shared(true);
  s->set_dossier_day(19700);
  return c;
}

inline FederationChange alerts(const std::string& unitCode, const std::string& rule,
                               std::uint32_t open) {
  FederationChange c;
  auto* a = c.mutable_alert_count();
  a->set_unit_code(unitCode);
  a->set_rule(rule);
  a->set_severity("high");
  a->set_open(open);
  a->set_acknowledged(1);
  return c;
}

// A unit's own 2290 counts: `machines` machines, one protected and one with the firewall
// on, one stale and one not updated (no anti-malware), on two operating systems.
inline FederationChange report2290(const std::string& unitCode, std::uint32_t machines) {
  FederationChange c;
  auto* r = c.mutable_report_2290();
  r->set_unit_code(unitCode);
  r->set_machines(machines);
  r->set_auto_protect(1);
  r->set_enable_firewall(1);
  r->set_not_updated(1);
  r->set_not_updated_no_anti_malware(1);
  r->set_stale(1);
  auto* os = r->add_operating_systems();
  os->set_os_name("");
  os->set_machines(1);
  os = r->add_operating_systems();
  os->set_os_name("Windows 10 Pro");
  os->set_machines(machines - 1);
  return c;
}

inline Rows rowsOf(const std::vector<FederationChange>& picture) {
  Rows out;
  for (const auto& c : picture) {
    auto r = fed::outboxRow(c);
    out[r.key] = r.change;
  }
  return out;
}

inline std::vector<fed::OutboxRow> outboxRows(const std::vector<FederationChange>& picture) {
  std::vector<fed::OutboxRow> out;
  for (const auto& c : picture) out.push_back(fed::outboxRow(c));
  return out;
}

// Everything the province stores of one child, rebuilt as the upserts that made it.
inline Rows held(posture::db::Connection& db, const std::string& child) {
  std::vector<FederationChange> out;
  auto st = db.prepare(
      "SELECT agent_id, hostname, unit_code, os, facts, checks, facts_at, last_seen, stale "
      "FROM federated_endpoints WHERE child_id = ?");
  st.bind(1, child);
  while (st.step()) {
    FederationChange c;
    auto* e = c.mutable_endpoint();
    e->set_agent_id(st.getText(0));
    e->set_hostname(st.getText(1));
    e->set_unit_code(st.getText(2));
    e->set_os(st.getText(3));
    posture::v1::FederatedEndpoint facts, checks;
    facts.ParseFromString(st.getBlob(4));
    checks.ParseFromString(st.getBlob(5));
    *e->mutable_facts() = facts.facts();
    e->set_facts_at(st.getInt(6));
    *e->mutable_checks() = checks.checks();
    e->set_last_seen(st.getInt(7));
    e->set_stale(st.getInt(8) != 0);
    out.push_back(c);
  }
  auto units = db.prepare(
      "SELECT code, parent, name_vi, name_en, kind FROM federated_units WHERE child_id = ?");
  units.bind(1, child);
  while (units.step()) {
    FederationChange c;
    auto* u = c.mutable_unit();
    u->set_code(units.getText(0));
    u->set_parent(units.getText(1));
    u->set_name_vi(units.getText(2));
    u->set_name_en(units.getText(3));
    u->set_kind(units.getText(4));
    out.push_back(c);
  }
  auto targets = db.prepare(
      "SELECT unit_code, policy_id, target_id, satisfied, total, status, threshold "
      "FROM federated_targets WHERE child_id = ?");
  targets.bind(1, child);
  while (targets.step()) {
    FederationChange c;
    auto* t = c.mutable_target();
    t->set_unit_code(targets.getText(0));
    t->set_policy_id(targets.getText(1));
    t->set_target_id(targets.getText(2));
    t->set_satisfied(static_cast<std::uint32_t>(targets.getInt(3)));
    t->set_total(static_cast<std::uint32_t>(targets.getInt(4)));
    t->set_status(targets.getText(5));
    if (!targets.isNull(6)) t->set_threshold(targets.getDouble(6));
    out.push_back(c);
  }
  auto layers = db.prepare(
      "SELECT unit_code, layer, pass, evidence_vi, evidence_en, reference, document "
      "FROM federated_layers WHERE child_id = ?");
  layers.bind(1, child);
  while (layers.step()) {
    FederationChange c;
    auto* l = c.mutable_layer();
    l->set_unit_code(layers.getText(0));
    l->set_layer(static_cast<std::uint32_t>(layers.getInt(1)));
    l->set_pass(layers.getInt(2) != 0);
    l->set_evidence_vi(layers.getText(3));
    l->set_evidence_en(layers.getText(4));
    l->set_reference(layers.getText(5));
    l->set_document(layers.getText(6));
    out.push_back(c);
  }
  auto systems = db.prepare(
      "SELECT code, unit_code, name_vi, name_en, level, shared, dossier_day, plan_day, "
      "assessment_day FROM federated_systems WHERE child_id = ?");
  systems.bind(1, child);
  while (systems.step()) {
    FederationChange c;
    auto* s = c.mutable_system();
    s->set_code(systems.getText(0));
    s->set_unit_code(systems.getText(1));
    s->set_name_vi(systems.getText(2));
    s->set_name_en(systems.getText(3));
    s->set_level(static_cast<std::uint32_t>(systems.getInt(4)));
    s->set_shared(systems.getInt(5) != 0);
    if (!systems.isNull(6)) s->set_dossier_day(systems.getInt(6));
    if (!systems.isNull(7)) s->set_plan_day(systems.getInt(7));
    if (!systems.isNull(8)) s->set_assessment_day(systems.getInt(8));
    out.push_back(c);
  }
  auto counts = db.prepare(
      "SELECT unit_code, rule, severity, open, acknowledged FROM federated_alert_counts "
      "WHERE child_id = ?");
  counts.bind(1, child);
  while (counts.step()) {
    FederationChange c;
    auto* a = c.mutable_alert_count();
    a->set_unit_code(counts.getText(0));
    a->set_rule(counts.getText(1));
    a->set_severity(counts.getText(2));
    a->set_open(static_cast<std::uint32_t>(counts.getInt(3)));
    a->set_acknowledged(static_cast<std::uint32_t>(counts.getInt(4)));
    out.push_back(c);
  }
  auto report = db.prepare(
      "SELECT unit_code, machines, auto_protect, enable_firewall, not_updated, "
      "not_updated_report_too_old, not_updated_no_anti_malware, "
      "not_updated_signature_age_unknown, not_updated_signatures_too_old, stale, "
      "operating_systems FROM federated_report_2290 WHERE child_id = ?");
  report.bind(1, child);
  while (report.step()) {
    FederationChange c;
    auto* r = c.mutable_report_2290();
    r->ParseFromString(report.getBlob(10));
    r->set_unit_code(report.getText(0));
    auto n = [&](int column) { return static_cast<std::uint32_t>(report.getInt(column)); };
    r->set_machines(n(1));
    r->set_auto_protect(n(2));
    r->set_enable_firewall(n(3));
    r->set_not_updated(n(4));
    r->set_not_updated_report_too_old(n(5));
    r->set_not_updated_no_anti_malware(n(6));
    r->set_not_updated_signature_age_unknown(n(7));
    r->set_not_updated_signatures_too_old(n(8));
    r->set_stale(n(9));
    out.push_back(c);
  }
  return rowsOf(out);
}

// A readable list of keys, for failure messages.
inline std::string keys(const Rows& rows) {
  std::string out;
  for (const auto& [k, v] : rows) {
    std::string shown = k;
    for (auto& ch : shown) {
      if (ch == '\x1f') ch = '/';
    }
    out += shown + " ";
  }
  return out;
}

}  // namespace posture::test::federation

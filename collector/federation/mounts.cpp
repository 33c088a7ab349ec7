#include "collector/federation/mounts.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "collector/federation/changes.h"
#include "collector/federation/history.h"
#include "collector/federation/readers.h"

namespace posture::collector::federation {

using v1::FederationChange;

namespace {

// A refusal thrown inside the applying transaction, which then rolls back.
struct Refusal {
  Problem problem;
};

struct ChildRow {
  std::string mountUnit;
  std::uint64_t epoch = 0, lastSequence = 0;
  bool revoked = false;
};

std::optional<ChildRow> findChild(db::Connection& db, const std::string& childId) {
  auto st = db.prepare(
      "SELECT mount_unit, epoch, last_sequence, revoked_at FROM federation_children "
      "WHERE child_id = ?");
  st.bind(1, childId);
  if (!st.step()) return std::nullopt;
  ChildRow c{st.getText(0), static_cast<std::uint64_t>(st.getInt(1)),
             static_cast<std::uint64_t>(st.getInt(2)), !st.isNull(3)};
  st.reset();
  return c;
}

v1::FederationAck refusedAck(db::Connection& db, const std::string& childId, const Problem& p,
                             std::int64_t now) {
  v1::FederationAck ack;
  // The child's committed state, so it can tell where the parent stands.
  if (auto c = findChild(db, childId)) {
    ack.set_epoch(c->epoch);
    ack.set_committed_sequence(c->lastSequence);
  }
  ack.set_error_code(p.code);
  ack.set_message_vi(p.vi);
  ack.set_message_en(p.en);
  if (p.code != "unknown_child" && p.code != "child_revoked" && p.code != "sequence_gap") {
    // What the child sends does not arrive until this is fixed: kept (an alert) until a
    // push is accepted.
    db.prepare("UPDATE federation_children SET refused_code = ?, refused_vi = ?, refused_en = ?, "
               "refused_at = ? WHERE child_id = ? AND revoked_at IS NULL")
        .bind(1, p.code).bind(2, p.vi).bind(3, p.en).bind(4, now).bind(5, childId).run();
  }
  return ack;
}

void noteEffect(const FederationChange& c, ApplyEffects& e, std::set<std::string>& seen) {
  auto endpoint = [&](const std::string& id) {
    if (seen.insert(id).second) e.endpoints.push_back(id);
  };
  switch (c.change_case()) {
    case FederationChange::kEndpoint: return endpoint(c.endpoint().agent_id());
    case FederationChange::kEndpointRemoved: return endpoint(c.endpoint_removed());
    case FederationChange::kUnit:
    case FederationChange::kUnitRemoved: e.tree = true; return;
    case FederationChange::kLayer:
    case FederationChange::kLayerRemoved:
    case FederationChange::kSystem:
    case FederationChange::kSystemRemoved: e.organization = true; return;
    default: return;  // targets, alert and 2290 counts are shown as pushed, not evaluated
  }
}

const char* const kRowTables[] = {"federated_endpoints",    "federated_targets",
                                  "federated_layers",       "federated_systems",
                                  "federated_alert_counts", "federated_report_2290"};

void wipeChild(db::Connection& db, const std::string& childId) {
  for (const char* table : kRowTables) {
    db.prepare(std::string("DELETE FROM ") + table + " WHERE child_id = ?").bind(1, childId).run();
  }
  db.prepare("DELETE FROM federated_units WHERE child_id = ?").bind(1, childId).run();
}

// Bounds and syntax that need no stored state.
std::optional<Problem> checkPush(const v1::FederationPush& push) {
  if (static_cast<std::size_t>(push.changes_size()) > kMaxPushChanges) {
    return Problem{"too_many_changes",
                   "lần đẩy có " + std::to_string(push.changes_size()) + " thay đổi, tối đa " +
                       std::to_string(kMaxPushChanges) + " (trường changes)",
                   "the push carries " + std::to_string(push.changes_size()) +
                       " changes, at most " + std::to_string(kMaxPushChanges) + " (field changes)"};
  }
  if (push.epoch() == 0) {
    return Problem{"invalid_push", "trường epoch phải từ 1 trở lên",
                   "field epoch must be 1 or more"};
  }
  if (push.detail() != "endpoints" && push.detail() != "summary") {
    return Problem{"invalid_push", "trường detail phải là endpoints hoặc summary",
                   "field detail must be endpoints or summary"};
  }
  for (int i = 0; i < push.changes_size(); ++i) {
    const auto& c = push.changes(i);
    if (c.sequence() == 0 ||
        c.sequence() != push.changes(0).sequence() + static_cast<unsigned>(i)) {
      return Problem{"invalid_push",
                     "số thứ tự các thay đổi phải liên tiếp từ 1 trở lên (thay đổi thứ " +
                         std::to_string(i + 1) + " mang số " + std::to_string(c.sequence()) + ")",
                     "change sequences must be consecutive from 1 up (change " +
                         std::to_string(i + 1) + " carries " + std::to_string(c.sequence()) + ")"};
    }
    if (auto p = checkChange(c)) {
      p->vi = "thay đổi số " + std::to_string(c.sequence()) + ": " + p->vi;
      p->en = "change " + std::to_string(c.sequence()) + ": " + p->en;
      return p;
    }
    // A removal is no row: a child that switched from endpoints to summary removes the
    // rows it sent before with its first summaries.
    if (push.detail() == "summary" && rowKind(c) == RowKind::Endpoint && !isRemoval(c)) {
      return Problem{"endpoint_in_summary",
                     "lần đẩy dạng summary không được mang hàng máy trạm (thay đổi số " +
                         std::to_string(c.sequence()) + ")",
                     "a summary push may not carry endpoint rows (change " +
                         std::to_string(c.sequence()) + ")"};
    }
  }
  return std::nullopt;
}

// Applies changes of one child inside the caller's transaction.
class Applier {
 public:
  Applier(db::Connection& db, const std::string& childId, const std::string& mount,
          const UnitCodes& own)
      : db_(db), child_(childId), mount_(mount), own_(own) {}

  void apply(const FederationChange& c) {
    switch (c.change_case()) {
      case FederationChange::kEndpoint:
        return endpoint(c.endpoint());
      case FederationChange::kEndpointRemoved:
        return remove("federated_endpoints", {"agent_id"}, {c.endpoint_removed()});
      case FederationChange::kUnit:
        return unit(c.unit());
      case FederationChange::kUnitRemoved:
        return remove("federated_units", {"code"}, {c.unit_removed()});
      case FederationChange::kTarget:
        return target(c.target());
      case FederationChange::kTargetRemoved: {
        const auto& t = c.target_removed();
        return remove("federated_targets", {"unit_code", "policy_id", "target_id"},
                      {t.unit_code(), t.policy_id(), t.target_id()});
      }
      case FederationChange::kLayer:
        return layer(c.layer());
      case FederationChange::kLayerRemoved: {
        const auto& l = c.layer_removed();
        return remove("federated_layers", {"unit_code", "layer"},
                      {l.unit_code(), std::to_string(l.layer())});
      }
      case FederationChange::kSystem:
        return system(c.system());
      case FederationChange::kSystemRemoved:
        return remove("federated_systems", {"code"}, {c.system_removed()});
      case FederationChange::kAlertCount:
        return alerts(c.alert_count());
      case FederationChange::kAlertCountRemoved: {
        const auto& a = c.alert_count_removed();
        return remove("federated_alert_counts", {"unit_code", "rule", "severity"},
                      {a.unit_code(), a.rule(), a.severity()});
      }
      case FederationChange::kReport2290:
        return report2290(c.report_2290());
      case FederationChange::kReport2290Removed:
        return remove("federated_report_2290", {"unit_code"}, {c.report_2290_removed()});
      case FederationChange::CHANGE_NOT_SET:
        break;  // checkPush refused it
    }
  }

  // Every unit of the child hangs, through the child's own units, at the mount unit, and
  // every row of the child is in one of them.
  void checkMount() {
    std::map<std::string, std::string> parent;
    {
      auto st = db_.prepare("SELECT code, parent FROM federated_units WHERE child_id = ?");
      st.bind(1, child_);
      while (st.step()) parent.emplace(st.getText(0), st.getText(1));
    }
    for (const auto& [code, p] : parent) {
      std::string at = p;
      std::size_t steps = 0;
      while (at != mount_ && parent.count(at) && steps++ <= parent.size()) at = parent[at];
      if (at != mount_) {
        throw Refusal{{"outside_mount",
                       "đơn vị " + code + " của máy chủ con " + child_ + " nằm dưới " + p +
                           ", ngoài nhánh gắn " + mount_,
                       "unit " + code + " of child " + child_ + " hangs under " + p +
                           ", outside its mount subtree " + mount_}};
      }
    }
    const char* const kinds[] = {"máy trạm", "endpoint",    "chỉ tiêu",     "target",
                                 "lớp",      "layer",       "hệ thống",     "system",
                                 "cảnh báo", "alert count", "số liệu 2290", "2290 counts"};
    static_assert(std::size(kinds) == 2 * std::size(kRowTables));
    for (std::size_t i = 0; i < std::size(kRowTables); ++i) {
      auto st = db_.prepare(std::string("SELECT DISTINCT unit_code FROM ") + kRowTables[i] +
                            " WHERE child_id = ?");
      st.bind(1, child_);
      while (st.step()) {
        std::string u = st.getText(0);
        if (u == mount_ || parent.count(u)) continue;
        throw Refusal{{"outside_mount",
                       std::string("hàng ") + kinds[2 * i] + " của đơn vị " + u +
                           " nằm ngoài nhánh gắn " + mount_ + " của máy chủ con " + child_,
                       std::string(kinds[2 * i + 1]) + " row of unit " + u +
                           " is outside the mount subtree " + mount_ + " of child " + child_}};
      }
    }
  }

 private:
  void endpoint(const v1::FederatedEndpoint& e) {
    v1::FederatedEndpoint facts, checks;
    *facts.mutable_facts() = e.facts();
    *checks.mutable_checks() = e.checks();
    db_.prepare(
           "INSERT INTO federated_endpoints(child_id, agent_id, unit_code, hostname, os, facts, "
           "checks, facts_at, last_seen, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT(child_id, agent_id) DO UPDATE SET unit_code = excluded.unit_code, "
           "hostname = excluded.hostname, os = excluded.os, facts = excluded.facts, "
           "checks = excluded.checks, facts_at = excluded.facts_at, "
           "last_seen = excluded.last_seen, stale = excluded.stale")
        .bind(1, child_)
        .bind(2, e.agent_id())
        .bind(3, e.unit_code())
        .bind(4, e.hostname())
        .bind(5, e.os())
        .bindBlob(6, serialize(facts))
        .bindBlob(7, serialize(checks))
        .bind(8, e.facts_at())
        .bind(9, e.last_seen())
        .bind(10, e.stale() ? 1 : 0)
        .run();
  }

  void unit(const v1::FederatedUnit& u) {
    auto collision = [&](const std::string& ownerVi, const std::string& ownerEn) {
      return Refusal{{"unit_collision",
                      "đơn vị " + u.code() + " thuộc " + ownerVi + ", máy chủ con " + child_ +
                          " không được khai báo lại",
                      "unit " + u.code() + " belongs to " + ownerEn + "; child " + child_ +
                          " cannot declare it"}};
    };
    if (own_.count(u.code()) || u.code() == mount_) {
      throw collision("chính máy chủ này (cây đơn vị của cấp trên)",
                      "this collector's own unit tree (the parent)");
    }
    auto owner = db_.prepare("SELECT child_id FROM federated_units WHERE code = ?");
    owner.bind(1, u.code());
    if (owner.step() && owner.getText(0) != child_) {
      std::string other = owner.getText(0);
      throw collision("máy chủ con " + other, "child " + other);
    }
    owner.reset();
    db_.prepare(
           "INSERT OR REPLACE INTO federated_units(code, child_id, parent, name_vi, name_en, "
           "kind) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, u.code())
        .bind(2, child_)
        .bind(3, u.parent().empty() ? mount_ : u.parent())  // a root hangs at the mount
        .bind(4, u.name_vi())
        .bind(5, u.name_en())
        .bind(6, u.kind())
        .run();
  }

  void target(const v1::FederatedTarget& t) {
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO federated_targets(child_id, unit_code, policy_id, target_id, "
        "satisfied, total, status, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, child_).bind(2, t.unit_code()).bind(3, t.policy_id()).bind(4, t.target_id());
    st.bind(5, static_cast<std::int64_t>(t.satisfied()))
        .bind(6, static_cast<std::int64_t>(t.total()))
        .bind(7, t.status());
    if (t.has_threshold()) {
      st.bind(8, t.threshold());
    } else {
      st.bindNull(8);
    }
    st.run();
  }

  void layer(const v1::FederatedLayer& l) {
    db_.prepare(
           "INSERT OR REPLACE INTO federated_layers(child_id, unit_code, layer, pass, "
           "evidence_vi, evidence_en, reference, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, child_)
        .bind(2, l.unit_code())
        .bind(3, static_cast<std::int64_t>(l.layer()))
        .bind(4, l.pass() ? 1 : 0)
        .bind(5, l.evidence_vi())
        .bind(6, l.evidence_en())
        .bind(7, l.reference())
        .bind(8, l.document())
        .run();
  }

  void system(const v1::FederatedSystem& s) {
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO federated_systems(child_id, code, unit_code, name_vi, name_en, "
        "level, shared, dossier_day, plan_day, assessment_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?)");
    st.bind(1, child_).bind(2, s.code()).bind(3, s.unit_code()).bind(4, s.name_vi());
    st.bind(5, s.name_en())
        .bind(6, static_cast<std::int64_t>(s.level()))
        .bind(7, s.shared() ? 1 : 0);
    auto day = [&](int column, bool has, std::int64_t value) {
      if (has) {
        st.bind(column, value);
      } else {
        st.bindNull(column);
      }
    };
    day(8, s.has_dossier_day(), s.dossier_day());
    day(9, s.has_plan_day(), s.plan_day());
    day(10, s.has_assessment_day(), s.assessment_day());
    st.run();
  }

  void alerts(const v1::FederatedAlertCount& a) {
    db_.prepare(
           "INSERT OR REPLACE INTO federated_alert_counts(child_id, unit_code, rule, "
           "severity, open, acknowledged) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, child_)
        .bind(2, a.unit_code())
        .bind(3, a.rule())
        .bind(4, a.severity())
        .bind(5, static_cast<std::int64_t>(a.open()))
        .bind(6, static_cast<std::int64_t>(a.acknowledged()))
        .run();
  }

  // The figures as columns; the operating systems, which vary in number, as a serialized
  // FederatedReport2290 holding only them.
  void report2290(const v1::FederatedReport2290& r) {
    v1::FederatedReport2290 os;
    *os.mutable_operating_systems() = r.operating_systems();
    auto st = db_.prepare(
        "INSERT OR REPLACE INTO federated_report_2290(child_id, unit_code, machines, "
        "auto_protect, enable_firewall, not_updated, not_updated_report_too_old, "
        "not_updated_no_anti_malware, not_updated_signature_age_unknown, "
        "not_updated_signatures_too_old, stale, operating_systems) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, child_).bind(2, r.unit_code());
    int column = 3;
    for (std::uint32_t n :
         {r.machines(), r.auto_protect(), r.enable_firewall(), r.not_updated(),
          r.not_updated_report_too_old(), r.not_updated_no_anti_malware(),
          r.not_updated_signature_age_unknown(), r.not_updated_signatures_too_old(), r.stale()}) {
      st.bind(column++, static_cast<std::int64_t>(n));
    }
    st.bindBlob(column, serialize(os)).run();
  }

  void remove(const std::string& table, std::initializer_list<const char*> columns,
              std::initializer_list<std::string> values) {
    std::string sql = "DELETE FROM " + table + " WHERE child_id = ?";
    for (const char* c : columns) sql += std::string(" AND ") + c + " = ?";
    auto st = db_.prepare(sql);
    st.bind(1, child_);
    int i = 2;
    for (const auto& v : values) st.bind(i++, v);
    st.run();
  }

  db::Connection& db_;
  const std::string& child_;
  const std::string& mount_;
  const UnitCodes& own_;
};

}  // namespace

void registerChild(db::Connection& db, const std::string& childId, const std::string& mountUnit,
                   std::int64_t now) {
  db::Transaction tx(db);
  if (findChild(db, childId)) {
    throw FederationError("máy chủ con " + childId + " đã được đăng ký / child " + childId +
                          " is already registered");
  }
  db.prepare(
        "INSERT INTO federation_children(child_id, mount_unit, registered_at) VALUES (?, ?, ?)")
      .bind(1, childId)
      .bind(2, mountUnit)
      .bind(3, now)
      .run();
  tx.commit();
}

bool revokeChild(db::Connection& db, const std::string& childId, std::int64_t now) {
  db::Transaction tx(db);
  db.prepare(
        "UPDATE federation_children SET revoked_at = coalesce(revoked_at, ?) WHERE child_id = ?")
      .bind(1, now)
      .bind(2, childId)
      .run();
  bool changed = db.changes() > 0;
  tx.commit();
  return changed;
}

v1::FederationAck applyPush(db::Connection& db, const std::string& childId,
                            const UnitCodes& ownUnits, const v1::FederationPush& push,
                            std::int64_t now, ApplyEffects* effects) {
  try {
    db::Transaction tx(db);
    auto child = findChild(db, childId);
    if (!child) {
      throw Refusal{{"unknown_child", "máy chủ con " + childId + " chưa được đăng ký",
                     "child " + childId + " is not registered"}};
    }
    if (child->revoked) {
      throw Refusal{{"child_revoked", "máy chủ con " + childId + " đã bị thu hồi",
                     "child " + childId + " has been revoked"}};
    }
    if (auto p = checkPush(push)) throw Refusal{*p};

    v1::FederationAck ack;
    std::uint64_t epoch = child->epoch, last = child->lastSequence;
    if (push.epoch() < epoch || (push.epoch() > epoch && !push.snapshot())) {
      // A delta of an epoch this parent does not hold (or an older epoch's push): only a
      // snapshot under a new epoch makes the two agree. Nothing is written.
      ack.set_epoch(epoch);
      ack.set_committed_sequence(last);
      ack.set_snapshot_required(true);
      ack.set_message_vi("cần ảnh chụp đầy đủ: cấp trên đang giữ epoch " + std::to_string(epoch) +
                         ", lần đẩy thuộc epoch " + std::to_string(push.epoch()));
      ack.set_message_en("a snapshot is required: the parent holds epoch " + std::to_string(epoch) +
                         ", the push belongs to epoch " + std::to_string(push.epoch()));
      return ack;
    }
    ApplyEffects done;
    std::set<std::string> seen;
    if (push.epoch() > epoch) {
      // The snapshot of a new epoch replaces everything of this child.
      recordChildWiped(db, childId, now);
      wipeChild(db, childId);
      epoch = push.epoch();
      last = 0;
      done.tree = true;
    }
    Applier applier(db, childId, child->mountUnit, ownUnits);
    for (const auto& c : push.changes()) {
      if (c.sequence() <= last) continue;  // applied before: a push sent again
      noteEffect(c, done, seen);
      if (c.sequence() != last + 1) {
        throw Refusal{{"sequence_gap",
                       "thiếu thay đổi: cần số " + std::to_string(last + 1) + ", nhận số " +
                           std::to_string(c.sequence()) + " (epoch " + std::to_string(epoch) + ")",
                       "changes are missing: expected sequence " + std::to_string(last + 1) +
                           ", got " + std::to_string(c.sequence()) + " (epoch " +
                           std::to_string(epoch) + ")"}};
      }
      applier.apply(c);
      last = c.sequence();
    }
    applier.checkMount();
    recordEndpointDays(db, childId, done.endpoints, now);
    db.prepare(
          "UPDATE federation_children SET epoch = ?, last_sequence = ?, snapshot_through = ?, "
          "last_push_at = ?, interval_seconds = ?, detail = ?, refused_code = NULL, "
          "refused_vi = NULL, refused_en = NULL, refused_at = NULL WHERE child_id = ?")
        .bind(1, static_cast<std::int64_t>(epoch))
        .bind(2, static_cast<std::int64_t>(last))
        .bind(3, static_cast<std::int64_t>(push.snapshot_through()))
        .bind(4, now)
        .bind(5, static_cast<std::int64_t>(push.interval_seconds()))
        .bind(6, push.detail())
        .bind(7, childId)
        .run();
    tx.commit();
    if (effects) *effects = std::move(done);
    ack.set_epoch(epoch);
    ack.set_committed_sequence(last);
    return ack;
  } catch (const Refusal& r) {
    return refusedAck(db, childId, r.problem, now);
  }
}

v1::FederationAck applyPushBytes(db::Connection& db, const std::string& childId,
                                 const UnitCodes& ownUnits, std::string_view body,
                                 std::int64_t now, ApplyEffects* effects) {
  if (body.size() > kMaxPushBytes) {
    return refusedAck(db, childId,
                      {"push_too_large",
                       "lần đẩy dài " + std::to_string(body.size()) + " byte, tối đa " +
                           std::to_string(kMaxPushBytes),
                       "the push is " + std::to_string(body.size()) + " bytes, at most " +
                           std::to_string(kMaxPushBytes)},
                      now);
  }
  v1::FederationPush push;
  if (!push.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return refusedAck(db, childId,
                      {"malformed_push", "không đọc được lần đẩy (không phải FederationPush)",
                       "the push is unreadable (not a FederationPush)"},
                      now);
  }
  return applyPush(db, childId, ownUnits, push, now, effects);
}

UnitCodes ownUnitCodes(db::Connection& db) {
  UnitCodes out;
  auto st = db.prepare("SELECT code FROM org_units");
  while (st.step()) out.insert(st.getText(0));
  return out;
}

bool ChildLink::healthy(std::int64_t now) const {
  return !revokedAt && lastPushAt && intervalSeconds > 0 &&
         now - *lastPushAt <= 3 * static_cast<std::int64_t>(intervalSeconds);
}

std::vector<ChildLink> children(db::Connection& db) {
  std::vector<ChildLink> out;
  auto st = db.prepare(
      "SELECT child_id, mount_unit, epoch, last_sequence, snapshot_through, last_push_at, "
      "interval_seconds, detail, revoked_at FROM federation_children ORDER BY child_id");
  while (st.step()) {
    ChildLink c;
    c.childId = st.getText(0);
    c.mountUnit = st.getText(1);
    c.epoch = static_cast<std::uint64_t>(st.getInt(2));
    c.lastSequence = static_cast<std::uint64_t>(st.getInt(3));
    c.snapshotThrough = static_cast<std::uint64_t>(st.getInt(4));
    if (!st.isNull(5)) c.lastPushAt = st.getInt(5);
    c.intervalSeconds = static_cast<std::uint32_t>(st.getInt(6));
    c.detail = st.getText(7);
    if (!st.isNull(8)) c.revokedAt = st.getInt(8);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<FederatedEndpointRow> loadFederatedEndpoints(db::Connection& db) {
  std::vector<FederatedEndpointRow> out;
  auto st = db.prepare(std::string("SELECT ") + kFederatedRowColumns +
                       " FROM federated_endpoints e JOIN federation_children c ON c.child_id = "
                       "e.child_id ORDER BY e.child_id, e.unit_code, e.hostname, e.agent_id");
  while (st.step()) out.push_back(readFederatedRow(st));
  return out;
}

std::vector<FederatedUnitRow> federatedUnits(db::Connection& db) {
  std::vector<FederatedUnitRow> out;
  auto st = db.prepare(
      "SELECT code, child_id, parent, name_vi, name_en, kind FROM federated_units ORDER BY code");
  while (st.step()) {
    out.push_back(
        {st.getText(0), st.getText(1), st.getText(2), st.getText(3), st.getText(4), st.getText(5)});
  }
  return out;
}

}  // namespace posture::collector::federation

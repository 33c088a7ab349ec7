#include "collector/org/links.h"

#include <algorithm>

namespace posture::collector::org {

bool linkHealthy(std::optional<std::int64_t> lastAt, std::int64_t intervalSeconds, std::int64_t now) {
  return lastAt && intervalSeconds > 0 && now - *lastAt <= kLinkHealthyIntervals * intervalSeconds;
}

const ChildState* Links::child(std::string_view childId) const {
  auto it = std::lower_bound(children.begin(), children.end(), childId,
                             [](const ChildState& c, std::string_view id) { return c.childId < id; });
  return it != children.end() && it->childId == childId ? &*it : nullptr;
}

const ChildState* Links::childOfUnit(std::string_view unitCode) const {
  auto it = unitChild.find(unitCode);
  return it == unitChild.end() ? nullptr : child(it->second);
}

const PushedLayer* Links::pushedLayer(std::string_view unitCode, int layer) const {
  for (const auto& l : layers) {
    if (l.unitCode == unitCode && l.layer == layer) return &l;
  }
  return nullptr;
}

std::string Links::signature(std::int64_t now) const {
  std::string out;
  if (uplink) out += uplink->healthy(now) ? "U+" : "U-";
  for (const auto& c : children) {
    out += c.childId;
    out += c.healthy(now) ? '+' : '-';
    out += c.stale(now) ? 's' : '.';
    out += c.refusedCode;
    out += ';';
  }
  return out;
}

Links loadLinks(db::Connection& db, bool rows) {
  Links links;
  auto u = db.prepare(
      "SELECT upstream, identity, mount_unit, interval_seconds, last_ack_at, last_attempt_at, "
      "last_error FROM upstream_link WHERE id = 1");
  if (u.step()) {
    Uplink up;
    up.upstream = u.getText(0);
    up.identity = u.getText(1);
    up.mountUnit = u.getText(2);
    up.intervalSeconds = u.getInt(3);
    if (!u.isNull(4)) up.lastAckAt = u.getInt(4);
    up.lastAttemptAt = u.getInt(5);
    up.lastError = u.getText(6);
    links.uplink = std::move(up);
  }
  auto c = db.prepare(
      "SELECT child_id, mount_unit, registered_at, interval_seconds, last_push_at, revoked_at, "
      "refused_code, refused_vi, refused_en, refused_at FROM federation_children ORDER BY child_id");
  while (c.step()) {
    ChildState s;
    s.childId = c.getText(0);
    s.mountUnit = c.getText(1);
    s.registeredAt = c.getInt(2);
    s.intervalSeconds = c.getInt(3);
    if (!c.isNull(4)) s.lastPushAt = c.getInt(4);
    if (!c.isNull(5)) s.revokedAt = c.getInt(5);
    if (!c.isNull(6)) {
      s.refusedCode = c.getText(6);
      s.refusedVi = c.getText(7);
      s.refusedEn = c.getText(8);
      if (!c.isNull(9)) s.refusedAt = c.getInt(9);
    }
    links.children.push_back(std::move(s));
  }
  if (!rows) return links;
  auto fu = db.prepare("SELECT code, child_id FROM federated_units");
  while (fu.step()) links.unitChild.emplace(fu.getText(0), fu.getText(1));
  auto l = db.prepare(
      "SELECT child_id, unit_code, layer, pass, evidence_vi, evidence_en, reference, document "
      "FROM federated_layers ORDER BY unit_code, layer, child_id");
  while (l.step()) {
    links.layers.push_back({l.getText(0), l.getText(1), static_cast<int>(l.getInt(2)),
                            l.getInt(3) != 0, l.getText(4), l.getText(5), l.getText(6), l.getText(7)});
  }
  return links;
}

}  // namespace posture::collector::org

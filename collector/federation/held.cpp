#include "collector/federation/held.h"

#include <cstdint>
#include <stdexcept>

namespace posture::collector::federation {
namespace {

std::uint32_t count(db::Statement& st, int column) {
  return static_cast<std::uint32_t>(st.getInt(column));
}

void targets(db::Connection& db, std::vector<HeldRow>& out) {
  auto st = db.prepare(
      "SELECT child_id, unit_code, policy_id, target_id, satisfied, total, status, threshold "
      "FROM federated_targets ORDER BY child_id, unit_code, policy_id, target_id");
  while (st.step()) {
    HeldRow r{st.getText(0), {}};
    auto* t = r.change.mutable_target();
    t->set_unit_code(st.getText(1));
    t->set_policy_id(st.getText(2));
    t->set_target_id(st.getText(3));
    t->set_satisfied(count(st, 4));
    t->set_total(count(st, 5));
    t->set_status(st.getText(6));
    if (!st.isNull(7)) t->set_threshold(st.getDouble(7));
    out.push_back(std::move(r));
  }
}

void report2290(db::Connection& db, std::vector<HeldRow>& out) {
  auto st = db.prepare(
      "SELECT child_id, unit_code, machines, auto_protect, enable_firewall, not_updated, "
      "not_updated_report_too_old, not_updated_no_anti_malware, "
      "not_updated_signature_age_unknown, not_updated_signatures_too_old, stale, "
      "operating_systems FROM federated_report_2290 ORDER BY child_id, unit_code");
  while (st.step()) {
    HeldRow r{st.getText(0), {}};
    auto* f = r.change.mutable_report_2290();
    // Written by applyPush from a checked message; a damaged blob reads as no names.
    f->ParseFromString(st.getBlob(11));
    f->set_unit_code(st.getText(1));
    f->set_machines(count(st, 2));
    f->set_auto_protect(count(st, 3));
    f->set_enable_firewall(count(st, 4));
    f->set_not_updated(count(st, 5));
    f->set_not_updated_report_too_old(count(st, 6));
    f->set_not_updated_no_anti_malware(count(st, 7));
    f->set_not_updated_signature_age_unknown(count(st, 8));
    f->set_not_updated_signatures_too_old(count(st, 9));
    f->set_stale(count(st, 10));
    out.push_back(std::move(r));
  }
}

}  // namespace

std::vector<HeldRow> heldRows(db::Connection& db, RowKind kind) {
  std::vector<HeldRow> out;
  switch (kind) {
    case RowKind::Target:
      targets(db, out);
      break;
    case RowKind::Report2290:
      report2290(db, out);
      break;
    default:
      throw std::invalid_argument("heldRows(): no reader for this kind of row");
  }
  return out;
}

}  // namespace posture::collector::federation

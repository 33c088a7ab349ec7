#include "collector/federation/changes.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cassert>
#include <initializer_list>
#include <set>

#include "collector/org/org.h"
#include "common/util/unit_code.h"

namespace posture::collector::federation {

using v1::FederationChange;

namespace {

constexpr char kSep = '\x1f';

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += kSep;
    out += p;
  }
  return out;
}

Problem tooLong(std::string_view field, std::size_t max) {
  return {"field_too_long",
          "trường " + std::string(field) + " dài quá " + std::to_string(max) + " byte",
          "field " + std::string(field) + " is longer than " + std::to_string(max) + " bytes"};
}

Problem invalid(std::string_view field, std::string_view value, std::string_view ruleVi,
                std::string_view ruleEn) {
  return {"invalid_field",
          "trường " + std::string(field) + " ('" + std::string(value.substr(0, 64)) +
              "') không hợp lệ: " + std::string(ruleVi),
          "field " + std::string(field) + " ('" + std::string(value.substr(0, 64)) +
              "') is invalid: " + std::string(ruleEn)};
}

// A text field: at most `max` bytes (protobuf already refuses invalid UTF-8 in strings).
std::optional<Problem> text(std::string_view field, const std::string& value,
                            std::size_t max = kMaxTextBytes) {
  if (value.size() > max) return tooLong(field, max);
  return std::nullopt;
}

// An identifier that is part of a key: non-empty, bounded, no control character.
std::optional<Problem> ident(std::string_view field, const std::string& value) {
  if (auto p = text(field, value)) return p;
  if (value.empty()) return invalid(field, value, "không được để trống", "must not be empty");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return invalid(field, value, "có ký tự điều khiển", "holds a control character");
    }
  }
  return std::nullopt;
}

std::optional<Problem> code(std::string_view field, const std::string& value) {
  if (util::validCode(value)) return std::nullopt;
  return invalid(field, value, "cần 1-64 chữ cái, chữ số, '.', '_' hoặc '-'", util::kCodeRule);
}

std::optional<Problem> firstOf(std::initializer_list<std::optional<Problem>> checks) {
  for (const auto& c : checks) {
    if (c) return c;
  }
  return std::nullopt;
}

std::optional<Problem> checkEndpoint(const v1::FederatedEndpoint& e) {
  if (auto p = firstOf({ident("endpoint.agent_id", e.agent_id()),
                        text("endpoint.hostname", e.hostname()),
                        code("endpoint.unit_code", e.unit_code()), text("endpoint.os", e.os())})) {
    return p;
  }
  if (static_cast<std::size_t>(e.facts_size()) > kMaxFacts) {
    return Problem{
        "too_many_facts",
        "máy " + e.agent_id() + " có quá " + std::to_string(kMaxFacts) + " dữ kiện",
        "endpoint " + e.agent_id() + " has more than " + std::to_string(kMaxFacts) + " facts"};
  }
  if (static_cast<std::size_t>(e.checks_size()) > kMaxChecks) {
    return Problem{
        "too_many_checks",
        "máy " + e.agent_id() + " có quá " + std::to_string(kMaxChecks) + " kiểm tra",
        "endpoint " + e.agent_id() + " has more than " + std::to_string(kMaxChecks) + " checks"};
  }
  for (const auto& f : e.facts()) {
    if (auto p = firstOf(
            {ident("endpoint.facts.name", f.name()), text("endpoint.facts.text", f.text())})) {
      return p;
    }
  }
  for (const auto& c : e.checks()) {
    if (auto p = firstOf({ident("endpoint.checks.policy_id", c.policy_id()),
                          ident("endpoint.checks.check_id", c.check_id())})) {
      return p;
    }
    if (!v1::CheckResult_IsValid(c.result())) {
      return invalid("endpoint.checks.result", std::to_string(c.result()),
                     "chỉ nhận đạt / không đạt / không rõ", "must be met, not met or unknown");
    }
  }
  return std::nullopt;
}

std::optional<Problem> checkUnit(const v1::FederatedUnit& u) {
  if (auto p = firstOf({code("unit.code", u.code()), ident("unit.name_vi", u.name_vi()),
                        text("unit.name_en", u.name_en())})) {
    return p;
  }
  if (!u.parent().empty()) {
    if (auto p = code("unit.parent", u.parent())) return p;
  }
  if (!org::parseUnitKind(u.kind())) {
    return invalid("unit.kind", u.kind(), "là province, district, commune hoặc department",
                   "is one of province, district, commune, department");
  }
  return std::nullopt;
}

std::optional<Problem> checkTarget(const v1::FederatedTarget& t, bool removal) {
  if (auto p = firstOf({code("target.unit_code", t.unit_code()),
                        ident("target.policy_id", t.policy_id()),
                        ident("target.target_id", t.target_id())})) {
    return p;
  }
  if (removal) return std::nullopt;
  if (t.satisfied() > t.total()) {
    return invalid("target.satisfied", std::to_string(t.satisfied()), "lớn hơn total",
                   "exceeds total");
  }
  return text("target.status", t.status());
}

std::optional<Problem> checkLayer(const v1::FederatedLayer& l) {
  if (auto p =
          firstOf({code("layer.unit_code", l.unit_code()),
                   text("layer.evidence_vi", l.evidence_vi(), kMaxEvidenceBytes),
                   text("layer.evidence_en", l.evidence_en(), kMaxEvidenceBytes),
                   text("layer.reference", l.reference()), text("layer.document", l.document())})) {
    return p;
  }
  if (l.layer() < 1 || l.layer() > 4) {
    return invalid("layer.layer", std::to_string(l.layer()), "từ 1 đến 4", "must be 1 to 4");
  }
  return std::nullopt;
}

std::optional<Problem> checkSystem(const v1::FederatedSystem& s) {
  if (auto p =
          firstOf({code("system.code", s.code()), code("system.unit_code", s.unit_code()),
                   ident("system.name_vi", s.name_vi()), text("system.name_en", s.name_en())})) {
    return p;
  }
  if (s.level() < 1 || s.level() > 5) {
    return invalid("system.level", std::to_string(s.level()), "từ 1 đến 5", "must be 1 to 5");
  }
  return std::nullopt;
}

std::optional<Problem> checkAlertCount(const v1::FederatedAlertCount& a) {
  return firstOf({code("alert_count.unit_code", a.unit_code()), ident("alert_count.rule", a.rule()),
                  ident("alert_count.severity", a.severity())});
}

// A unit's own 2290 counts: every count within its machines, the reasons adding up to the
// machines not updated and the operating systems (each named once) to the machines, so
// that the parent's rolled-up report keeps the invariants of one counted here.
std::optional<Problem> checkReport2290(const v1::FederatedReport2290& r) {
  if (auto p = code("report_2290.unit_code", r.unit_code())) return p;
  auto within = [&](std::string_view field, std::uint32_t n) -> std::optional<Problem> {
    if (n <= r.machines()) return std::nullopt;
    return invalid(field, std::to_string(n),
                   "lớn hơn machines (" + std::to_string(r.machines()) + ")",
                   "exceeds machines (" + std::to_string(r.machines()) + ")");
  };
  if (auto p = firstOf({within("report_2290.auto_protect", r.auto_protect()),
                        within("report_2290.enable_firewall", r.enable_firewall()),
                        within("report_2290.not_updated", r.not_updated()),
                        within("report_2290.stale", r.stale())})) {
    return p;
  }
  std::uint64_t reasons = std::uint64_t{r.not_updated_report_too_old()} +
                          r.not_updated_no_anti_malware() + r.not_updated_signature_age_unknown() +
                          r.not_updated_signatures_too_old();
  if (reasons != r.not_updated()) {
    return invalid("report_2290.not_updated", std::to_string(r.not_updated()),
                   "khác tổng các lý do (" + std::to_string(reasons) + ")",
                   "differs from the sum of its reasons (" + std::to_string(reasons) + ")");
  }
  if (static_cast<std::size_t>(r.operating_systems_size()) > kMaxOsNames) {
    return Problem{"too_many_os_names",
                   "số liệu 2290 của đơn vị " + r.unit_code() + " có quá " +
                       std::to_string(kMaxOsNames) + " hệ điều hành (trường operating_systems)",
                   "the 2290 counts of unit " + r.unit_code() + " name more than " +
                       std::to_string(kMaxOsNames) +
                       " operating systems (field operating_systems)"};
  }
  std::uint64_t machines = 0;
  std::set<std::string_view> names;
  for (const auto& os : r.operating_systems()) {
    if (auto p = text("report_2290.operating_systems.os_name", os.os_name())) return p;
    if (!names.insert(os.os_name()).second) {
      return invalid("report_2290.operating_systems.os_name", os.os_name(), "bị lặp lại",
                     "appears twice");
    }
    machines += os.machines();
  }
  if (machines != r.machines()) {
    return invalid("report_2290.operating_systems", std::to_string(machines),
                   "tổng số máy khác machines (" + std::to_string(r.machines()) + ")",
                   "adds up to other than machines (" + std::to_string(r.machines()) + ")");
  }
  return std::nullopt;
}

}  // namespace

RowKind rowKind(const FederationChange& c) {
  switch (c.change_case()) {
    case FederationChange::kEndpoint:
    case FederationChange::kEndpointRemoved:
      return RowKind::Endpoint;
    case FederationChange::kUnit:
    case FederationChange::kUnitRemoved:
      return RowKind::Unit;
    case FederationChange::kTarget:
    case FederationChange::kTargetRemoved:
      return RowKind::Target;
    case FederationChange::kLayer:
    case FederationChange::kLayerRemoved:
      return RowKind::Layer;
    case FederationChange::kSystem:
    case FederationChange::kSystemRemoved:
      return RowKind::System;
    case FederationChange::kAlertCount:
    case FederationChange::kAlertCountRemoved:
      return RowKind::AlertCount;
    case FederationChange::kReport2290:
    case FederationChange::kReport2290Removed:
      return RowKind::Report2290;
    case FederationChange::CHANGE_NOT_SET:
      break;
  }
  assert(false && "a change without its row (checkChange refuses it)");
  return RowKind::Endpoint;
}

bool isRemoval(const FederationChange& c) {
  switch (c.change_case()) {
    case FederationChange::kEndpointRemoved:
    case FederationChange::kUnitRemoved:
    case FederationChange::kTargetRemoved:
    case FederationChange::kLayerRemoved:
    case FederationChange::kSystemRemoved:
    case FederationChange::kAlertCountRemoved:
    case FederationChange::kReport2290Removed:
      return true;
    default:
      return false;
  }
}

std::string changeKey(const FederationChange& c) {
  auto target = [](const v1::FederatedTarget& t) {
    return join({"target", t.unit_code(), t.policy_id(), t.target_id()});
  };
  auto layer = [](const v1::FederatedLayer& l) {
    return join({"layer", l.unit_code(), std::to_string(l.layer())});
  };
  auto alerts = [](const v1::FederatedAlertCount& a) {
    return join({"alerts", a.unit_code(), a.rule(), a.severity()});
  };
  switch (c.change_case()) {
    case FederationChange::kEndpoint:
      return join({"endpoint", c.endpoint().agent_id()});
    case FederationChange::kEndpointRemoved:
      return join({"endpoint", c.endpoint_removed()});
    case FederationChange::kUnit:
      return join({"unit", c.unit().code()});
    case FederationChange::kUnitRemoved:
      return join({"unit", c.unit_removed()});
    case FederationChange::kTarget:
      return target(c.target());
    case FederationChange::kTargetRemoved:
      return target(c.target_removed());
    case FederationChange::kLayer:
      return layer(c.layer());
    case FederationChange::kLayerRemoved:
      return layer(c.layer_removed());
    case FederationChange::kSystem:
      return join({"system", c.system().code()});
    case FederationChange::kSystemRemoved:
      return join({"system", c.system_removed()});
    case FederationChange::kAlertCount:
      return alerts(c.alert_count());
    case FederationChange::kAlertCountRemoved:
      return alerts(c.alert_count_removed());
    case FederationChange::kReport2290:
      return join({"report2290", c.report_2290().unit_code()});
    case FederationChange::kReport2290Removed:
      return join({"report2290", c.report_2290_removed()});
    case FederationChange::CHANGE_NOT_SET:
      break;
  }
  return {};
}

FederationChange removalOf(const FederationChange& c) {
  FederationChange r;
  switch (c.change_case()) {
    case FederationChange::kEndpoint:
      r.set_endpoint_removed(c.endpoint().agent_id());
      break;
    case FederationChange::kUnit:
      r.set_unit_removed(c.unit().code());
      break;
    case FederationChange::kTarget: {
      auto* t = r.mutable_target_removed();
      t->set_unit_code(c.target().unit_code());
      t->set_policy_id(c.target().policy_id());
      t->set_target_id(c.target().target_id());
      break;
    }
    case FederationChange::kLayer: {
      auto* l = r.mutable_layer_removed();
      l->set_unit_code(c.layer().unit_code());
      l->set_layer(c.layer().layer());
      break;
    }
    case FederationChange::kSystem:
      r.set_system_removed(c.system().code());
      break;
    case FederationChange::kAlertCount: {
      auto* a = r.mutable_alert_count_removed();
      a->set_unit_code(c.alert_count().unit_code());
      a->set_rule(c.alert_count().rule());
      a->set_severity(c.alert_count().severity());
      break;
    }
    case FederationChange::kReport2290:
      r.set_report_2290_removed(c.report_2290().unit_code());
      break;
    default:
      r = c;  // already a removal
  }
  return r;
}

std::string unitOf(const FederationChange& c) {
  switch (c.change_case()) {
    case FederationChange::kEndpoint:
      return c.endpoint().unit_code();
    case FederationChange::kUnit:
      return c.unit().code();
    case FederationChange::kTarget:
      return c.target().unit_code();
    case FederationChange::kLayer:
      return c.layer().unit_code();
    case FederationChange::kSystem:
      return c.system().unit_code();
    case FederationChange::kAlertCount:
      return c.alert_count().unit_code();
    case FederationChange::kReport2290:
      return c.report_2290().unit_code();
    default:
      return {};
  }
}

std::optional<Problem> checkChange(const FederationChange& c) {
  switch (c.change_case()) {
    case FederationChange::kEndpoint:
      return checkEndpoint(c.endpoint());
    case FederationChange::kEndpointRemoved:
      return ident("endpoint_removed", c.endpoint_removed());
    case FederationChange::kUnit:
      return checkUnit(c.unit());
    case FederationChange::kUnitRemoved:
      return code("unit_removed", c.unit_removed());
    case FederationChange::kTarget:
      return checkTarget(c.target(), false);
    case FederationChange::kTargetRemoved:
      return checkTarget(c.target_removed(), true);
    case FederationChange::kLayer:
      return checkLayer(c.layer());
    case FederationChange::kLayerRemoved:
      return checkLayer(c.layer_removed());
    case FederationChange::kSystem:
      return checkSystem(c.system());
    case FederationChange::kSystemRemoved:
      return code("system_removed", c.system_removed());
    case FederationChange::kAlertCount:
      return checkAlertCount(c.alert_count());
    case FederationChange::kAlertCountRemoved:
      return checkAlertCount(c.alert_count_removed());
    case FederationChange::kReport2290:
      return checkReport2290(c.report_2290());
    case FederationChange::kReport2290Removed:
      return code("report_2290_removed", c.report_2290_removed());
    case FederationChange::CHANGE_NOT_SET:
      break;
  }
  return Problem{"empty_change", "thay đổi không mang hàng nào", "the change carries no row"};
}

std::string serialize(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace posture::collector::federation

#include "collector/storage/endpoint_posture.h"

#include <cmath>
#include <utility>
#include <vector>

#include "collector/policy/facts.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {

namespace {

int tri(const policy::FactValue* v) {
  if (const bool* b = v ? std::get_if<bool>(v) : nullptr) return *b ? 1 : 0;
  return -1;
}

std::int64_t count(const policy::FactValue* v) {
  const double* d = v ? std::get_if<double>(v) : nullptr;
  return d && std::isfinite(*d) && *d >= 0 ? static_cast<std::int64_t>(*d) : -1;
}

std::string text(const policy::FactValue* v) {
  const std::string* s = v ? std::get_if<std::string>(v) : nullptr;
  return s ? *s : std::string();
}

}  // namespace

const char* const kPostureColumns[10] = {"os",           "av_product",     "av_installed",
                                         "av_real_time", "av_signature_at", "patch_pending",
                                         "patch_security", "reboot_required", "ipv6_level",
                                         "firewall_on"};

EndpointPosture postureOf(const posture::v1::Report& report, std::int64_t now) {
  policy::Facts facts = policy::factsFromReport(report, now);
  EndpointPosture p;
  // As the list has always shown it: the identity's name and version, whatever its probe
  // status (the name is what the agent read, even from a partial probe).
  p.os = report.identity().os_name();
  if (!p.os.empty() && !report.identity().os_version().empty()) p.os += " " + report.identity().os_version();
  p.avInstalled = tri(facts.get("antivirus.installed"));
  p.avProduct = text(facts.get("antivirus.products"));
  p.avRealTime = tri(facts.get("antivirus.real_time"));
  if (const auto* age = facts.get("antivirus.signature_age_days")) {
    if (const double* d = std::get_if<double>(age); d && std::isfinite(*d)) {
      p.avSignatureAt = now - std::llround(*d * 86400.0);
      if (p.avSignatureAt <= 0) p.avSignatureAt = 1;  // 0 is "unknown"
    }
  }
  p.patchPending = count(facts.get("patches.pending"));
  p.patchSecurity = count(facts.get("patches.pending_security"));
  p.rebootRequired = tri(facts.get("patches.reboot_required"));
  p.ipv6Level = static_cast<int>(count(facts.get("ipv6.level")));
  p.firewallOn = tri(facts.get("firewall.enabled"));
  return p;
}

EndpointPosture postureOfBody(const std::string& body, std::int64_t now) {
  posture::v1::Report report;
  if (!report.ParseFromString(body)) return {};
  return postureOf(report, now);
}

int bindPosture(db::Statement& st, int first, const EndpointPosture& p) {
  st.bind(first, p.os)
      .bind(first + 1, p.avProduct)
      .bind(first + 2, p.avInstalled)
      .bind(first + 3, p.avRealTime)
      .bind(first + 4, p.avSignatureAt)
      .bind(first + 5, p.patchPending)
      .bind(first + 6, p.patchSecurity)
      .bind(first + 7, p.rebootRequired)
      .bind(first + 8, p.ipv6Level)
      .bind(first + 9, p.firewallOn);
  return first + 10;
}

void bindPostureColumn(db::Statement& st, int index, int column, const EndpointPosture& p) {
  switch (column) {
    case 0: st.bind(index, p.os); break;
    case 1: st.bind(index, p.avProduct); break;
    case 2: st.bind(index, p.avInstalled); break;
    case 3: st.bind(index, p.avRealTime); break;
    case 4: st.bind(index, p.avSignatureAt); break;
    case 5: st.bind(index, p.patchPending); break;
    case 6: st.bind(index, p.patchSecurity); break;
    case 7: st.bind(index, p.rebootRequired); break;
    case 8: st.bind(index, p.ipv6Level); break;
    default: st.bind(index, p.firewallOn); break;
  }
}

PostureWriter::PostureWriter(db::Connection& db)
    : db_(db),
      read_(db.prepare("SELECT os, av_product, av_installed, av_real_time, av_signature_at, patch_pending, "
                       "patch_security, reboot_required, ipv6_level, firewall_on FROM endpoints WHERE agent_id = ?")) {}

void PostureWriter::write(const std::string& agentId, const EndpointPosture& p) {
  read_.reset();
  read_.bind(1, agentId);
  if (!read_.step()) {
    read_.reset();
    return;
  }
  const std::int64_t ints[10] = {0, 0, p.avInstalled, p.avRealTime, p.avSignatureAt, p.patchPending,
                                 p.patchSecurity, p.rebootRequired, p.ipv6Level, p.firewallOn};
  unsigned changed = 0;
  for (int i = 0; i < 10; ++i) {
    bool same = !read_.isNull(i) && (i == 0   ? read_.getText(0) == p.os
                                     : i == 1 ? read_.getText(1) == p.avProduct
                                              : read_.getInt(i) == ints[i]);
    if (!same) changed |= 1u << i;
  }
  // Reset at once: a statement left on a row keeps its read open.
  read_.reset();
  if (!changed) return;
  auto it = updates_.find(changed);
  if (it == updates_.end()) {
    std::string set;
    for (int i = 0; i < 10; ++i) {
      if (!(changed & (1u << i))) continue;
      if (!set.empty()) set += ", ";
      set += std::string(kPostureColumns[i]) + " = ?" + std::to_string(i + 1);
    }
    it = updates_.emplace(changed, db_.prepare("UPDATE endpoints SET " + set + " WHERE agent_id = ?11")).first;
  }
  auto& st = it->second;
  st.reset();
  for (int i = 0; i < 10; ++i)
    if (changed & (1u << i)) bindPostureColumn(st, i + 1, i, p);
  st.bind(11, agentId).run();
}

std::int64_t fillMissingPosture(db::Connection& db, std::int64_t now, int batch) {
  std::string set;
  for (int i = 0; i < 10; ++i) {
    if (i) set += ", ";
    set += std::string(kPostureColumns[i]) + " = ?" + std::to_string(i + 1);
  }
  {
    // endpoints_os holds the NULLs first: one index probe when nothing is missing, and
    // no write lock taken (every console connection opens the database this way).
    auto any = db.prepare("SELECT EXISTS (SELECT 1 FROM endpoints INDEXED BY endpoints_os WHERE os IS NULL)");
    if (!any.step() || any.getInt(0) == 0) return 0;
  }
  std::int64_t filled = 0;
  for (;;) {
    db::Transaction tx(db);
    std::vector<std::pair<std::string, std::string>> rows;  // agent id, report body
    {
      auto st = db.prepare(
          "SELECT e.agent_id, r.body FROM endpoints e INDEXED BY endpoints_os "
          "JOIN reports r ON r.id = e.report_id WHERE e.os IS NULL LIMIT ?");
      st.bind(1, batch);
      while (st.step()) rows.emplace_back(st.getText(0), st.getBlob(1));
    }
    if (rows.empty()) break;
    auto up = db.prepare("UPDATE endpoints SET " + set + " WHERE agent_id = ?11");
    for (const auto& [agent, body] : rows) {
      up.reset();
      bindPosture(up, 1, postureOfBody(body, now));
      up.bind(11, agent).run();
    }
    tx.commit();
    filled += static_cast<std::int64_t>(rows.size());
  }
  return filled;
}

}  // namespace posture::collector

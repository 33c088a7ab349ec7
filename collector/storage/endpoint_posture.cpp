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

std::int64_t fillMissingPosture(db::Connection& db, std::int64_t now, int batch) {
  std::string set;
  for (int i = 0; i < 10; ++i) {
    if (i) set += ", ";
    set += std::string(kPostureColumns[i]) + " = ?" + std::to_string(i + 1);
  }
  {
    // endpoints_posture_missing holds only those rows: one index probe when nothing is missing, and
    // no write lock taken (every console connection opens the database this way).
    auto any = db.prepare("SELECT EXISTS (SELECT 1 FROM endpoints INDEXED BY endpoints_posture_missing WHERE os IS NULL)");
    if (!any.step() || any.getInt(0) == 0) return 0;
  }
  std::int64_t filled = 0;
  for (;;) {
    db::Transaction tx(db);
    std::vector<std::pair<std::string, std::string>> rows;  // agent id, report body
    {
      auto st = db.prepare(
          "SELECT e.agent_id, r.body FROM endpoints e INDEXED BY endpoints_posture_missing "
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

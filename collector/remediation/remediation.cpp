#include "collector/remediation/remediation.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "collector/evaluation/model.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {
namespace {

struct Texts {
  std::string_view key, titleVi, titleEn, adviceVi, adviceEn;
};

const Texts& texts(RemediationAction a) {
  static const Texts kTexts[] = {
      {"antivirus", "Cài đặt hoặc bật phần mềm phòng, chống mã độc",
       "Install or enable anti-malware",
       "Cài đặt phần mềm phòng, chống mã độc có bản quyền (ví dụ BKAV, Kaspersky), kết nối với "
       "máy chủ quản trị tập trung và bật bảo vệ thời gian thực.",
       "Install licensed anti-malware (for example BKAV or Kaspersky), connect it to the "
       "management server and turn on real-time protection."},
      {"signatures", "Cập nhật mẫu nhận diện mã độc", "Update signatures",
       "Kiểm tra kết nối tới máy chủ cập nhật hoặc máy chủ quản trị tập trung, chạy cập nhật mẫu "
       "nhận diện ngay và bật cập nhật tự động.",
       "Check the connection to the update or management server, run a signature update now and "
       "turn on automatic updates."},
      {"updates", "Cài đặt bản cập nhật bảo mật và khởi động lại",
       "Install security updates and restart",
       "Cài đặt các bản cập nhật bảo mật đang chờ (Windows Update hoặc apt) rồi khởi động lại "
       "máy; bật cập nhật tự động.",
       "Install the pending security updates (Windows Update or apt), then restart the machine; "
       "turn on automatic updates."},
      {"firewall", "Bật tường lửa", "Turn on the firewall",
       "Bật tường lửa của hệ điều hành (Windows Defender Firewall, ufw, firewalld hoặc nftables) "
       "cho mọi cấu hình mạng.",
       "Turn on the operating system firewall (Windows Defender Firewall, ufw, firewalld or "
       "nftables) for every network profile."},
      {"ipv6", "Bước tiếp theo về IPv6", "Next IPv6 step",
       "Thực hiện bước ghi ở từng máy để lên mức sẵn sàng IPv6 tiếp theo, theo kế hoạch chuyển "
       "đổi IPv6 của đơn vị.",
       "Take the step named on each machine to reach the next IPv6 readiness level, following "
       "the unit's IPv6 transition plan."},
      {"reporting", "Khôi phục báo cáo của tác tử", "Restore the agent's reporting",
       "Kiểm tra máy còn hoạt động, dịch vụ tác tử posture-agent đang chạy và kết nối được tới "
       "máy chủ thu thập; với thông tin không rõ, xem nhật ký của tác tử.",
       "Check that the machine is on, the posture-agent service is running and reaches the "
       "collector; for unknown facts, read the agent's log."},
  };
  return kTexts[static_cast<std::size_t>(a)];
}

std::optional<double> number(const policy::Facts& f, std::string_view name) {
  const auto* v = f.get(name);
  if (const double* d = v ? std::get_if<double>(v) : nullptr) return *d;
  return std::nullopt;
}

std::optional<bool> boolean(const policy::Facts& f, std::string_view name) {
  const auto* v = f.get(name);
  if (const bool* b = v ? std::get_if<bool>(v) : nullptr) return *b;
  return std::nullopt;
}

std::string text(const policy::Facts& f, std::string_view name) {
  const auto* v = f.get(name);
  if (const auto* s = v ? std::get_if<std::string>(v) : nullptr) return *s;
  return {};
}

std::string num(double v, bool vi) { return policy::formatFact(policy::FactValue{v}, vi); }

// Every comparison of a predicate tree, named predicates included.
void comparisons(const policy::Predicate& p, std::vector<const policy::Comparison*>& out) {
  switch (p.kind) {
    case policy::Predicate::Kind::Comparison:
      out.push_back(&p.comparison);
      return;
    case policy::Predicate::Kind::Ref:
      if (p.resolved) comparisons(*p.resolved, out);
      return;
    default:
      for (const auto& c : p.children) comparisons(c, out);
  }
}

std::optional<double> value(const policy::Comparison& c) {
  if (c.values.size() != 1) return std::nullopt;
  if (const double* d = std::get_if<double>(&c.values[0])) return *d;
  return std::nullopt;
}

// "7 ngày (binh-son-2022/signatures-recent)" or "15 ngày (mặc định, Công văn 2290)".
std::string limitText(const std::string& amount, const std::string& from, std::string_view dflt) {
  return amount + " (" + (from.empty() ? std::string(dflt) : from) + ")";
}

std::string ageText(std::int64_t seconds, bool vi) {
  std::int64_t days = seconds / util::kSecondsPerDay;
  if (days >= 1) return std::to_string(days) + (vi ? " ngày" : days == 1 ? " day" : " days");
  std::int64_t hours = std::max<std::int64_t>(seconds / util::kSecondsPerHour, 0);
  return std::to_string(hours) + (vi ? " giờ" : hours == 1 ? " hour" : " hours");
}

Ipv6Detail ipv6Detail(const posture::v1::Report* report) {
  Ipv6Detail d;
  if (!report || !report->has_ipv6() ||
      report->ipv6().probe().status() != posture::v1::PROBE_STATUS_OK)
    return d;
  const auto& ip = report->ipv6();
  if (ip.default_route() == posture::v1::TRISTATE_ON) d.defaultRoute = true;
  if (ip.default_route() == posture::v1::TRISTATE_OFF) d.defaultRoute = false;
  d.resolver = !ip.resolvers().empty();
  if (ip.has_collector_aaaa() && ip.collector_aaaa().status() != posture::v1::PROBE_STATUS_UNSPECIFIED)
    d.collectorAaaa = ip.collector_aaaa().status() == posture::v1::PROBE_STATUS_OK;
  if (ip.has_collector_connect() &&
      ip.collector_connect().status() != posture::v1::PROBE_STATUS_UNSPECIFIED)
    d.collectorConnect = ip.collector_connect().status() == posture::v1::PROBE_STATUS_OK;
  return d;
}

// The step from `level` to the next one (domain.md, "IPv6 readiness").
void ipv6Step(int level, const Ipv6Detail& d, RemediationFinding& f) {
  auto add = [&](std::string_view vi, std::string_view en) {
    f.stepVi += (f.stepVi.empty() ? "" : "; ") + std::string(vi);
    f.stepEn += (f.stepEn.empty() ? "" : "; ") + std::string(en);
  };
  switch (level) {
    case 0:
      add("Bật IPv6 trên máy", "Enable IPv6 on the host");
      break;
    case 1:
      add("Cấu hình địa chỉ IPv6 định tuyến được (SLAAC, DHCPv6 hoặc tĩnh)",
          "Configure a routable IPv6 address (SLAAC, DHCPv6 or static)");
      break;
    case 2:
      if (d.defaultRoute != true) add("Thêm tuyến mặc định IPv6", "Add an IPv6 default route");
      if (d.resolver != true)
        add("Cấu hình máy chủ DNS truy cập được qua IPv6",
            "Configure a DNS resolver reachable over IPv6");
      break;
    default:
      if (d.collectorAaaa != true)
        add("Bảo đảm phân giải được bản ghi AAAA của máy chủ thu thập",
            "Make the collector's AAAA record resolve");
      if (d.collectorConnect != true)
        add("Cho phép kết nối IPv6 tới máy chủ thu thập (định tuyến, tường lửa)",
            "Allow IPv6 connections to the collector (routing, firewall)");
      break;
  }
}
}  // namespace

std::string_view remediationKey(RemediationAction a) { return texts(a).key; }
std::string_view remediationTitle(RemediationAction a, bool vi) {
  return vi ? texts(a).titleVi : texts(a).titleEn;
}
std::string_view remediationAdvice(RemediationAction a, bool vi) {
  return vi ? texts(a).adviceVi : texts(a).adviceEn;
}

RemediationThresholds remediationThresholds(const std::vector<const policy::Policy*>& inForce) {
  RemediationThresholds t;
  std::optional<double> sig, pend;
  std::optional<int> level;
  for (const auto* p : inForce) {
    for (const auto& check : p->checks) {
      std::vector<const policy::Comparison*> cs;
      comparisons(check.predicate, cs);
      const std::string from = p->id + "/" + check.id;
      for (const auto* c : cs) {
        auto v = value(*c);
        if (!v) continue;
        if (c->fact == "antivirus.signature_age_days" &&
            (c->op == policy::Op::Le || c->op == policy::Op::Lt)) {
          // Ages are whole days in practice: "lt 8" holds to 7 as "le 7" does.
          double max = c->op == policy::Op::Le ? *v : *v - 1;
          if (!sig || max < *sig) sig = max, t.signatureFrom = from;
        } else if (c->fact == "patches.pending_security" &&
                   (c->op == policy::Op::Eq || c->op == policy::Op::Le ||
                    c->op == policy::Op::Lt)) {
          double max = c->op == policy::Op::Lt ? *v - 1 : *v;
          if (!pend || max < *pend) pend = max, t.updatesFrom = from;
        } else if (c->fact == "ipv6.level" &&
                   (c->op == policy::Op::Ge || c->op == policy::Op::Gt ||
                    c->op == policy::Op::Eq)) {
          int need = static_cast<int>(std::ceil(c->op == policy::Op::Gt ? *v + 1 : *v));
          if (!level || need > *level) level = need, t.ipv6From = from;
        }
      }
    }
  }
  if (sig) t.signatureMaxDays = *sig;
  if (pend) t.pendingSecurityMax = *pend;
  if (level) t.ipv6Level = std::clamp(*level, 0, 4);
  return t;
}

std::vector<RemediationFinding> remediationFindings(const policy::Facts& facts,
                                                    const Ipv6Detail& ipv6,
                                                    const RemediationThresholds& limits,
                                                    bool decoded, bool stale,
                                                    std::int64_t lastSeen, std::int64_t now) {
  std::vector<RemediationFinding> out;
  std::vector<std::pair<std::string, std::string>> unknown;  // (vi, en) of each unknown fact
  auto finding = [&](RemediationAction a, std::string vi, std::string en) -> RemediationFinding& {
    out.push_back({a, std::move(vi), std::move(en), {}, {}});
    return out.back();
  };

  if (decoded) {
    auto installed = boolean(facts, "antivirus.installed");
    auto realTime = boolean(facts, "antivirus.real_time");
    std::string products = text(facts, "antivirus.products");
    if (installed == false) {
      finding(RemediationAction::Antivirus, "Chưa cài phần mềm phòng, chống mã độc",
              "No anti-malware installed");
    } else if (installed == true && realTime == false) {
      std::string p = products.empty() ? "" : " (" + products + ")";
      finding(RemediationAction::Antivirus, "Bảo vệ thời gian thực đang tắt" + p,
              "Real-time protection off" + p);
    } else if (!installed || !realTime) {
      unknown.emplace_back("phần mềm phòng, chống mã độc", "anti-malware");
    }

    // Nothing to update where nothing is installed: that is the action above.
    if (installed != false) {
      auto age = number(facts, "antivirus.signature_age_days");
      if (age && *age > limits.signatureMaxDays) {
        // Whole days, unless that would read as within the limit (7.5 days over 7).
        double shown = std::floor(*age) > limits.signatureMaxDays ? std::floor(*age)
                                                                   : std::ceil(*age * 10) / 10;
        finding(RemediationAction::Signatures,
                num(shown, true) + " ngày (ngưỡng " + num(limits.signatureMaxDays, true) + " ngày)",
                num(shown, false) + " days (limit " + num(limits.signatureMaxDays, false) +
                    " days)");
      } else if (!age && installed == true) {
        unknown.emplace_back("tuổi mẫu nhận diện", "signature age");
      }
    }

    auto pending = number(facts, "patches.pending_security");
    auto reboot = boolean(facts, "patches.reboot_required");
    std::string vi, en;
    if (pending && *pending > limits.pendingSecurityMax) {
      vi = num(*pending, true) + " bản cập nhật bảo mật đang chờ";
      en = num(*pending, false) + (*pending == 1 ? " security update pending"
                                                  : " security updates pending");
    }
    if (reboot == true) {
      vi += (vi.empty() ? "" : "; ") + std::string("cần khởi động lại");
      en += (en.empty() ? "" : "; ") + std::string("restart required");
    }
    if (!vi.empty()) {
      finding(RemediationAction::Updates, vi, en);
    } else if (!pending) {
      unknown.emplace_back("bản cập nhật bảo mật", "security updates");
    }

    auto firewall = boolean(facts, "firewall.enabled");
    if (firewall == false) {
      std::string backend = text(facts, "firewall.backend");
      std::string b = backend.empty() ? "" : " (" + backend + ")";
      finding(RemediationAction::Firewall, "Tường lửa đang tắt" + b, "Firewall off" + b);
    } else if (!firewall) {
      unknown.emplace_back("tường lửa", "firewall");
    }

    auto level = number(facts, "ipv6.level");
    if (level && *level < limits.ipv6Level) {
      int l = static_cast<int>(*level);
      auto& f = finding(RemediationAction::Ipv6,
                        "Mức " + std::to_string(l) + " (cần mức " +
                            std::to_string(limits.ipv6Level) + ")",
                        "Level " + std::to_string(l) + " (level " +
                            std::to_string(limits.ipv6Level) + " required)");
      ipv6Step(l, ipv6, f);
    } else if (!level) {
      unknown.emplace_back("mức sẵn sàng IPv6", "IPv6 readiness level");
    }
  }

  if (!decoded || stale || !unknown.empty()) {
    std::string vi, en, stepVi, stepEn;
    if (stale) {
      vi = "Không báo cáo " + ageText(now - lastSeen, true);
      en = "No report for " + ageText(now - lastSeen, false);
    }
    if (!decoded) {
      vi += (vi.empty() ? "" : "; ") + std::string("báo cáo không đọc được");
      en += (en.empty() ? "" : "; ") + std::string("report unreadable");
    }
    for (const auto& [uvi, uen] : unknown) {
      stepVi += (stepVi.empty() ? "Không rõ: " : ", ") + uvi;
      stepEn += (stepEn.empty() ? "Unknown: " : ", ") + uen;
    }
    if (vi.empty()) vi = stepVi, en = stepEn, stepVi.clear(), stepEn.clear();
    auto& f = finding(RemediationAction::Reporting, vi, en);
    f.stepVi = stepVi;
    f.stepEn = stepEn;
  }
  return out;
}

RemediationList buildRemediation(const ExportSource& src, const std::string& unitCode,
                                 std::int64_t staleAfterSeconds, bool vietnamese,
                                 std::int64_t now) {
  if (!src.policies) throw std::invalid_argument("buildRemediation: no policies");
  const org::OrgModel* org = src.org.get();
  RemediationList out;
  out.unitCode = unitCode;
  out.generatedAt = now;
  out.staleAfterSeconds = staleAfterSeconds;
  out.caFingerprint = src.caFingerprint;
  out.vietnamese = vietnamese;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) out.collector = host;

  auto selection = selectUnits(org, src.endpoints, unitCode);
  out.units = std::move(selection.units);
  out.unitNameVi = std::move(selection.nameVi);
  out.unitNameEn = std::move(selection.nameEn);
  std::map<std::string, std::size_t> order;
  for (std::size_t i = 0; i < out.units.size(); ++i) order.emplace(out.units[i], i);

  ModelOptions options;
  options.org = src.org;
  options.staleAfterSeconds = staleAfterSeconds;
  FleetModel model(src.policies, options);
  // The thresholds of each unit, from the policies in force there (read before the
  // rebuild runs its threads; applies() is safe while the model is not changing).
  std::map<std::string, RemediationThresholds> limits;
  auto limitsAt = [&](const std::string& unit) {
    std::vector<const policy::Policy*> inForce;
    for (std::size_t p = 0; p < src.policies->size(); ++p) {
      if (model.applies(p, unit)) inForce.push_back(&(*src.policies)[p]);
    }
    return remediationThresholds(inForce);
  };

  // Only the selection is evaluated: the list counts no target, so nothing rolls up from
  // outside it (a district of a 100,000-endpoint province decodes its own reports only).
  std::vector<StoredEndpoint> subset;
  const std::vector<StoredEndpoint>* rows = &src.endpoints;
  if (!unitCode.empty()) {
    for (const auto& s : src.endpoints)
      if (order.count(s.unitCode)) subset.push_back(s);
    rows = &subset;
  }
  std::vector<std::vector<RemediationFinding>> found(rows->size());
  std::vector<std::string> os(rows->size());
  std::vector<char> inScope(rows->size(), 0);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto& unit = (*rows)[i].unitCode;
    if (!order.count(unit)) continue;
    inScope[i] = 1;
    if (!limits.count(unit)) limits.emplace(unit, limitsAt(unit));
  }
  RebuildOptions how;
  how.wantAlerts = false;
  how.threads = 0;
  how.onEndpoint = [&](std::size_t i, const posture::v1::Report* report, const policy::Facts& facts,
                       const std::vector<policy::Tri>&) {
    if (!inScope[i]) return;
    const auto& s = (*rows)[i];
    bool stale = now - s.lastSeen > staleAfterSeconds;
    // A child collector's row has no report but its facts: it is readable.
    bool decoded = report != nullptr || !s.federated.empty();
    os[i] = text(facts, "endpoint.os_name");
    found[i] = remediationFindings(facts, ipv6Detail(report), limits.at(s.unitCode), decoded,
                                   stale, s.lastSeen, now);
  };
  model.rebuild(*rows, now, how);

  for (auto a : kRemediationActions) out.groups.push_back({a, {}, {}, {}});
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (!inScope[i]) continue;
    ++out.endpoints;
    if (found[i].empty()) continue;
    ++out.machinesToFix;
    const auto& s = (*rows)[i];
    RemediationItem base;
    base.unitCode = s.unitCode;
    if (const auto* u = org ? org->findUnit(s.unitCode) : nullptr) {
      base.unitNameVi = u->nameVi;
      base.unitNameEn = u->nameEn;
    }
    base.hostname = s.hostname;
    base.os = std::move(os[i]);
    base.agentId = s.agentId;
    base.lastSeen = s.lastSeen;
    base.stale = now - s.lastSeen > staleAfterSeconds;
    for (auto& f : found[i]) {
      RemediationItem item = base;
      item.observedVi = std::move(f.observedVi);
      item.observedEn = std::move(f.observedEn);
      item.stepVi = std::move(f.stepVi);
      item.stepEn = std::move(f.stepEn);
      out.groups[static_cast<std::size_t>(f.action)].items.push_back(std::move(item));
    }
  }
  for (auto& g : out.groups) {
    std::stable_sort(g.items.begin(), g.items.end(), [&](const auto& a, const auto& b) {
      return std::tie(order[a.unitCode], a.hostname, a.agentId) <
             std::tie(order[b.unitCode], b.hostname, b.agentId);
    });
  }

  // The limits used, each once with where it came from.
  auto describe = [&](RemediationAction a, bool vi) {
    std::set<std::string> seen;
    std::string all;
    for (const auto& [unit, t] : limits) {
      std::string s;
      switch (a) {
        case RemediationAction::Signatures:
          s = limitText(num(t.signatureMaxDays, vi) + (vi ? " ngày" : " days"), t.signatureFrom,
                        vi ? "mặc định, Công văn 2290" : "default, Công văn 2290");
          break;
        case RemediationAction::Updates:
          s = limitText((vi ? "tối đa " : "at most ") + num(t.pendingSecurityMax, vi) +
                            (vi ? " bản đang chờ" : " pending"),
                        t.updatesFrom, vi ? "mặc định" : "default");
          break;
        case RemediationAction::Ipv6:
          s = limitText((vi ? "mức " : "level ") + std::to_string(t.ipv6Level), t.ipv6From,
                        vi ? "mặc định: địa chỉ định tuyến được" : "default: a routable address");
          break;
        case RemediationAction::Reporting:
          s = (vi ? "quá hạn sau " : "stale after ") +
              ageText(staleAfterSeconds, vi);
          break;
        default:
          return std::string();
      }
      if (seen.insert(s).second) all += (all.empty() ? "" : "; ") + s;
    }
    return all;
  };
  for (auto& g : out.groups) {
    g.thresholdVi = describe(g.action, true);
    g.thresholdEn = describe(g.action, false);
  }
  return out;
}

RemediationList buildRemediation(db::Connection& db,
                                 std::shared_ptr<const std::vector<policy::Policy>> policies,
                                 const std::string& unitCode, std::int64_t staleAfterSeconds,
                                 bool vietnamese, const std::string& caFingerprint,
                                 std::int64_t now) {
  ExportFilters f;
  f.unitCode = unitCode;
  f.staleAfterSeconds = staleAfterSeconds;
  f.vietnamese = vietnamese;
  ExportSource src = loadExportSource(db, f, caFingerprint, now);
  src.policies = std::move(policies);
  return buildRemediation(src, unitCode, staleAfterSeconds, vietnamese, now);
}

}  // namespace posture::collector

// `status`: the per-unit summary now (the live engine over the stored reports) or as recorded on a past day.
#include "collector/status/cli.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "collector/alerts/alerts.h"
#include "collector/cli/options.h"
#include "collector/evaluation/history.h"
#include "collector/evaluation/model.h"
#include "collector/evaluation/stale.h"
#include "collector/exceptions/exceptions.h"
#include "collector/federation/held.h"
#include "collector/federation/mounts.h"
#include "collector/org/org.h"
#include "collector/policy/policy.h"
#include "collector/status/status.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace fs = std::filesystem;
using cli::policyDir;
using cli::vietnamese;

const char* const kStatusUsage = R"(  posture-collector status --data-dir DIR [--policies DIR] [--lang vi|en] [--as-of YYYY-MM-DD] [--stale-after 7d]
)";

namespace {
std::string historyStatus(const std::string& key, bool vi) {
  if (key == "met") return vi ? "đạt" : "met";
  if (key == "at-risk") return vi ? "có nguy cơ" : "at risk";
  if (key == "missed") return vi ? "chưa đạt" : "missed";
  return vi ? "không có dữ liệu" : "no data";
}

// The recorded value of every target per unit on a past day (compliance_history).
int statusAsOf(const util::Args& a, bool vi) {
  auto day = util::parseDate(a.getOr("as-of", ""));
  if (!day) throw util::ArgsError("--as-of must be a date YYYY-MM-DD, got '" + a.getOr("as-of", "") + "'");
  auto db = openExistingDatabase(a.require("data-dir"));
  std::int64_t d = *day;
  auto rows = historyAsOf(*db, d);
  std::printf("%s %s\n", vi ? "Tình trạng tuân thủ theo số liệu đã ghi đến ngày" : "Compliance as recorded up to",
              util::formatDate(d).c_str());
  if (rows.empty()) {
    std::printf("%s\n", vi ? "Không có số liệu nào được ghi trước ngày này." : "Nothing was recorded before that day.");
    return 0;
  }
  std::string last;
  for (const auto& r : rows) {
    std::string key = r.policyId + "/" + r.targetId;
    if (key != last) {
      std::printf("\n%s %s\n", vi ? "Chỉ tiêu" : "Target", key.c_str());
      last = key;
    }
    double pct = r.total ? 100.0 * r.satisfied / r.total : 0.0;
    std::printf("  %-16s %u/%u  %5.1f%%  %s  (%s %s)\n",
                r.unitCode.empty() ? (vi ? "TOÀN BỘ" : "ALL UNITS") : r.unitCode.c_str(),
                r.satisfied, r.total, pct, historyStatus(r.status, vi).c_str(),
                vi ? "ngày" : "day", util::formatDate(r.day).c_str());
  }
  return 0;
}

// A summary child's own figures, as it pushed them: its plans' target values per unit
// (no endpoint row is here to evaluate them from) and the machines of its 2290 counts.
void printSummaryFigures(const federation::ChildLink& child,
                         const std::vector<federation::HeldRow>& targets,
                         const std::vector<federation::HeldRow>& counts,
                         const std::map<std::string, std::size_t>& treeOrder, bool vi) {
  std::uint64_t machines = 0, autoProtect = 0, firewall = 0, notUpdated = 0;
  for (const auto& h : counts) {
    if (h.childId != child.childId) continue;
    const auto& r = h.change.report_2290();
    machines += r.machines();
    autoProtect += r.auto_protect();
    firewall += r.enable_firewall();
    notUpdated += r.not_updated();
  }
  std::printf("    %s %llu; %s %llu; %s %llu; %s %llu\n",
              vi ? "Số máy (số liệu 2290 đã đẩy):" : "Machines (pushed 2290 counts):",
              static_cast<unsigned long long>(machines),
              vi ? "bật bảo vệ thời gian thực" : "real-time protection on",
              static_cast<unsigned long long>(autoProtect), vi ? "bật tường lửa" : "firewall on",
              static_cast<unsigned long long>(firewall),
              vi ? "không cập nhật trong 15 ngày" : "not updated in 15 days",
              static_cast<unsigned long long>(notUpdated));
  std::vector<const v1::FederatedTarget*> rows;
  for (const auto& h : targets) {
    if (h.childId == child.childId) rows.push_back(&h.change.target());
  }
  if (rows.empty()) return;
  // By target, then its units in tree order, as the targets above.
  auto place = [&](const std::string& unit) {
    auto it = treeOrder.find(unit);
    return it == treeOrder.end() ? treeOrder.size() : it->second;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto* a, const auto* b) {
    return std::make_tuple(std::cref(a->policy_id()), std::cref(a->target_id()),
                           place(a->unit_code())) < std::make_tuple(std::cref(b->policy_id()),
                                                                    std::cref(b->target_id()),
                                                                    place(b->unit_code()));
  });
  std::size_t width = 12;
  for (const auto* t : rows)
    width = std::max(width, t->policy_id().size() + t->target_id().size() + 3);
  std::printf("    %s\n", vi ? "Chỉ tiêu theo kế hoạch của máy chủ con, từng đơn vị:"
                             : "Targets under the child's own plans, per unit:");
  std::printf("    %s%s%s%s%s\n", util::padRight(vi ? "Đơn vị" : "Unit", 16).c_str(),
              util::padRight(vi ? "Chỉ tiêu" : "Target", width).c_str(),
              util::padRight(vi ? "Đạt/Tổng" : "Met/Total", 12).c_str(),
              util::padRight(vi ? "Tỷ lệ" : "Value", 9).c_str(), vi ? "Kết quả" : "Result");
  for (const auto* t : rows) {
    std::string status = t->status();
    std::replace(status.begin(), status.end(), '_', '-');
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%",
                  t->total() ? 100.0 * t->satisfied() / t->total() : 0.0);
    std::printf(
        "    %s%s%s%s%s\n", util::padRight(t->unit_code(), 16).c_str(),
        util::padRight(t->policy_id() + "/" + t->target_id(), width).c_str(),
        util::padRight(std::to_string(t->satisfied()) + "/" + std::to_string(t->total()), 12)
            .c_str(),
        util::padRight(pct, 9).c_str(), historyStatus(status, vi).c_str());
  }
}

// The collectors under this one (issue 16) and the state of each one's link; for a summary
// child, its figures as pushed.
void printChildLinks(db::Connection& db, const std::vector<std::string>& units, std::int64_t now,
                     bool vi) {
  auto links = federation::children(db);
  if (links.empty()) return;
  std::map<std::string, std::size_t> treeOrder;
  for (const auto& u : units) treeOrder.emplace(u, treeOrder.size());
  auto targets = federation::heldRows(db, federation::RowKind::Target);
  auto counts = federation::heldRows(db, federation::RowKind::Report2290);
  std::printf("\n%s\n", vi ? "Máy chủ thu thập cấp dưới:" : "Child collectors:");
  for (const auto& c : links) {
    std::string state = c.revokedAt         ? (vi ? "đã thu hồi" : "revoked")
                        : c.healthy(now)    ? (vi ? "kết nối tốt" : "link healthy")
                        : !c.lastPushAt     ? (vi ? "chưa đẩy số liệu lần nào" : "never pushed")
                                            : (vi ? "mất kết nối (không đẩy trong 3 chu kỳ)"
                                                  : "link stale (no push within 3 intervals)");
    std::printf("  %s %s %s; %s %s; %s\n", c.childId.c_str(), vi ? "gắn tại" : "mounted at",
                c.mountUnit.c_str(), vi ? "lần đẩy cuối" : "last push",
                c.lastPushAt ? util::formatIsoVietnam(*c.lastPushAt).c_str() : "-", state.c_str());
    if (c.detail == "summary") printSummaryFigures(c, targets, counts, treeOrder, vi);
  }
}

// This collector's own link to its upstream (serve --upstream), as its last round left it.
void printUplink(const org::Links& links, std::int64_t now, bool vi) {
  if (!links.uplink) return;
  const auto& u = *links.uplink;
  std::string state = u.healthy(now) ? (vi ? "kết nối tốt" : "link healthy")
                      : !u.lastAckAt ? (vi ? "chưa có lần đẩy nào được xác nhận" : "no push acknowledged yet")
                                     : (vi ? "mất kết nối (không được xác nhận trong 3 chu kỳ)"
                                           : "link stale (nothing acknowledged within 3 intervals)");
  std::printf("\n%s %s (%s %s, %s %s); %s %s; %s\n", vi ? "Liên kết lên cấp trên:" : "Upstream link:",
              u.upstream.c_str(), vi ? "định danh" : "identity", u.identity.c_str(),
              vi ? "gắn tại" : "mounted at", u.mountUnit.c_str(),
              vi ? "lần đẩy được xác nhận cuối" : "last acknowledged push",
              u.lastAckAt ? util::formatIsoVietnam(*u.lastAckAt).c_str() : "-", state.c_str());
  if (!u.lastError.empty()) {
    std::printf("  %s %s\n", vi ? "lỗi lần gần nhất:" : "last error:", u.lastError.c_str());
  }
}

int status(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "policies", "lang", "as-of", "stale-after"}, {});
  bool vi = vietnamese(a);
  if (a.get("as-of")) return statusAsOf(a, vi);
  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(policyDir(a)));
  auto db = openExistingDatabase(a.require("data-dir"));
  ModelOptions options;
  options.org = std::make_shared<const org::OrgModel>(org::loadOrg(*db));
  options.staleAfterSeconds = util::parseDurationSeconds(a.getOr("stale-after", kDefaultStaleAfter)).value_or(kDefaultStaleAfterSeconds);
  std::int64_t now = util::unixNow();
  // The targets count exceptions as the live evaluation does.
  options.exceptions = std::make_shared<const exceptions::ExceptionSet>(exceptions::ExceptionSet::load(*db, now));
  FleetModel model(policies, options);
  model.rebuild(loadEndpoints(*db), now);
  std::map<std::string, std::int64_t> open;
  open[""] = countOpenAlerts(*db);
  for (const auto& u : model.units()) open[u] = countOpenAlerts(*db, u);
  std::fputs(renderModelStatus(model, now, open, vi).c_str(), stdout);
  printChildLinks(*db, model.units(), now, vi);
  printUplink(options.org->links, now, vi);
  return 0;
}

}  // namespace

std::vector<util::Command> statusCommands() {
  return {{{"status"}, status}};
}

}  // namespace posture::collector

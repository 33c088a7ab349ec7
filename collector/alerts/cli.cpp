// `alerts list|show|ack|resolve|comment|assign`.
#include "collector/alerts/cli.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "collector/alerts/alerts.h"
#include "collector/alerts/groups.h"
#include "collector/audit/audit.h"
#include "collector/cli/options.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;
using cli::vietnamese;
using cli::when;

const char* const kAlertsUsage = R"(  posture-collector alerts list --data-dir DIR [--expand] [--all] [--unit CODE] [--severity S]
                          [--status open|acknowledged|resolved] [--rule PREFIX] [--lang vi|en]
      (groups of one rule in one unit by default; --expand lists their member alerts)
  posture-collector alerts show ID --data-dir DIR [--lang vi|en]
  posture-collector alerts ack ID|--group RULE@UNIT --data-dir DIR [--comment TEXT]
  posture-collector alerts resolve ID|--group RULE@UNIT --data-dir DIR [--comment TEXT]
  posture-collector alerts comment ID|--group RULE@UNIT --data-dir DIR --text TEXT
  posture-collector alerts assign ID|--group RULE@UNIT --data-dir DIR --to USER
)";

namespace {
std::string statusName(const std::string& status, bool vi) {
  if (!vi) return status;
  if (status == "open") return "mở";
  if (status == "acknowledged") return "đã xác nhận";
  if (status == "resolved") return "đã xử lý";
  return status;
}

// A bad value of an option: the option named, Vietnamese then English.
[[noreturn]] void badOption(const std::string& option, const std::string& vi, const std::string& en) {
  throw util::ArgsError("--" + option + ": " + vi + " / " + en);
}

int alertsList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang", "unit", "severity", "status", "rule", "limit"},
               {"all", "expand"});
  bool vi = vietnamese(a);
  std::string unit = a.getOr("unit", ""), severity = a.getOr("severity", "");
  std::string status = a.getOr("status", ""), rule = a.getOr("rule", "");
  auto limit = static_cast<std::size_t>(a.number("limit", 100000, 1, 10000000));
  if (!status.empty() && status != "open" && status != "acknowledged" && status != "resolved")
    badOption("status", "phải là open, acknowledged hoặc resolved, không phải '" + status + "'",
              "must be open, acknowledged or resolved, got '" + status + "'");
  if (!severity.empty() && severity != "low" && severity != "medium" && severity != "high" &&
      severity != "critical")
    badOption("severity", "phải là low, medium, high hoặc critical, không phải '" + severity + "'",
              "must be low, medium, high or critical, got '" + severity + "'");
  auto db = openExistingDatabase(a.require("data-dir"));
  // A unit means its subtree; a unit neither in the tree nor in any alert is a typo.
  std::vector<std::string> units;
  if (!unit.empty()) {
    units = unitSubtree(*db, unit);
    if (units.empty()) {
      auto st = db->prepare("SELECT 1 FROM alert_groups WHERE unit_code = ? LIMIT 1");
      st.bind(1, unit);
      if (!st.step()) badOption("unit", "không có đơn vị '" + unit + "'", "no unit '" + unit + "'");
      units = {unit};
    }
  }
  if (!rule.empty()) {
    auto st = db->prepare("SELECT 1 FROM alert_groups WHERE substr(rule, 1, length(?1)) = ?1 LIMIT 1");
    st.bind(1, rule);
    if (!st.step())
      badOption("rule", "không có cảnh báo nào của quy tắc '" + rule + "'", "no alert of a rule '" + rule + "'");
  }
  bool activeOnly = !a.flag("all") && status.empty();
  if (a.flag("expand")) {
    AlertFilter f;
    f.activeOnly = activeOnly;
    f.unitCodes = units;
    f.severity = severity;
    f.status = status;
    f.rulePrefix = rule;
    f.limit = limit;
    for (const auto& r : listAlerts(*db, f)) {
      std::printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(r.id),
                  statusName(r.status, vi).c_str(), r.severity.c_str(), r.unitCode.c_str(),
                  r.rule.c_str(), r.subject.c_str(), (vi ? r.titleVi : r.titleEn).c_str(),
                  r.detail.c_str());
    }
    return 0;
  }
  GroupFilter g;
  g.activeOnly = activeOnly;
  g.unitCodes = units;
  g.severity = severity;
  g.status = status;
  g.rulePrefix = rule;
  g.limit = limit;
  // id, RULE@UNIT (for --group), status, severity, open/acknowledged members, assignee,
  // last seen, title.
  for (const auto& r : listGroups(*db, g)) {
    std::printf("%lld\t%s\t%s\t%s\t%lld/%lld\t%s\t%s\t%s\n", static_cast<long long>(r.id),
                groupKey(r.rule, r.unitCode).c_str(), statusName(r.status(), vi).c_str(),
                r.severity.c_str(), static_cast<long long>(r.open),
                static_cast<long long>(r.acknowledged), r.assignee.empty() ? "-" : r.assignee.c_str(),
                when(r.lastSeen).c_str(), (vi ? r.titleVi : r.titleEn).c_str());
  }
  return 0;
}

std::int64_t alertId(const util::Args& a) {
  const auto& pos = a.positional();
  if (pos.size() != 1) throw util::ArgsError("give exactly one alert ID");
  char* end = nullptr;
  long long id = std::strtoll(pos[0].c_str(), &end, 10);
  if (pos[0].empty() || *end != '\0' || id <= 0)
    throw util::ArgsError("alert ID must be a positive number, got '" + pos[0] + "'");
  return id;
}

int alertsShow(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang"}, {});
  bool vi = vietnamese(a);
  std::int64_t id = alertId(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  auto r = findAlert(*db, id);
  if (!r) throw AlertError("không có cảnh báo " + std::to_string(id) + " / no alert " + std::to_string(id));
  std::printf("%s %lld: %s\n", vi ? "Cảnh báo" : "Alert", static_cast<long long>(r->id),
              (vi ? r->titleVi : r->titleEn).c_str());
  std::printf("  %s: %s\n  %s: %s\n  %s: %s\n  %s: %s\n  %s: %s\n  %s: %s\n  %s: %s\n  %s: %s\n",
              vi ? "Quy tắc" : "Rule", r->rule.c_str(), vi ? "Đối tượng" : "Subject",
              r->subject.c_str(), vi ? "Đơn vị" : "Unit", r->unitCode.c_str(),
              vi ? "Mức độ" : "Severity",
              std::string(policy::severityName(
                  r->severity == "critical" ? policy::Severity::Critical
                  : r->severity == "high"   ? policy::Severity::High
                  : r->severity == "low"    ? policy::Severity::Low
                                            : policy::Severity::Medium, vi)).c_str(),
              vi ? "Trạng thái" : "Status", statusName(r->status, vi).c_str(),
              vi ? "Người xử lý" : "Assignee", r->assignee.empty() ? "-" : r->assignee.c_str(),
              vi ? "Bằng chứng" : "Evidence", r->detail.c_str(),
              vi ? "Lần đầu / gần nhất" : "First / last seen",
              (when(r->firstSeen) + " / " + when(r->lastSeen)).c_str());
  std::printf("%s:\n", vi ? "Lịch sử" : "History");
  for (const auto& e : alertEvents(*db, id)) {
    std::printf("  %s  %-12s %-10s %s\n", when(e.at).c_str(), e.event.c_str(), e.actor.c_str(),
                e.detail.c_str());
  }
  return 0;
}

int alertsAct(const std::vector<std::string>& argv, AlertAction action) {
  std::set<std::string> valued = {"data-dir", "lang", "comment", "text", "to", "group"};
  util::Args a(argv, valued, {});
  bool vi = vietnamese(a);
  auto group = a.get("group");
  std::optional<std::pair<std::string, std::string>> key;
  if (group) {
    if (!a.positional().empty())
      badOption("group", "không dùng cùng mã cảnh báo", "not with an alert ID");
    key = parseGroupKey(*group);
    if (!key) badOption("group", "dạng QUY_TẮC@ĐƠN_VỊ, không phải '" + *group + "'",
                        "expected RULE@UNIT, got '" + *group + "'");
  }
  std::int64_t id = group ? 0 : alertId(a);
  std::string text;
  switch (action) {
    case AlertAction::Acknowledge:
    case AlertAction::Resolve: text = a.getOr("comment", ""); break;
    case AlertAction::Comment: text = a.require("text"); break;
    case AlertAction::Assign: text = a.require("to"); break;
  }
  auto db = openExistingDatabase(a.require("data-dir"));
  if (key) {
    auto done = actOnGroup(*db, key->first, key->second, action, cliActor(), text, util::unixNow());
    const auto& g = done.group;
    std::printf("%s %s: %s, %lld/%lld %s%s%s\n", vi ? "Nhóm" : "Group", groupKey(g.rule, g.unitCode).c_str(),
                statusName(g.status(), vi).c_str(), static_cast<long long>(g.open),
                static_cast<long long>(g.acknowledged), vi ? "mở/đã xác nhận" : "open/acknowledged",
                g.assignee.empty() ? "" : ", ",
                g.assignee.empty() ? "" : ((vi ? "giao cho " : "assigned to ") + g.assignee).c_str());
    return 0;
  }
  auto r = actOnAlert(*db, id, action, cliActor(), text, util::unixNow());
  std::printf("%s %lld: %s%s%s\n", vi ? "Cảnh báo" : "Alert", static_cast<long long>(r.id),
              statusName(r.status, vi).c_str(), r.assignee.empty() ? "" : ", ",
              r.assignee.empty() ? "" : ((vi ? "giao cho " : "assigned to ") + r.assignee).c_str());
  return 0;
}
// Console users (collector/auth/). Input errors (name, role, weak password) exit 2 before
}  // namespace

std::vector<util::Command> alertsCommands() {
  return {{{"alerts", "list"}, alertsList},
          {{"alerts", "show"}, alertsShow},
          {{"alerts", "ack"}, [](const auto& v) { return alertsAct(v, AlertAction::Acknowledge); }},
          {{"alerts", "resolve"}, [](const auto& v) { return alertsAct(v, AlertAction::Resolve); }},
          {{"alerts", "comment"}, [](const auto& v) { return alertsAct(v, AlertAction::Comment); }},
          {{"alerts", "assign"}, [](const auto& v) { return alertsAct(v, AlertAction::Assign); }}};
}

}  // namespace posture::collector

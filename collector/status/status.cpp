#include "collector/status/status.h"

#include <cstdio>

#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace {
std::string pad(const std::string& s, std::size_t width) { return util::padRight(s, width); }

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string joinCodes(const std::vector<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) out += (out.empty() ? "" : ", ") + c;
  return out;
}

std::string notApplicableLine(const policy::Policy& p, bool vi) {
  return vi ? "  Không áp dụng ở đây: đơn vị " + joinCodes(p.appliesTo) +
                  " không có trong cây đơn vị và chưa có báo cáo nào\n"
            : "  Not applicable here: unit " + joinCodes(p.appliesTo) +
                  " is neither in the unit tree nor in any report\n";
}
}  // namespace

std::string renderModelStatus(const FleetModel& model, std::int64_t now,
                              const std::map<std::string, std::int64_t>& openAlerts, bool vi) {
  std::string out;
  out += vi ? "Tình trạng tuân thủ lúc " + util::formatIsoVietnam(now) + " (giờ Việt Nam, UTC+7)\n"
            : "Compliance status at " + util::formatIsoVietnam(now) + " (Vietnam time, UTC+7)\n";
  auto units = model.units();
  out += (vi ? "Thiết bị đầu cuối: " : "Endpoints: ") + std::to_string(model.endpointCount()) +
         (vi ? " trong " : " in ") + std::to_string(units.size()) + (vi ? " đơn vị" : " units") +
         (vi ? "; không báo cáo quá hạn (tính là chưa đạt): " : "; stale (counted as not compliant): ") +
         std::to_string(model.staleCount()) + "\n";
  auto alertsOf = [&](const std::string& unit) {
    auto it = openAlerts.find(unit);
    return it == openAlerts.end() ? std::int64_t{0} : it->second;
  };
  std::int64_t today = util::vietnamDay(now);
  const policy::Policy* current = nullptr;
  for (std::size_t t = 0; t < model.targets().size(); ++t) {
    const auto& ref = model.targets()[t];
    bool here = model.targetApplies(t, "");
    if (ref.policy != current) {
      current = ref.policy;
      out += "\n" + std::string(vi ? "Chính sách " : "Policy ") + current->id + " v" +
             std::to_string(current->version) + ": " + (vi ? current->title.vi : current->title.en) + "\n";
      if (!current->appliesTo.empty()) {
        out += std::string(vi ? "  Áp dụng cho: " : "  Applies to: ") + joinCodes(current->appliesTo) + "\n";
      }
      if (!here) out += notApplicableLine(*current, vi);
    }
    if (!here) continue;
    const auto& target = *ref.target;
    out += std::string(vi ? "  Chỉ tiêu " : "  Target ") + target.id + ": " +
           (vi ? target.title.vi : target.title.en) + "\n";
    out += std::string(vi ? "  Nguồn: " : "  Source: ") + target.source.file + ":" +
           std::to_string(target.source.line) + "\n";
    out += "    " + pad(vi ? "Đơn vị" : "Unit", 16) + pad(vi ? "Đạt/Tổng" : "Met/Total", 12) +
           pad(vi ? "Tỷ lệ" : "Value", 9) + pad(vi ? "Ngưỡng" : "Threshold", 26) +
           pad(vi ? "Kết quả" : "Result", 18) + (vi ? "Cảnh báo mở" : "Open alerts") + "\n";
    bool unitScope = false, overall = false;
    for (const auto& s : target.scopes) {
      unitScope |= s == "unit";
      overall |= s == "overall";
    }
    std::vector<std::string> rows;
    if (unitScope) {
      for (const auto& u : units)
        if (model.targetApplies(t, u)) rows.push_back(u);
    }
    if (overall) rows.push_back("");
    for (const auto& u : rows) {
      auto ev = model.evaluate(t, u, today);
      std::string threshold = "-";
      if (ev.inForce) {
        threshold = "≥ " + pct(ev.inForce->atLeastPercent) + (vi ? " từ " : " since ") +
                    util::formatDate(ev.inForce->byDay);
      }
      std::string name = u.empty() ? (vi ? "TOÀN BỘ" : "ALL UNITS") : u;
      out += "    " + pad(name, 16) +
             pad(std::to_string(ev.satisfied) + "/" + std::to_string(ev.total), 12) +
             pad(pct(ev.percent), 9) + pad(threshold, 26) +
             pad(std::string(policy::targetStatusName(ev.status, vi)), 18) +
             std::to_string(alertsOf(u)) + "\n";
    }
  }
  out += std::string("\n") + (vi ? "Cảnh báo đang mở: " : "Open alerts: ") +
         std::to_string(alertsOf("")) + "\n";
  return out;
}

}  // namespace posture::collector

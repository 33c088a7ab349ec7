#include "collector/org/layers.h"

#include <cmath>
#include <cstdio>

#include "common/util/time.h"

namespace posture::collector::org {
namespace {
// "80%", "87.5%": whole percentages without decimals.
std::string pct(double percent) {
  char buf[64];
  double rounded = std::round(percent * 10) / 10;
  std::snprintf(buf, sizeof buf, rounded == std::floor(rounded) ? "%.0f%%" : "%.1f%%", rounded);
  return buf;
}
// The same party written with other spacing or ASCII case is still the same party.
std::string party(const std::string& name) {
  std::string out;
  bool space = false;
  for (char c : name) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}
std::string iso(std::int64_t day) {
  // YYYY-MM-DD from dd/mm/yyyy
  std::string vi = formatDayVi(day);
  return vi.substr(6, 4) + "-" + vi.substr(3, 2) + "-" + vi.substr(0, 2);
}

// "; lần đẩy được xác nhận gần nhất lúc 2026-12-06 10:00:00 (UTC+7), chu kỳ 60 giây"
void describeLink(std::optional<std::int64_t> lastAt, std::int64_t interval, bool healthy,
                  std::string& vi, std::string& en, bool withTime = true) {
  if (!withTime) {
    vi += healthy ? ": hoạt động tốt" : ": mất kết nối";
    en += healthy ? ": healthy" : ": stale";
    return;
  }
  std::string every = std::to_string(interval);
  if (!lastAt) {
    vi += ": chưa có lần đẩy nào được xác nhận";
    en += ": no push acknowledged yet";
    return;
  }
  std::string at = util::formatIsoVietnam(*lastAt) + " (UTC+7)";
  vi += ": lần đẩy được xác nhận gần nhất lúc " + at + ", chu kỳ " + every + " giây" +
        (healthy ? "" : ", đã quá " + std::to_string(kLinkHealthyIntervals) + " chu kỳ");
  en += ": last push acknowledged at " + at + ", every " + every + " s" +
        (healthy ? "" : ", more than " + std::to_string(kLinkHealthyIntervals) + " intervals ago");
}

// A layer a child collector pushed for a unit that has no record here.
LayerVerdict pushedVerdict(const Links& links, const PushedLayer& p, std::int64_t now, bool withTime) {
  LayerVerdict v{p.layer, p.pass, p.evidenceVi, p.evidenceEn};
  v.evidenceVi += " (theo máy chủ thu thập cấp dưới " + p.childId + ")";
  v.evidenceEn += " (as child collector " + p.childId + " reports it)";
  if (p.layer != 4) return v;
  const ChildState* child = links.child(p.childId);
  bool healthy = child && child->healthy(now);
  v.pass = p.pass && healthy;
  v.evidenceVi += "; liên kết về máy chủ này";
  v.evidenceEn += "; its link to this collector";
  if (!child || child->revokedAt) {
    v.evidenceVi += ": đã thu hồi";
    v.evidenceEn += ": revoked";
  } else {
    describeLink(child->lastPushAt, child->intervalSeconds, healthy, v.evidenceVi, v.evidenceEn, withTime);
  }
  return v;
}
}  // namespace

std::array<LayerVerdict, 4> evaluateLayers(const OrgModel& model, std::string_view unitCode,
                                           std::int64_t today, const Layer2Telemetry& t,
                                           std::optional<std::int64_t> nowGiven) {
  const std::int64_t now =
      nowGiven ? *nowGiven : (today + 1) * util::kSecondsPerDay - 7 * util::kSecondsPerHour - 1;
  std::array<LayerVerdict, 4> out;
  for (int layer = 1; layer <= 4; ++layer) {
    LayerVerdict& v = out[static_cast<std::size_t>(layer - 1)];
    v.layer = layer;
    std::string n = std::to_string(layer);
    const LayerRecord* r = model.findLayer(unitCode, layer);
    if (!r) {
      if (const PushedLayer* p = model.links.pushedLayer(unitCode, layer)) {
        v = pushedVerdict(model.links, *p, now, !t.forUpstream);
        continue;
      }
      static const char* kVi[] = {"chưa có hồ sơ cán bộ chuyên trách tại chỗ",
                                  "chưa có hồ sơ đơn vị giám sát, bảo vệ chuyên nghiệp",
                                  "chưa có kết quả kiểm tra, đánh giá độc lập",
                                  "chưa có hồ sơ kết nối với hệ thống giám sát quốc gia"};
      static const char* kEn[] = {"no on-site security officer on record",
                                  "no professional monitoring provider on record",
                                  "no independent assessment on record",
                                  "no connection to the national monitoring system on record"};
      v.evidenceVi = "Lớp " + n + ": " + kVi[layer - 1];
      v.evidenceEn = "Layer " + n + ": " + kEn[layer - 1];
      continue;
    }
    bool expired = r->validUntil && today > *r->validUntil;
    switch (layer) {
      case 1:
        v.pass = !expired;
        v.evidenceVi = "Lớp 1: " + r->reference + ", quyết định " + r->document + " ngày " + formatDayVi(r->date);
        v.evidenceEn = "Layer 1: " + r->reference + ", decision " + r->document + " of " + iso(r->date);
        if (expired) {
          v.evidenceVi += ", hết hiệu lực từ " + formatDayVi(*r->validUntil);
          v.evidenceEn += ", no longer valid since " + iso(*r->validUntil);
        }
        break;
      case 2: {
        // Telemetry first (what failed most often), then the contract.
        bool share = t.total > 0 && t.protectedManaged * 100.0 >= t.requiredPercent * t.total;
        v.pass = !expired && share;
        std::string need = pct(t.requiredPercent);
        std::string telemetryVi, telemetryEn;
        if (t.total == 0) {
          telemetryVi = "chưa có máy nào báo cáo (cần ≥ " + need + " máy được bảo vệ và quản trị tập trung)";
          telemetryEn = "no endpoint has reported (needs ≥ " + need + " protected and centrally managed)";
        } else {
          std::string counts = std::to_string(t.protectedManaged) + "/" + std::to_string(t.total);
          std::string share100 = pct(100.0 * t.protectedManaged / t.total);
          telemetryVi = counts + " máy được bảo vệ và quản trị tập trung (" + share100 + ")" +
                        (share ? " ≥ " : " < ") + need;
          telemetryEn = counts + " endpoints protected and centrally managed (" + share100 + ")" +
                        (share ? " ≥ " : " < ") + need;
        }
        std::string contractVi = r->reference + ", hợp đồng " + r->document;
        std::string contractEn = r->reference + ", contract " + r->document;
        if (r->validUntil) {
          contractVi += (expired ? " đã hết hạn " : " đến ") + formatDayVi(*r->validUntil);
          contractEn += (expired ? " expired " : " until ") + iso(*r->validUntil);
        }
        v.evidenceVi = "Lớp 2: " + telemetryVi + "; " + contractVi;
        v.evidenceEn = "Layer 2: " + telemetryEn + "; " + contractEn;
        break;
      }
      case 3: {
        std::int64_t due = addMonths(r->date, r->periodMonths);
        bool late = today > due;
        const LayerRecord* provider = model.findLayer(unitCode, 2);
        bool dependent = provider && !party(provider->reference).empty() &&
                         party(provider->reference) == party(r->reference);
        v.pass = !late && !dependent && !expired;
        v.evidenceVi = "Lớp 3: đánh giá độc lập ngày " + formatDayVi(r->date) + " bởi " + r->reference +
                       (late ? ", đã quá hạn " : ", còn hiệu lực ") + std::to_string(r->periodMonths) +
                       " tháng (hết hạn " + formatDayVi(due) + ")";
        v.evidenceEn = "Layer 3: independent assessment of " + iso(r->date) + " by " + r->reference +
                       (late ? ", older than its " : ", within its ") + std::to_string(r->periodMonths) +
                       " months (due " + iso(due) + ")";
        if (dependent) {
          v.evidenceVi += "; không độc lập: cùng đơn vị giám sát lớp 2";
          v.evidenceEn += "; not independent: the same party provides layer 2";
        }
        break;
      }
      case 4: {
        v.evidenceVi = "Lớp 4: kết nối " + r->reference + " từ " + formatDayVi(r->date) +
                       (expired ? ", hết hiệu lực " + formatDayVi(*r->validUntil) : "");
        v.evidenceEn = "Layer 4: connected to " + r->reference + " since " + iso(r->date) +
                       (expired ? ", expired " + iso(*r->validUntil) : "");
        const auto& up = model.links.uplink;
        if (t.forUpstream) {
          v.pass = !expired;  // the upstream adds its own view of the link
          break;
        }
        if (!up) {
          // The top of its hierarchy: nothing above to push to, the record is the evidence.
          v.pass = !expired;
          v.evidenceVi += " (theo hồ sơ: máy chủ thu thập này không đẩy số liệu lên cấp trên)";
          v.evidenceEn += " (by the record: this collector pushes to no upper tier)";
          break;
        }
        bool healthy = up->healthy(now);
        v.pass = !expired && healthy;
        v.evidenceVi += "; liên kết lên " + up->upstream + " (định danh " + up->identity + ")";
        v.evidenceEn += "; upstream link to " + up->upstream + " (identity " + up->identity + ")";
        describeLink(up->lastAckAt, up->intervalSeconds, healthy, v.evidenceVi, v.evidenceEn);
        break;
      }
    }
  }
  return out;
}

}  // namespace posture::collector::org

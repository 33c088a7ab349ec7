#include "collector/org/layers.h"

#include <cstdio>

namespace posture::collector::org {
namespace {
std::string pct(std::uint32_t n, std::uint32_t d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", d ? 100.0 * n / d : 0.0);
  return buf;
}
std::string iso(std::int64_t day) {
  // YYYY-MM-DD from dd/mm/yyyy
  std::string vi = formatDayVi(day);
  return vi.substr(6, 4) + "-" + vi.substr(3, 2) + "-" + vi.substr(0, 2);
}
}  // namespace

std::array<LayerVerdict, 4> evaluateLayers(const OrgModel& model, std::string_view unitCode,
                                           std::int64_t today, const Layer2Telemetry& t) {
  std::array<LayerVerdict, 4> out;
  for (int layer = 1; layer <= 4; ++layer) {
    LayerVerdict& v = out[static_cast<std::size_t>(layer - 1)];
    v.layer = layer;
    std::string n = std::to_string(layer);
    const LayerRecord* r = model.findLayer(unitCode, layer);
    if (!r) {
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
        bool share = t.total > 0 && t.protectedManaged * 100.0 >= t.requiredPercent * t.total;
        v.pass = !expired && share;
        std::string telemetryVi = std::to_string(t.protectedManaged) + "/" + std::to_string(t.total) +
                                  " máy được bảo vệ và quản trị tập trung (" + pct(t.protectedManaged, t.total) + ")";
        std::string telemetryEn = std::to_string(t.protectedManaged) + "/" + std::to_string(t.total) +
                                  " endpoints protected and centrally managed (" + pct(t.protectedManaged, t.total) + ")";
        char need[32];
        std::snprintf(need, sizeof need, "%.0f%%", t.requiredPercent);
        v.evidenceVi = "Lớp 2: " + r->reference + ", hợp đồng " + r->document +
                       (r->validUntil ? (expired ? " đã hết hạn " : " đến ") + formatDayVi(*r->validUntil) : "") +
                       "; " + telemetryVi + (share ? "" : std::string(" < ") + need);
        v.evidenceEn = "Layer 2: " + r->reference + ", contract " + r->document +
                       (r->validUntil ? (expired ? " expired " : " until ") + iso(*r->validUntil) : "") +
                       "; " + telemetryEn + (share ? "" : std::string(" < ") + need);
        break;
      }
      case 3: {
        std::int64_t due = addMonths(r->date, r->periodMonths);
        bool late = today > due;
        const LayerRecord* provider = model.findLayer(unitCode, 2);
        bool dependent = provider && !provider->reference.empty() && provider->reference == r->reference;
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
      case 4:
        v.pass = !expired;
        v.evidenceVi = "Lớp 4: kết nối " + r->reference + " từ " + formatDayVi(r->date) +
                       (expired ? ", hết hiệu lực " + formatDayVi(*r->validUntil) : "") +
                       " (chỉ kiểm tra hồ sơ; chưa có kết nối tự động lên cấp trên)";
        v.evidenceEn = "Layer 4: connected to " + r->reference + " since " + iso(r->date) +
                       (expired ? ", expired " + iso(*r->validUntil) : "") +
                       " (record only; the upstream link is not checked yet)";
        break;
    }
  }
  return out;
}

}  // namespace posture::collector::org

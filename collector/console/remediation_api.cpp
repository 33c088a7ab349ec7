#include "collector/console/remediation_api.h"

#include "collector/remediation/remediation.h"

namespace posture::collector::console {

std::optional<net::Response> parseRemediationRequest(const Query& query, RemediationRequest& out) {
  RemediationRequest r;
  if (auto e = unitParam(query, "unit", false, r.unit)) return e;
  if (auto e = oneOf(query, "format", {"json", "csv", "xlsx"}, r.format)) return e;
  if (auto e = oneOf(query, "lang", {"vi", "en"}, r.lang)) return e;
  if (auto e = numberParam(query, "limit", kRemediationPageLimit, 1, 100000, r.limit)) return e;
  if (r.format.empty()) r.format = "json";
  if (r.lang.empty()) r.lang = "vi";
  out = std::move(r);
  return std::nullopt;
}

net::Response remediationResponse(db::Connection& db, const RemediationRequest& r,
                                  std::shared_ptr<const std::vector<policy::Policy>> policies,
                                  std::int64_t staleAfterSeconds, const std::string& caFingerprint,
                                  std::int64_t now) {
  RemediationList list;
  try {
    list = buildRemediation(db, std::move(policies), r.unit, staleAfterSeconds, r.lang != "en",
                            caFingerprint, now);
  } catch (const ExportError&) {
    return apiError(404, "not_found",
                    "Tham số 'unit': không có đơn vị " + r.unit +
                        " (trong cây đơn vị hoặc trong báo cáo)",
                    "parameter 'unit': no unit " + r.unit + " (in the unit tree or in reports)");
  }
  if (r.format == "json")
    return jsonResponse(200, remediationJson(list, static_cast<std::size_t>(r.limit)));
  net::Response out;
  out.status = 200;
  if (r.format == "csv") {
    out.contentType = "text/csv; charset=utf-8";
    out.body = renderRemediationCsv(list);
  } else {
    out.contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    out.body = renderRemediationXlsx(list);
  }
  out.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"" + remediationFileName(list, r.format) + "\"");
  return out;
}

}  // namespace posture::collector::console

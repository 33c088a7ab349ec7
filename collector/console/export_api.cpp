#include "collector/console/export_api.h"

#include "common/util/json.h"
#include "collector/export/manifest.h"
#include "common/crypto/crypto.h"
#include "common/util/time.h"

namespace posture::collector::console {

std::string ExportRequest::key() const {
  return user + "\n" + formatName + "\n" + unit + "\n" + asOf + "\n" + lang;
}

ExportService::ExportService(std::filesystem::path dataDir, Policies policies,
                             std::int64_t staleAfterSeconds, ExportLimits limits)
    : dataDir_(std::move(dataDir)),
      policies_(std::move(policies)),
      staleAfterSeconds_(staleAfterSeconds),
      gate_(limits) {}

std::optional<net::Response> ExportService::prepare(const Query& query, const std::string& user,
                                                    bool manifest, std::int64_t now,
                                                    ExportRequest& out) {
  ExportRequest r;
  r.user = user;
  r.manifest = manifest;
  if (auto e = oneOf(query, "format", {"csv", "xlsx", "json"}, r.formatName)) return e;
  if (r.formatName.empty()) r.formatName = "xlsx";
  if (auto e = unitParam(query, "unit", false, r.unit)) return e;
  if (auto e = textParam(query, "as_of", 10, r.asOf)) return e;
  if (auto e = oneOf(query, "lang", {"vi", "en"}, r.lang)) return e;
  r.filters.unitCode = r.unit;
  r.filters.staleAfterSeconds = staleAfterSeconds_;
  r.filters.vietnamese = r.lang != "en";
  if (!r.asOf.empty()) {
    r.filters.asOfDay = util::parseDate(r.asOf);
    if (!r.filters.asOfDay)
      return badRequest("as_of", "cần ngày YYYY-MM-DD", "expected a date YYYY-MM-DD");
  }
  r.format = *parseExportFormat(r.formatName);
  std::lock_guard lock(cacheMutex_);
  std::erase_if(cache_,
                [&](const auto& e) { return e.second.createdAt + kExportCacheSeconds < now; });
  if (auto it = cache_.find(r.key()); it != cache_.end()) return answer(it->second, manifest);
  out = std::move(r);
  return std::nullopt;
}

std::variant<ExportGate::Ticket, net::Response> ExportService::admit(const std::string& user) {
  auto admitted = gate_.admit(user);
  if (auto* t = std::get_if<ExportGate::Ticket>(&admitted)) return std::move(*t);
  const auto& refused = std::get<ExportGate::Refused>(admitted);
  std::string s = std::to_string(refused.retryAfter);
  net::Response r =
      refused.ownExport
          ? apiError(429, "throttled",
                     "Bản xuất trước của bạn vẫn đang được tạo; mỗi người chỉ tạo một bản xuất một "
                     "lúc, hãy thử lại sau " +
                         s + " giây",
                     "your previous export is still being built; one export at a time per user, "
                     "try again in " +
                         s + " seconds")
          : apiError(429, "throttled",
                     "Đang tạo " + std::to_string(gate_.limits().total) +
                         " bản xuất (tối đa cùng lúc), hãy thử lại sau " + s + " giây",
                     std::to_string(gate_.limits().total) +
                         " exports are being built (the most at once), try again in " + s +
                         " seconds");
  r.headers.emplace_back("Retry-After", s);
  return r;
}

net::Response ExportService::build(db::Connection& db, const ExportRequest& r, std::int64_t now) {
  ExportSigner signer;
  {
    std::lock_guard lock(signerMutex_);
    signer = loadOrCreateExportSigner(dataDir_, now);
  }
  ComplianceExport list;
  try {
    list = buildComplianceExport(db, policies_(), r.filters,
                                 crypto::certificateFingerprint(signer.caCertPem), now);
  } catch (const AsOfTooOld& e) {
    return badRequest("as_of", e.vi, e.en);  // older than the retention keeps
  } catch (const ExportError& e) {
    return apiError(404, "not_found", e.what(), e.what());
  }
  Entry entry;
  entry.createdAt = now;
  entry.fileName = "posture-" + (r.unit.empty() ? std::string("all") : r.unit) + "-" +
                   (r.asOf.empty() ? util::formatDate(util::vietnamDay(now)) : r.asOf) + "." +
                   r.formatName;
  entry.mediaType = std::string(exportMediaType(r.format));
  entry.bytes = renderExport(list, r.format);
  entry.manifest = util::writeJson(signManifest(entry.fileName, entry.bytes, r.formatName,
                                          entry.mediaType, metadataJson(list), signer, now));
  net::Response response = answer(entry, r.manifest);
  std::lock_guard lock(cacheMutex_);
  const std::string key = r.key();
  cache_.insert_or_assign(key, std::move(entry));
  // Each entry holds a whole file: a user keeps at most kExportCachePerUser, the oldest go.
  for (;;) {
    auto oldest = cache_.end();
    std::size_t mine = 0;
    const std::string prefix = r.user + "\n";
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if (!it->first.starts_with(prefix)) continue;
      ++mine;
      if (it->first == key) continue;  // never the file just built
      if (oldest == cache_.end() || it->second.createdAt < oldest->second.createdAt) oldest = it;
    }
    if (mine <= kExportCachePerUser) break;
    cache_.erase(oldest);
  }
  return response;
}

net::Response ExportService::answer(const Entry& e, bool manifest) {
  net::Response r;
  r.status = 200;
  if (manifest) {
    r.contentType = kJson;
    r.body = e.manifest;
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"" + e.fileName + ".manifest.json\"");
  } else {
    r.contentType = e.mediaType;
    r.body = e.bytes;
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + e.fileName + "\"");
  }
  return r;
}

}  // namespace posture::collector::console

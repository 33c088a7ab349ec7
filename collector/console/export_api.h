#pragma once
// Internal to collector/console/: GET /api/v1/export and /api/v1/export/manifest (admin,
// auditor). The list is built with collector/export/ exactly as `posture-collector export`
// builds it and signed with the collector's export-signing key. The same parameters by the
// same user within two minutes give the same file and the manifest that signs it (at most
// kExportCachePerUser files are kept per user).
//
// The work is bounded (ExportGate): one build in progress per user and ExportLimits::total
// at once; beyond, 429 with Retry-After. A request answered from the cache needs no place.
// Three steps, so that no API thread ever waits for a build:
//   prepare()  API thread, after the session: validates (400), answers from the cache;
//   admit()    I/O thread: the build's place, or the 429;
//   build()    an export thread: builds, signs, caches, answers (404 for an unknown unit).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "collector/console/export_gate.h"
#include "collector/console/http_util.h"
#include "collector/export/export.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

inline constexpr std::int64_t kExportCacheSeconds = 120;
inline constexpr std::size_t kExportCachePerUser = 4;  // built files kept per user (memory)

struct ExportRequest {
  std::string user, formatName, unit, asOf, lang;
  ExportFormat format = ExportFormat::Xlsx;
  ExportFilters filters;
  bool manifest = false;    // the manifest rather than the file
  std::string key() const;  // user, format, unit, as_of, lang: what the cache is keyed by
};

class ExportService {
 public:
  using Policies = std::function<std::shared_ptr<const std::vector<policy::Policy>>()>;
  ExportService(std::filesystem::path dataDir, Policies policies, std::int64_t staleAfterSeconds,
                ExportLimits limits = {});

  // The answer (a refusal or the cached file), or nullopt with `out` filled: build it.
  std::optional<net::Response> prepare(const Query& query, const std::string& user, bool manifest,
                                       std::int64_t now, ExportRequest& out);
  std::variant<ExportGate::Ticket, net::Response> admit(const std::string& user);
  net::Response build(db::Connection& db, const ExportRequest& request, std::int64_t now);

  ExportGate& gate() { return gate_; }

 private:
  struct Entry {
    std::int64_t createdAt = 0;
    std::string fileName, mediaType, bytes, manifest;
  };
  static net::Response answer(const Entry& e, bool manifest);

  std::filesystem::path dataDir_;
  Policies policies_;
  std::int64_t staleAfterSeconds_;
  ExportGate gate_;
  std::mutex signerMutex_;  // the signing key's files are created on first use
  std::mutex cacheMutex_;
  std::map<std::string, Entry> cache_;
};

}  // namespace posture::collector::console

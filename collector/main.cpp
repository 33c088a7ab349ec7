// posture-collector: command line only; the work is in the library.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <iostream>

#include "collector/evaluation/stale.h"
#include "collector/alerts/alerts.h"
#include "collector/audit/audit.h"
#include "collector/auth/users.h"
#include "collector/collector.h"
#include "collector/evaluation/history.h"
#include "collector/org/cli.h"
#include "collector/enrolment/admin.h"
#include "collector/org/org.h"
#include "collector/org/unit_code.h"
#include "collector/evaluation/model.h"
#include "collector/export/export.h"
#include "collector/export/manifest.h"
#include "collector/pki/authority.h"
#include "collector/status/status.h"
#include "collector/storage/storage.h"
#include "common/crypto/crypto.h"
#include "common/log/log.h"
#include "common/util/args.h"
#include "common/util/files.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace {
using namespace posture;
using namespace posture::collector;
namespace fs = std::filesystem;

const char* kUsage = R"(posture-collector — máy chủ thu thập tình trạng an toàn thông tin
Usage:
  posture-collector serve --data-dir DIR --listen HOST:PORT [--listen ...] [--policies DIR]
                          [--san NAME] [--threads N] [--evaluate-every 2s] [--log-level info]
                          [--stale-after 7d] [--full-evaluate-every 1h] [--client-cert-days 365]
                          [--ca-cert FILE --ca-key FILE]   (an existing CA, taken at first start)
                          [--syslog udp://HOST:PORT|tcp://HOST:PORT] [--webhook URL]
                          [--console-listen HOST:PORT ...]   (the SOC console, e.g. 127.0.0.1:8444)
                          [--max-body 1048576] [--max-unauthenticated-per-source 64]
  posture-collector token create --data-dir DIR --unit CODE [--uses N] [--ttl 24h]
  posture-collector status --data-dir DIR [--policies DIR] [--lang vi|en] [--as-of YYYY-MM-DD] [--stale-after 7d]
  posture-collector export --data-dir DIR --format csv|xlsx|json --out FILE [--policies DIR]
                           [--lang vi|en] [--unit CODE] [--as-of YYYY-MM-DD]
                           [--as-of-by received|collected] [--stale-after 7d] [--csv-metadata]
                           (also writes FILE.manifest.json, signed with the collector's key)
  posture-collector export verify FILE [--manifest FILE.manifest.json]
                           [--ca-fingerprint SHA256 | --data-dir DIR]
  posture-collector policy check FILE...
  posture-collector alerts list --data-dir DIR [--all] [--unit CODE] [--severity S]
                          [--status open|acknowledged|resolved] [--rule PREFIX] [--lang vi|en]
  posture-collector alerts show ID --data-dir DIR [--lang vi|en]
  posture-collector alerts ack ID --data-dir DIR [--comment TEXT]
  posture-collector alerts resolve ID --data-dir DIR [--comment TEXT]
  posture-collector alerts comment ID --data-dir DIR --text TEXT
  posture-collector alerts assign ID --data-dir DIR --to USER
  posture-collector user add --data-dir DIR --name NAME --role admin|soc|auditor [--password-stdin]
                          (without --password-stdin: prints a generated password once)
  posture-collector user list --data-dir DIR [--lang vi|en]
  posture-collector user passwd --data-dir DIR --name NAME [--password-stdin]
  posture-collector user disable --data-dir DIR --name NAME
  posture-collector user enable --data-dir DIR --name NAME
  posture-collector user role --data-dir DIR --name NAME --role admin|soc|auditor
)";

bool vietnamese(const util::Args& a) {
  std::string lang = a.getOr("lang", "vi");
  if (lang != "vi" && lang != "en") throw util::ArgsError("--lang must be vi or en, got '" + lang + "'");
  return lang == "vi";
}

// --policies, else for a command on an existing data directory the policies its `serve`
// loaded (recorded there), else the default location.
fs::path policyDir(const util::Args& a) {
  if (auto p = a.get("policies")) return *p;
  if (auto d = a.get("data-dir")) return offlinePolicyDir(*d);
  return defaultPolicyDir();
}

void setLogLevel(const util::Args& a) {
  log::Level level;
  std::string name = a.getOr("log-level", "info");
  if (!log::parseLevel(name, level)) throw util::ArgsError("unknown --log-level '" + name + "'");
  log::setLevel(level);
}

int serve(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "listen", "policies", "san", "threads", "evaluate-every",
                      "log-level", "max-body", "stale-after", "full-evaluate-every", "syslog",
                      "webhook", "client-cert-days", "ca-cert", "ca-key", "console-listen",
                      "max-unauthenticated-per-source"},
               {});
  setLogLevel(a);
  ServeOptions o;
  o.dataDir = a.require("data-dir");
  o.listen = a.all("listen");
  if (o.listen.empty()) throw util::ArgsError("missing required option --listen");
  o.policyDir = policyDir(a);
  o.extraNames = a.all("san");
  o.threads = static_cast<unsigned>(a.number("threads", 2, 1, 64));
  o.maxBodyBytes = static_cast<std::size_t>(a.number("max-body", 1 << 20, 1024, 64 << 20));
  o.maxUnauthenticatedPerSource =
      static_cast<std::size_t>(a.number("max-unauthenticated-per-source", 64, 1, 100000));
  auto every = util::parseDurationSeconds(a.getOr("evaluate-every", "2s"));
  if (!every) throw util::ArgsError("--evaluate-every must be a duration like 2s or 1m");
  o.evaluateEvery = std::chrono::seconds(std::max<long long>(1, *every));
  auto stale = util::parseDurationSeconds(a.getOr("stale-after", kDefaultStaleAfter));
  if (!stale || *stale < 60) throw util::ArgsError("--stale-after must be a duration of at least 1m, like 7d");
  o.staleAfterSeconds = *stale;
  auto full = util::parseDurationSeconds(a.getOr("full-evaluate-every", "1h"));
  if (!full || *full < 10) throw util::ArgsError("--full-evaluate-every must be a duration of at least 10s, like 1h");
  o.fullEvaluateEvery = std::chrono::seconds(*full);
  o.clientCertDays = static_cast<int>(a.number("client-cert-days", 365, 1, 3650));
  o.caCert = a.getOr("ca-cert", "");
  o.caKey = a.getOr("ca-key", "");
  o.syslog = a.all("syslog");
  o.webhooks = a.all("webhook");
  o.consoleListen = a.all("console-listen");

  // Signals are taken synchronously by this thread; the I/O threads never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Collector collector(o);
  auto bound = collector.start();
  for (const auto& ep : bound) {
    std::string host = ep.address().to_string();
    if (ep.address().is_v6()) host = "[" + host + "]";
    std::printf("posture-collector: listening on https://%s:%u\n", host.c_str(), ep.port());
  }
  for (const auto& ep : collector.consoleEndpoints()) {
    std::string host = ep.address().to_string();
    if (ep.address().is_v6()) host = "[" + host + "]";
    std::printf("posture-collector: console: https://%s:%u/\n", host.c_str(), ep.port());
  }
  std::printf("posture-collector: CA fingerprint (SHA-256) %s\n", collector.caFingerprint().c_str());
  std::fflush(stdout);
  for (;;) {
    int sig = 0;
    sigwait(&set, &sig);
    if (sig == SIGHUP) {
      std::string error;
      if (collector.reloadPolicies(&error)) {
        log::info("policies reloaded");
      } else {
        log::error("policy reload failed, keeping the previous policies: ", error);
      }
      continue;
    }
    log::info("stopping on signal ", sig);
    break;
  }
  collector.stop();
  return 0;
}

int tokenCreate(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "unit", "uses", "ttl"}, {});
  fs::path dataDir = a.require("data-dir");
  std::string unit = a.require("unit");
  if (!org::validCode(unit)) throw util::ArgsError(org::invalidCodeMessage("unit code", unit));
  int uses = static_cast<int>(a.number("uses", 1, 1, 1000000));
  auto ttl = util::parseDurationSeconds(a.getOr("ttl", "24h"));
  if (!ttl || *ttl <= 0) throw util::ArgsError("--ttl must be a duration like 24h or 7d");
  auto ca = loadCa(dataDir);
  auto db = openDatabase(dataDir);
  std::string token = crypto::randomHex(20);
  std::int64_t now = util::unixNow();
  insertToken(*db, token, unit, now, now + *ttl, uses);
  std::printf("%s\n", token.c_str());
  std::fprintf(stderr,
               "Mã đăng ký (ID %s) cho đơn vị %s, dùng được %d lần, hết hạn %s.\n"
               "Enrolment token (ID %s) for unit %s, %d use(s), expires %s.\n"
               "CA fingerprint (SHA-256): %s\n",
               tokenId(token).c_str(), unit.c_str(), uses,
               util::formatRfc3339Vietnam(now + *ttl).c_str(), tokenId(token).c_str(),
               unit.c_str(), uses, util::formatRfc3339Vietnam(now + *ttl).c_str(),
               crypto::certificateFingerprint(ca.certPem).c_str());
  return 0;
}

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
  FleetModel model(policies, options);
  std::int64_t now = util::unixNow();
  model.rebuild(loadEndpoints(*db), now);
  std::map<std::string, std::int64_t> open;
  open[""] = countOpenAlerts(*db);
  for (const auto& u : model.units()) open[u] = countOpenAlerts(*db, u);
  std::fputs(renderModelStatus(model, now, open, vi).c_str(), stdout);
  return 0;
}

// The compliance list for auditors, with its signed manifest (collector/export/).
int exportList(const std::vector<std::string>& argv) {
  util::Args a(
      argv,
      {"data-dir", "policies", "lang", "format", "out", "stale-after", "unit", "as-of", "as-of-by"},
      {"csv-metadata"});
  if (!a.positional().empty()) {
    throw util::ArgsError("unexpected argument '" + a.positional().front() +
                          "' (export verify FILE?)");
  }
  ExportFilters filters;
  filters.vietnamese = vietnamese(a);
  std::string formatName = a.getOr("format", "csv");
  auto format = parseExportFormat(formatName);
  if (!format)
    throw util::ArgsError("unsupported --format '" + formatName + "' (csv, xlsx or json)");
  fs::path out = a.require("out");
  fs::path dataDir = a.require("data-dir");
  auto staleAfter = util::parseDurationSeconds(a.getOr("stale-after", kDefaultStaleAfter));
  if (!staleAfter || *staleAfter < 60)
    throw util::ArgsError("--stale-after must be a duration like 7d");
  filters.staleAfterSeconds = *staleAfter;
  filters.unitCode = a.getOr("unit", "");
  if (auto asOf = a.get("as-of")) {
    filters.asOfDay = util::parseDate(*asOf);
    if (!filters.asOfDay)
      throw util::ArgsError("--as-of must be a date YYYY-MM-DD, got '" + *asOf + "'");
  }
  std::string basis = a.getOr("as-of-by", "received");
  if (!parseAsOfBasis(basis))
    throw util::ArgsError("--as-of-by must be received or collected, got '" + basis + "'");
  if (a.get("as-of-by") && !filters.asOfDay) throw util::ArgsError("--as-of-by needs --as-of");
  filters.asOfBasis = *parseAsOfBasis(basis);
  if (a.flag("csv-metadata") && *format != ExportFormat::Csv)
    throw util::ArgsError("--csv-metadata is for --format csv");

  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(policyDir(a)));
  std::int64_t now = util::unixNow();
  // The signer first: without a CA there is nothing to sign with, and nothing is written.
  auto signer = loadOrCreateExportSigner(dataDir, now);
  auto db = openExistingDatabase(dataDir);
  auto list = buildComplianceExport(*db, policies, filters,
                                    crypto::certificateFingerprint(signer.caCertPem), now);
  std::string bytes = renderExport(list, *format, a.flag("csv-metadata"));
  auto manifest =
      signManifest(out.filename().string(), bytes, std::string(exportFormatName(*format)),
                   std::string(exportMediaType(*format)), metadataJson(list), signer, now);
  util::writeFileAtomic(out, bytes, 0644);
  util::writeFileAtomic(manifestPathFor(out), writeJson(manifest), 0644);
  bool vi = filters.vietnamese;
  std::fprintf(stderr, "%s %zu %s: %s\n%s: %s\n", vi ? "Đã xuất" : "Exported",
               list.endpoints.size(), vi ? "thiết bị đầu cuối" : "endpoints", out.c_str(),
               vi ? "Bản kê khai có chữ ký" : "Signed manifest", manifestPathFor(out).c_str());
  return 0;
}

// Proves an export was not altered: exit 0 when valid, 1 with the reason otherwise.
int exportVerify(const std::vector<std::string>& argv) {
  util::Args a(argv, {"manifest", "ca-fingerprint", "data-dir"}, {});
  if (a.positional().size() != 1) throw util::ArgsError("give exactly one FILE to verify");
  if (a.get("ca-fingerprint") && a.get("data-dir")) {
    throw util::ArgsError("give --ca-fingerprint or --data-dir, not both");
  }
  fs::path file = a.positional().front();
  fs::path manifest = a.get("manifest") ? fs::path(*a.get("manifest")) : manifestPathFor(file);
  std::optional<std::string> expected = a.get("ca-fingerprint");
  if (auto dir = a.get("data-dir")) {
    // Only the CA certificate is needed: an auditor's copy may lack the key.
    auto caPem = util::readFile(fs::path(*dir) / "ca.crt");
    if (!caPem)
      throw std::runtime_error("no CA certificate " + (fs::path(*dir) / "ca.crt").string());
    expected = crypto::certificateFingerprint(*caPem);
  }
  auto result = verifyExport(file, manifest, expected);
  std::fputs(renderVerifyResult(result, file).c_str(), stdout);
  return result.ok ? 0 : 1;
}

int policyCheck(const std::vector<std::string>& files) {
  if (files.empty()) throw util::ArgsError("policy check needs at least one FILE");
  int bad = 0;
  for (const auto& f : files) {
    try {
      auto p = policy::loadPolicyFile(f);
      std::printf("%s: ok (%s v%d, %zu checks, %zu targets)\n", f.c_str(), p.id.c_str(), p.version,
                  p.checks.size(), p.targets.size());
    } catch (const policy::PolicyError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ++bad;
    }
  }
  return bad ? 1 : 0;
}

// RFC 3339 in Vietnam time for both languages: terminal output is read by people and by
// scripts, and "06/12" is a different day to a month-first reader.
std::string when(std::int64_t t, bool /*vi*/) { return util::formatRfc3339Vietnam(t); }

std::string statusName(const std::string& status, bool vi) {
  if (!vi) return status;
  if (status == "open") return "mở";
  if (status == "acknowledged") return "đã xác nhận";
  if (status == "resolved") return "đã xử lý";
  return status;
}

int alertsList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang", "unit", "severity", "status", "rule", "limit"}, {"all"});
  bool vi = vietnamese(a);
  AlertFilter f;
  f.activeOnly = !a.flag("all") && !a.get("status");
  f.unitCode = a.getOr("unit", "");
  f.severity = a.getOr("severity", "");
  f.status = a.getOr("status", "");
  f.rulePrefix = a.getOr("rule", "");
  f.limit = static_cast<std::size_t>(a.number("limit", 100000, 1, 10000000));
  if (!f.status.empty() && f.status != "open" && f.status != "acknowledged" && f.status != "resolved")
    throw util::ArgsError("--status must be open, acknowledged or resolved, got '" + f.status + "'");
  if (!f.severity.empty() && f.severity != "low" && f.severity != "medium" && f.severity != "high" &&
      f.severity != "critical")
    throw util::ArgsError("--severity must be low, medium, high or critical, got '" + f.severity + "'");
  auto db = openExistingDatabase(a.require("data-dir"));
  for (const auto& r : listAlerts(*db, f)) {
    std::printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(r.id),
                statusName(r.status, vi).c_str(), r.severity.c_str(), r.unitCode.c_str(),
                r.rule.c_str(), r.subject.c_str(), (vi ? r.titleVi : r.titleEn).c_str(),
                r.detail.c_str());
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
              (when(r->firstSeen, vi) + " / " + when(r->lastSeen, vi)).c_str());
  std::printf("%s:\n", vi ? "Lịch sử" : "History");
  for (const auto& e : alertEvents(*db, id)) {
    std::printf("  %s  %-12s %-10s %s\n", when(e.at, vi).c_str(), e.event.c_str(), e.actor.c_str(),
                e.detail.c_str());
  }
  return 0;
}

int alertsAct(const std::vector<std::string>& argv, AlertAction action) {
  std::set<std::string> valued = {"data-dir", "lang", "comment", "text", "to"};
  util::Args a(argv, valued, {});
  bool vi = vietnamese(a);
  std::int64_t id = alertId(a);
  std::string text;
  switch (action) {
    case AlertAction::Acknowledge:
    case AlertAction::Resolve: text = a.getOr("comment", ""); break;
    case AlertAction::Comment: text = a.require("text"); break;
    case AlertAction::Assign: text = a.require("to"); break;
  }
  auto db = openExistingDatabase(a.require("data-dir"));
  auto r = actOnAlert(*db, id, action, cliActor(), text, util::unixNow());
  std::printf("%s %lld: %s%s%s\n", vi ? "Cảnh báo" : "Alert", static_cast<long long>(r.id),
              statusName(r.status, vi).c_str(), r.assignee.empty() ? "" : ", ",
              r.assignee.empty() ? "" : ((vi ? "giao cho " : "assigned to ") + r.assignee).c_str());
  return 0;
}
// Console users (collector/auth/). Input errors (name, role, weak password) exit 2 before
// anything is stored; a duplicate or unknown user exits 1.
auth::Role userRole(const util::Args& a) {
  std::string text = a.require("role");
  auto role = auth::parseRole(text);
  if (!role) {
    throw util::ArgsError("vai trò phải là admin, soc hoặc auditor / --role must be admin, soc or auditor, got '" +
                          text + "'");
  }
  return *role;
}

std::string userName(const util::Args& a) {
  std::string name = a.require("name");
  if (auto e = auth::checkUserName(name)) throw util::ArgsError(*e + ", got '" + name + "'");
  return name;
}

// The new password: one line of stdin (without its line ending), or a generated one.
std::string newPassword(const util::Args& a, const std::string& name, bool& generated) {
  generated = !a.flag("password-stdin");
  if (generated) return auth::generatePassword(name);
  std::string line;
  if (!std::getline(std::cin, line)) {
    throw util::ArgsError("không đọc được mật khẩu từ stdin / no password on stdin");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (auto e = auth::checkPassword(name, line)) throw util::ArgsError(*e);
  return line;
}

void printGenerated(const std::string& name, const std::string& password) {
  std::printf("%s\n", password.c_str());
  std::fprintf(stderr,
               "Mật khẩu của %s (chỉ hiện một lần, hãy ghi lại và đổi sau khi đăng nhập).\n"
               "Password of %s (shown only once: keep it safe).\n",
               name.c_str(), name.c_str());
}

int userAdd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "name", "role"}, {"password-stdin"});
  std::string name = userName(a);
  auth::Role role = userRole(a);
  bool generated = false;
  std::string password = newPassword(a, name, generated);
  auto db = openDatabase(a.require("data-dir"));
  try {
    auth::addUser(*db, name, role, password, cliActor(), util::unixNow());
  } catch (const auth::AuthError& e) {
    if (e.kind() == auth::AuthError::Kind::Invalid) throw util::ArgsError(e.what());
    throw;
  }
  if (generated) printGenerated(name, password);
  std::fprintf(stderr, "Đã tạo người dùng %s, vai trò %s. / Created user %s, role %s.\n",
               name.c_str(), std::string(auth::roleName(role)).c_str(), name.c_str(),
               std::string(auth::roleName(role)).c_str());
  return 0;
}

int userPasswd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "name"}, {"password-stdin"});
  std::string name = userName(a);
  bool generated = false;
  std::string password = newPassword(a, name, generated);
  auto db = openExistingDatabase(a.require("data-dir"));
  try {
    auth::setPassword(*db, name, password, cliActor(), util::unixNow());
  } catch (const auth::AuthError& e) {
    if (e.kind() == auth::AuthError::Kind::Invalid) throw util::ArgsError(e.what());
    throw;
  }
  if (generated) printGenerated(name, password);
  std::fprintf(stderr, "Đã đổi mật khẩu của %s, các phiên đăng nhập đã kết thúc. / Password of %s changed, its sessions ended.\n",
               name.c_str(), name.c_str());
  return 0;
}

int userSetDisabled(const std::vector<std::string>& argv, bool disabled) {
  util::Args a(argv, {"data-dir", "name"}, {});
  std::string name = userName(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  bool changed = auth::setDisabled(*db, name, disabled, cliActor(), util::unixNow());
  if (disabled) {
    std::printf(changed ? "Đã khoá người dùng %s. / User %s disabled.\n"
                        : "Người dùng %s đã bị khoá từ trước. / User %s was already disabled.\n",
                name.c_str(), name.c_str());
  } else {
    std::printf(changed ? "Đã mở khoá người dùng %s. / User %s enabled.\n"
                        : "Người dùng %s đang hoạt động. / User %s was already enabled.\n",
                name.c_str(), name.c_str());
  }
  return 0;
}

int userSetRole(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "name", "role"}, {});
  std::string name = userName(a);
  auth::Role role = userRole(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  auth::setRole(*db, name, role, cliActor(), util::unixNow());
  std::string r(auth::roleName(role));
  std::printf("Người dùng %s: vai trò %s. / User %s: role %s.\n", name.c_str(), r.c_str(),
              name.c_str(), r.c_str());
  return 0;
}

std::string padded(const std::string& text, std::size_t width) {
  return util::padRight(text, width);
}

int userList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang"}, {});
  bool vi = vietnamese(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  std::printf("%s%s%s%s\n", padded(vi ? "TÊN" : "NAME", 25).c_str(),
              padded(vi ? "VAI TRÒ" : "ROLE", 9).c_str(),
              padded(vi ? "TRẠNG THÁI" : "STATE", 36).c_str(), vi ? "ĐĂNG NHẬP GẦN NHẤT" : "LAST LOGIN");
  for (const auto& u : auth::listUsers(*db)) {
    // Login locks are per (user, source address) and live in the console's memory
    // (collector/auth/login_throttle.h): a user as such is only ever disabled or active.
    std::string state = u.disabledAt ? (vi ? "đã khoá" : "disabled") : (vi ? "hoạt động" : "active");
    std::printf("%s%s%s%s\n", padded(u.name, 25).c_str(),
                padded(std::string(auth::roleName(u.role)), 9).c_str(), padded(state, 36).c_str(),
                u.lastLoginAt ? when(*u.lastLoginAt, vi).c_str() : "-");
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<util::Command> commands = {{{"serve"}, serve},
       {{"token", "create"}, tokenCreate},
       {{"status"}, status},
       {{"export"}, exportList},
       {{"export", "verify"}, exportVerify},
       {{"policy", "check"}, policyCheck},
       {{"alerts", "list"}, alertsList},
       {{"alerts", "show"}, alertsShow},
       {{"alerts", "ack"}, [](const auto& v) { return alertsAct(v, AlertAction::Acknowledge); }},
       {{"alerts", "resolve"}, [](const auto& v) { return alertsAct(v, AlertAction::Resolve); }},
       {{"alerts", "comment"}, [](const auto& v) { return alertsAct(v, AlertAction::Comment); }},
       {{"alerts", "assign"}, [](const auto& v) { return alertsAct(v, AlertAction::Assign); }},
       {{"user", "add"}, userAdd},
       {{"user", "list"}, userList},
       {{"user", "passwd"}, userPasswd},
       {{"user", "disable"}, [](const auto& v) { return userSetDisabled(v, true); }},
       {{"user", "enable"}, [](const auto& v) { return userSetDisabled(v, false); }},
       {{"user", "role"}, userSetRole}};
  for (auto& c : org::orgCommands()) commands.push_back(std::move(c));
  for (auto& c : enrolmentCommands()) commands.push_back(std::move(c));
  static const std::string usage = std::string(kUsage) + kEnrolmentUsage + org::kOrgUsage;
  return util::runCommands("posture-collector", usage.c_str(), argc, argv, commands);
}

// posture-console-bench: the SOC console and the exports on a province-sized fleet.
// Prints figures; never fails on them (README.md here).
//
//   posture-console-bench [--endpoints 100000] [--units 500] [--requests 200] [--warmup 10]
//                         [--policies DIR] [--collector BIN] [--timeout 1800] [--keep]
//
// 1. A data directory under /tmp: the unit tree (1 province, districts, communes; as in
//    posture-evaluation-bench) imported as an organization, one report per endpoint written
//    through the collector's own storage code (collector::ReportWriter, like the storage
//    baseline; no enrolment), one admin user (auth::addUser).
// 2. The real `posture-collector serve --console-listen 127.0.0.1:0` on it; waits for its
//    first full evaluation (which opens the alerts), logs in, then N sequential GETs per
//    scenario on one keep-alive connection (the first --warmup not counted): p50/p95/p99/max.
//    Scenarios: the overview (cached) and the overview rebuilt (an alert comment before each
//    GET drops the cache); the alert list's first page, a commune, a district's subtree,
//    a deep page by keyset (after_id) and, with fewer requests, at the largest OFFSET the
//    API allows (10,000); the endpoint list (first page, a deep page by keyset, offset
//    10,000, a district, a search) and one endpoint's page.
// 3. GET /api/v1/export?format=csv|xlsx through the console; then, with the collector
//    stopped, `posture-collector export --format csv|xlsx` (wall time and size).
// 4. A summary table and the machine (nproc, load average at start and end).
// Bounded by --timeout: past it the collector is killed and the run ends with an error.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/json.h"
#include "common/util/process.h"
#include "common/util/time.h"
#include "tests/bench/console_client.h"
#include "tests/bench/province_fleet.h"

using namespace posture;
using namespace posture::bench;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

// Returns the admin's password.
std::string buildDataDir(const fs::path& dataDir, const Tree& tree, std::size_t endpoints,
                         std::uint64_t seed) {
  auto conn = collector::openDatabase(dataDir);
  db::Connection& db = *conn;
  std::int64_t now = util::unixNow();
  collector::org::importOrgText(db, tree.yaml(), "bench-units.yaml", "posture-console-bench", now);
  // One report per endpoint, collected an hour ago, through the collector's own writer.
  writeFleet(db, FleetSpec{seed, FleetGenerator(seed, tree.leaves)}, endpoints, now);
  return addBenchAdmin(db, now, "posture-console-bench");
}

int run(const std::vector<std::string>& argv) {
  util::Args a(argv, {"endpoints", "units", "requests", "warmup", "policies", "collector", "timeout",
                      "seed"},
               {"keep"});
  auto endpoints = static_cast<std::size_t>(a.number("endpoints", 100000, 1, 10000000));
  auto unitCount = static_cast<std::size_t>(a.number("units", 500, 3, 100000));
  int requests = static_cast<int>(a.number("requests", 200, 1, 100000));
  int warmup = static_cast<int>(a.number("warmup", 10, 0, 10000));
  auto timeout = std::chrono::seconds(a.number("timeout", 1800, 60, 86400));
  auto seed = static_cast<std::uint64_t>(a.number("seed", 20261124, 0, 1LL << 62));
  std::string policyDir = a.getOr("policies", std::string(POSTURE_SOURCE_DIR) + "/policies");
  std::string bin = a.getOr("collector", POSTURE_COLLECTOR_BIN);
  bool keep = a.flag("keep");

  unsigned cpus = std::thread::hardware_concurrency();
  std::string loadStart = loadAverage();
  std::printf("machine: nproc %u, load average at start %s\n", cpus, loadStart.c_str());

  RunDir runDir("posture-console-bench", keep);
  const fs::path& root = runDir.path();
  fs::path dataDir = root / "data";

  // 1. The data.
  Tree tree = makeTree(unitCount);
  auto t0 = Clock::now();
  std::string password = buildDataDir(dataDir, tree, endpoints, seed);
  double buildSeconds = secondsSince(t0);
  std::printf("data: %zu endpoints in %zu units (%zu districts) written in %.1f s to %s\n",
              endpoints, tree.leaves.size() + 1, tree.districts.size(), buildSeconds,
              dataDir.c_str());
  std::fflush(stdout);

  // 2. The collector. Past the time budget it is killed, which ends every blocking read.
  Server server({bin, "serve", "--data-dir", dataDir.string(), "--listen", "127.0.0.1:0",
                 "--console-listen", "127.0.0.1:0", "--policies", policyDir});
  Watchdog watchdog(timeout, "posture-console-bench");
  Watchdog::Scope guarded(watchdog, &server);

  auto started = Clock::now();
  std::string hostPort = server.consoleAddress();
  std::string evaluated = server.waitForLine("full evaluation of", std::chrono::seconds(900));
  double readySeconds = secondsSince(started);
  std::printf("collector pid %d, console %s; first full evaluation %.1f s after start:\n  %s\n",
              static_cast<int>(server.pid()), hostPort.c_str(), readySeconds, evaluated.c_str());
  std::fflush(stdout);

  Client client(hostPort);
  std::printf("login: %.0f ms (Argon2id, production cost)\n", client.login("bench-admin", password));
  // The login is audited ("user.login"), and a new audit entry makes the writer thread
  // rebuild the whole evaluation at its next periodic run (<= --evaluate-every, 2 s). The
  // overview runs on that thread: one request after that shows what waits behind it.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  double afterLoginMs = 0;
  {
    auto t = Clock::now();
    auto r = client.request(http::verb::get, "/api/v1/overview");
    afterLoginMs = secondsSince(t) * 1000.0;
    if (r.status != 200) throw std::runtime_error("overview -> " + std::to_string(r.status));
    std::printf("first overview 3 s after the login: %.0f ms\n", afterLoginMs);
  }

  // Alert totals for the filters.
  auto first = client.request(http::verb::get, "/api/v1/alerts?limit=1");
  auto total = util::parseJson(first.body).at("total").asInt();
  std::string commune = tree.leaves.back();
  std::string district = tree.districts.size() > 1 ? tree.districts[1] : tree.districts[0];
  std::printf("open alerts: %lld; unit filter %s, subtree %s\n", static_cast<long long>(total),
              commune.c_str(), district.c_str());
  std::printf("sequential requests on one keep-alive connection, %d counted after %d warm-up:\n",
              requests, warmup);
  std::fflush(stdout);

  // An alert id ~90% deep, for keyset paging (offset is capped at 10,000): between the
  // first and the last id (before_id from beyond the end gives the last); an alert to
  // comment on.
  std::int64_t firstId = util::parseJson(first.body).at("alerts").items().front().at("id").asInt();
  auto lastPage = client.request(http::verb::get, "/api/v1/alerts?limit=1&before_id=999999999");
  auto lastList = util::parseJson(lastPage.body).at("alerts");
  if (lastList.size() != 1) throw std::runtime_error("no last alert: " + lastPage.body.substr(0, 200));
  std::int64_t lastId = lastList.items().front().at("id").asInt();
  std::int64_t deepId = firstId + (lastId - firstId) * 9 / 10;
  int comments = 0;
  auto comment = [&] {
    util::Json b = util::Json::object();
    b.set("text", "bench " + std::to_string(++comments));
    auto r = client.request(http::verb::post, "/api/v1/alerts/" + std::to_string(firstId) + "/comment",
                            util::writeJson(b, false));
    if (r.status != 200) throw std::runtime_error("comment -> " + std::to_string(r.status) + " " + r.body);
  };

  std::vector<Series> series;
  series.push_back(measure(client, "overview", "/api/v1/overview", requests, warmup));
  series.push_back(measure(client, "overview (district)", "/api/v1/overview?unit=" + district, requests, warmup));
  // Each GET after an alert comment, which makes the cached overview stale: the cost of
  // building it on the writer thread.
  series.push_back(measure(client, "overview, rebuilt (after a comment)", "/api/v1/overview",
                           std::max(1, requests / 4), std::min(warmup, 3), comment));
  series.push_back(measure(client, "alerts", "/api/v1/alerts?limit=50", requests, warmup));
  series.push_back(measure(client, "alerts (unit)", "/api/v1/alerts?limit=50&unit=" + commune, requests, warmup));
  series.push_back(measure(client, "alerts (district subtree)", "/api/v1/alerts?limit=50&unit=" + district,
                           requests, warmup));
  series.push_back(measure(client, "alerts (deep, keyset)",
                           "/api/v1/alerts?limit=50&after_id=" + std::to_string(deepId), requests, warmup));
  // Issue 17: the grouped list (the alerts page's default), whole and over a district.
  series.push_back(measure(client, "alert groups", "/api/v1/alerts/groups?limit=50", requests, warmup));
  series.push_back(measure(client, "alert groups (district subtree)",
                           "/api/v1/alerts/groups?limit=50&unit=" + district, requests, warmup));
  // Endpoints: the list's first and a deep page, a district, a search; one detail page.
  // An endpoint near the end of the list's order (the first of the last unit), for the
  // keyset deep page, the search and the detail page.
  auto someEndpoints = util::parseJson(client.request(http::verb::get, "/api/v1/endpoints?limit=1&unit=" +
                                                                                  tree.leaves.back()).body)
                           .at("endpoints");
  if (someEndpoints.size() != 1) throw std::runtime_error("no endpoint in unit " + tree.leaves.back());
  std::string agent = someEndpoints.items().front().at("agent_id").asString();
  std::string host = someEndpoints.items().front().at("hostname").asString();
  series.push_back(measure(client, "endpoints", "/api/v1/endpoints?limit=50", requests, warmup));
  series.push_back(measure(client, "endpoints (deep page, keyset)", "/api/v1/endpoints?limit=50&after_id=" + agent,
                           requests, warmup));
  series.push_back(measure(client, "endpoints (offset 10000, the maximum)",
                           "/api/v1/endpoints?limit=50&offset=10000", requests, warmup));
  series.push_back(measure(client, "endpoints (district)", "/api/v1/endpoints?limit=50&unit=" + district,
                           requests, warmup));
  series.push_back(measure(client, "endpoints (search)", "/api/v1/endpoints?limit=50&q=" + host.substr(0, host.size() - 1),
                           requests, warmup));
  series.push_back(measure(client, "endpoint detail", "/api/v1/endpoints/" + agent, requests, warmup));
  // Issue 17 (posture at a glance): the failing-rule filter (the rule of an open endpoint
  // alert), the host-name prefix search on its index (in upper case: any case matches),
  // sorts by posture columns (a first page, a deep keyset page) and the CSV of a district.
  std::string rule;
  auto openAlerts = util::parseJson(client.request(http::verb::get, "/api/v1/alerts?limit=200").body);
  for (const auto& a : openAlerts.at("alerts").items()) {
    if (a.at("subject").asString().starts_with("endpoint:") && a.at("rule").asString() != "posture/endpoint-stale") {
      rule = a.at("rule").asString();
      break;
    }
  }
  if (rule.empty()) throw std::runtime_error("no open endpoint alert to filter by");
  auto ruleTotal = util::parseJson(client.request(http::verb::get, "/api/v1/endpoints?limit=1&rule=" + rule).body)
                       .at("total").asInt();
  std::printf("failing rule %s: %lld endpoints; host name prefix %s\n", rule.c_str(),
              static_cast<long long>(ruleTotal), host.substr(0, host.size() - 1).c_str());
  std::string upperHost = host.substr(0, host.size() - 1);
  for (char& ch : upperHost) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  series.push_back(measure(client, "endpoints (failing rule)", "/api/v1/endpoints?limit=50&rule=" + rule,
                           requests, warmup));
  series.push_back(measure(client, "endpoints (failing rule, district)",
                           "/api/v1/endpoints?limit=50&rule=" + rule + "&unit=" + district, requests, warmup));
  series.push_back(measure(client, "endpoints (host name prefix, upper case)",
                           "/api/v1/endpoints?limit=50&q=" + upperHost, requests, warmup));
  series.push_back(measure(client, "endpoints (host name prefix, 4 characters)",
                           "/api/v1/endpoints?limit=50&q=" + host.substr(0, 4), requests, warmup));
  series.push_back(measure(client, "endpoints (sort signature_age desc)",
                           "/api/v1/endpoints?limit=50&sort=signature_age&dir=desc", requests, warmup));
  {
    auto page = util::parseJson(
        client.request(http::verb::get, "/api/v1/endpoints?limit=1&sort=ipv6&offset=" +
                                            std::to_string(std::min<std::size_t>(10000, endpoints - 1))).body);
    if (page.at("endpoints").size() != 1) throw std::runtime_error("no endpoint to page after: " + util::writeJson(page, false));
    std::string cursor = page.at("endpoints").items().front().at("cursor").asString();
    std::string escaped;
    for (unsigned char ch : cursor) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      escaped += std::isalnum(ch) ? std::string(1, static_cast<char>(ch)) : std::string(buf);
    }
    series.push_back(measure(client, "endpoints (sort ipv6, keyset page after row 10,000)",
                             "/api/v1/endpoints?limit=50&sort=ipv6&after=" + escaped, requests, warmup));
  }
  series.push_back(measure(client, "endpoints (sort security desc, district)",
                           "/api/v1/endpoints?limit=50&sort=security&dir=desc&unit=" + district, requests, warmup));
  series.push_back(measure(client, "endpoints.csv (district)", "/api/v1/endpoints.csv?unit=" + district,
                           std::max(1, requests / 10), std::min(warmup, 2)));
  // OFFSET walks every skipped row; the API caps it at 10,000 (deeper: keyset paging).
  series.push_back(measure(client, "alerts (offset 10000, the maximum)", "/api/v1/alerts?limit=50&offset=10000",
                           std::max(1, requests / 10), std::min(warmup, 2)));

  // 3. Exports: through the console (first request builds, a repeat within 2 min is cached),
  // then the CLI with the collector stopped.
  std::vector<Timed> exports;
  for (std::string format : {"csv", "xlsx"}) {
    for (int pass = 0; pass < (format == "csv" ? 2 : 1); ++pass) {
      auto t = Clock::now();
      auto r = client.request(http::verb::get, "/api/v1/export?format=" + format);
      double s = secondsSince(t);
      if (r.status != 200) throw std::runtime_error("export " + format + " -> " + std::to_string(r.status));
      exports.push_back({"console GET /api/v1/export?format=" + format + (pass ? " (cached repeat)" : ""),
                         s, r.body.size()});
      std::printf("  %-58s %6.2f s  %ju bytes\n", exports.back().name.c_str(), s,
                  exports.back().bytes);
      std::fflush(stdout);
    }
  }
  // The remediation list (issue 17): built like an export for every request (no cache).
  for (std::string query : {"?unit=" + district, std::string(), std::string("?format=csv"),
                            std::string("?format=xlsx")}) {
    auto t = Clock::now();
    auto r = client.request(http::verb::get, "/api/v1/remediation" + query);
    double s = secondsSince(t);
    if (r.status != 200) throw std::runtime_error("remediation " + query + " -> " + std::to_string(r.status));
    exports.push_back({"console GET /api/v1/remediation" + query, s, r.body.size()});
    std::printf("  %-58s %6.2f s  %ju bytes\n", exports.back().name.c_str(), s, exports.back().bytes);
    std::fflush(stdout);
  }
  std::string rss = procStatus(server.pid(), "VmHWM");
  std::size_t sweeps = server.linesContaining("swept").size();
  auto rebuildLines = server.linesContaining("full evaluation of");
  std::size_t rebuilds = rebuildLines.size();
  server.stop();

  for (std::string format : {"csv", "xlsx"}) {
    fs::path out = root / ("all." + format);
    auto t = Clock::now();
    auto r = util::runProcess({bin, "export", "--data-dir", dataDir.string(), "--policies", policyDir,
                               "--format", format, "--out", out.string()},
                              std::chrono::seconds(900));
    double s = secondsSince(t);
    if (!util::succeeded(r)) throw std::runtime_error("export " + format + ": " + util::failureReason(r));
    exports.push_back({"CLI posture-collector export --format " + format, s, fs::file_size(out)});
    std::printf("  %-58s %6.2f s  %ju bytes\n", exports.back().name.c_str(), s, exports.back().bytes);
    std::fflush(stdout);
  }
  {
    fs::path out = root / "remediation.csv";
    auto t = Clock::now();
    auto r = util::runProcess({bin, "remediation", "--data-dir", dataDir.string(), "--policies",
                               policyDir, "--format", "csv", "--out", out.string()},
                              std::chrono::seconds(900));
    double s = secondsSince(t);
    if (!util::succeeded(r)) throw std::runtime_error("remediation: " + util::failureReason(r));
    exports.push_back({"CLI posture-collector remediation --format csv", s, fs::file_size(out)});
    std::printf("  %-58s %6.2f s  %ju bytes\n", exports.back().name.c_str(), s, exports.back().bytes);
    std::fflush(stdout);
  }
  watchdog.check();

  // 4. Summary.
  std::string loadEnd = loadAverage();
  std::printf("\n== summary: %zu endpoints, %zu units, %lld open alerts ==\n", endpoints,
              tree.leaves.size() + 1, static_cast<long long>(total));
  std::printf("%-60s %8s %8s %8s %8s\n", "request (ms)", "p50", "p95", "p99", "max");
  for (const auto& s : series)
    std::printf("%-60s %8.1f %8.1f %8.1f %8.1f\n", s.name.c_str(), s.at(0.5), s.at(0.95), s.at(0.99),
                s.ms.back());
  std::printf("%-60s %8s %12s\n", "export", "seconds", "bytes");
  for (const auto& e : exports)
    std::printf("%-60s %8.2f %12ju\n", e.name.c_str(), e.seconds, e.bytes);
  std::printf("data directory built in %.1f s; collector ready (first evaluation) %.1f s after start; "
              "collector peak RSS %s; %zu full evaluation(s), %zu sweep log line(s); %d connection(s)\n",
              buildSeconds, readySeconds, rss.c_str(), rebuilds, sweeps, client.connects);
  std::printf("first overview 3 s after the login: %.0f ms\n", afterLoginMs);
  std::printf("the collector's full evaluations (its log):\n");
  for (const auto& l : rebuildLines) std::printf("  %s\n", l.c_str());
  std::printf("machine: nproc %u, load average start %s, end %s\n", cpus, loadStart.c_str(),
              loadEnd.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "posture-console-bench: %s\n", e.what());
    return 2;
  }
}

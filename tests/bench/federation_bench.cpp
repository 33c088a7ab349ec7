// posture-federation-bench: a province over its districts (issue 16), beside one collector
// that holds the same endpoints itself. Prints figures; never fails on them (README.md here).
//
//   posture-federation-bench [--districts 50] [--endpoints-per-district 2000]
//                            [--units-per-district 10] [--changed-percent 1] [--requests 200]
//                            [--warmup 10] [--policies DIR] [--collector BIN] [--timeout 3600]
//                            [--seed N] [--no-http] [--keep]
//
// 1. Districts: a data directory each under /tmp, its unit D<n> with its communes, one
//    report per endpoint through the collector's storage code (province_fleet) and the
//    alerts of its first full evaluation (collector::LiveEvaluation). The province: QNG and
//    the districts' units, each district registered as a child mounted at its unit.
// 2. The snapshot, in this process: per district, buildPicture + stage, then nextPush ->
//    bytes -> applyPushBytes at the province (what POST /v1/federation/push runs in its
//    writer job) -> ack bytes -> acknowledge, until the outbox is empty. District and
//    province timed apart (wall and CPU).
// 3. One delta per district: --changed-percent of its endpoints get a new report (storage
//    code), then the same round: CPU of each side, bytes.
// 4. The real `posture-collector serve --console-listen 127.0.0.1:0` on the province: the
//    overview's p95 (cached, a district, rebuilt after an alert comment), the endpoint list,
//    GET /api/v1/export?format=csv, then the CLI `posture-collector export --format csv`.
// 5. One collector with the same endpoints (the same reports) itself: the same figures; its
//    "snapshot" is the storage of every report, its "delta" the storage and the live
//    evaluation (LiveEvaluation::onReports) of the same changed reports.
// 6. Unless --no-http: the same snapshot and delta through the real link
//    (collector/upstream/link.h: enrolment with a child token, mTLS pushes) to a second
//    province `serve`, until its console's overview counts every endpoint; the province
//    process's CPU from /proc. Whatever the province does after a push (today: a full
//    evaluation at its next tick) is in these figures.
// 7. A summary table and the machine. Bounded by --timeout: past it the running collector
//    is killed and the run ends with an error.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "collector/evaluation/live.h"
#include "collector/federation/mounts.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/util/args.h"
#include "common/util/json.h"
#include "common/util/process.h"
#include "common/util/time.h"
#include "tests/bench/console_client.h"
#include "tests/bench/federation_tiers.h"

using namespace posture;
using namespace posture::bench;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

struct Options {
  std::size_t districts = 50, perDistrict = 2000, unitsPerDistrict = 10;
  double changedPercent = 1;
  int requests = 200, warmup = 10;
  std::string policyDir, bin;
  std::uint64_t seed = 20261124;
  bool http = true;
};

// What a console user sees of one collector.
struct ConsoleFigures {
  double readySeconds = 0;   // from start to the log line of its first full evaluation
  double evaluationMs = -1;  // what that line says the evaluation took
  std::vector<Series> series;
  std::vector<Timed> exports;
  std::size_t csvLines = 0;  // of the console's CSV, header included
  std::string rss;
};

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

ConsoleFigures consoleFigures(const std::string& who, const fs::path& dataDir,
                              const std::string& password, const std::string& district,
                              const Options& o, Watchdog& watchdog) {
  ConsoleFigures f;
  std::printf("\n-- %s: posture-collector serve on %s\n", who.c_str(), dataDir.c_str());
  std::fflush(stdout);
  Server server({o.bin, "serve", "--data-dir", dataDir.string(), "--listen", "127.0.0.1:0",
                 "--console-listen", "127.0.0.1:0", "--policies", o.policyDir});
  Watchdog::Scope guarded(watchdog, &server);
  auto started = Clock::now();
  std::string hostPort = server.consoleAddress();
  std::string evaluated = server.waitForLine("full evaluation of", std::chrono::seconds(1800));
  f.readySeconds = secondsSince(started);
  if (auto at = evaluated.find(" endpoints in "); at != std::string::npos)
    f.evaluationMs = std::atof(evaluated.c_str() + at + 14);
  std::printf("first full evaluation %.1f s after start: %s\n", f.readySeconds, evaluated.c_str());
  Client client(hostPort);
  std::printf("login: %.0f ms\n", client.login("bench-admin", password));

  f.series.push_back(measure(client, "overview", "/api/v1/overview", o.requests, o.warmup));
  f.series.push_back(measure(client, "overview (district)", "/api/v1/overview?unit=" + district,
                             o.requests, o.warmup));
  // Rebuilt: an alert comment before each GET drops the cached overview.
  auto first = util::parseJson(client.request(http::verb::get, "/api/v1/alerts?limit=1").body);
  std::printf("open alerts: %lld\n", static_cast<long long>(first.at("total").asInt()));
  if (first.at("alerts").size() > 0) {
    std::string id = std::to_string(first.at("alerts").items().front().at("id").asInt());
    int comments = 0;
    auto comment = [&] {
      util::Json b = util::Json::object();
      b.set("text", "bench " + std::to_string(++comments));
      auto r = client.request(http::verb::post, "/api/v1/alerts/" + id + "/comment",
                              util::writeJson(b, false));
      if (r.status != 200)
        throw std::runtime_error("comment -> " + std::to_string(r.status) + " " + r.body);
    };
    f.series.push_back(measure(client, "overview, rebuilt (after a comment)", "/api/v1/overview",
                               std::max(1, o.requests / 4), std::min(o.warmup, 3), comment));
  } else {
    std::printf("  no open alert to comment on: the rebuilt overview is not measured\n");
  }
  auto listed = util::parseJson(client.request(http::verb::get, "/api/v1/endpoints?limit=1").body);
  std::printf("endpoint list total: %lld\n", static_cast<long long>(listed.at("total").asInt()));
  f.series.push_back(
      measure(client, "endpoints", "/api/v1/endpoints?limit=50", o.requests, o.warmup));
  f.series.push_back(measure(client, "endpoints (district)",
                             "/api/v1/endpoints?limit=50&unit=" + district, o.requests, o.warmup));
  for (int pass = 0; pass < 2; ++pass) {  // a repeat within 2 minutes is the console's cached file
    auto t = Clock::now();
    auto r = client.request(http::verb::get, "/api/v1/export?format=csv");
    double s = secondsSince(t);
    if (r.status != 200) throw std::runtime_error("export csv -> " + std::to_string(r.status));
    f.exports.push_back(
        {std::string("console GET /api/v1/export?format=csv") + (pass ? " (cached repeat)" : ""), s,
         r.body.size()});
    f.csvLines = lines(r.body);
    std::printf("  %-58s %6.2f s  %ju bytes, %zu lines\n", f.exports.back().name.c_str(), s,
                f.exports.back().bytes, f.csvLines);
  }
  f.rss = procStatus(server.pid(), "VmHWM");
  server.stop();
  fs::path out = dataDir.parent_path() / (dataDir.filename().string() + "-all.csv");
  auto t = Clock::now();
  auto r = util::runProcess({o.bin, "export", "--data-dir", dataDir.string(), "--policies",
                             o.policyDir, "--format", "csv", "--out", out.string()},
                            std::chrono::seconds(1800));
  double s = secondsSince(t);
  if (!util::succeeded(r)) throw std::runtime_error("export csv: " + util::failureReason(r));
  f.exports.push_back({"CLI posture-collector export --format csv", s, fs::file_size(out)});
  std::printf("  %-58s %6.2f s  %ju bytes\n", f.exports.back().name.c_str(), s,
              f.exports.back().bytes);
  std::fflush(stdout);
  watchdog.check();
  return f;
}

std::int64_t overviewEndpoints(Client& c, const std::string& root) {
  auto r = c.request(http::verb::get, "/api/v1/overview");
  if (r.status != 200) throw std::runtime_error("overview -> " + std::to_string(r.status));
  auto doc = util::parseJson(r.body);  // kept: a range-for would not keep the temporary alive
  for (const auto& u : doc.at("units").items()) {
    const auto* code = u.find("code");
    if (code && code->asString() == root) return u.at("endpoints").asInt();
  }
  std::fprintf(stderr, "overview without %s: %s\n", root.c_str(), r.body.substr(0, 600).c_str());
  return 0;
}

// Waits until the process's CPU stays at its idle rate (+20 ms/s) for 3 s in a row; at most
// `limit`. Returns the CPU seconds it used from `cpu0` on, less the idle rate over the time.
double cpuUntilIdle(pid_t pid, double cpu0, Clock::time_point since, double idlePerSecond,
                    std::chrono::seconds limit, const Watchdog& watchdog) {
  int quiet = 0;
  double last = processCpuSeconds(pid);
  auto until = Clock::now() + limit;
  while (quiet < 3 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    watchdog.check();
    double now = processCpuSeconds(pid);
    quiet = now - last <= idlePerSecond + 0.02 ? quiet + 1 : 0;
    last = now;
  }
  return last - cpu0 - idlePerSecond * secondsSince(since);
}

struct HttpFigures {
  double roundsSeconds = 0, allCountedSeconds = 0, provinceCpu = 0;
  std::uint64_t bytes = 0;
  std::vector<double> deltaDistrictCpu, deltaBytes;
  double deltaProvinceCpu = 0, idlePerSecond = 0, deltaRoundsSeconds = 0;
  bool done = false;
};

HttpFigures httpPath(const std::vector<DistrictSpec>& twins, const Tree& provinceTree,
                     const fs::path& root,
                     const std::vector<std::vector<collector::ReportRecord>>& deltas,
                     const PolicySet& policies, const Options& o, Watchdog& watchdog,
                     std::int64_t now) {
  HttpFigures h;
  fs::path dir = root / "province-http";
  std::string password = buildProvince(dir, provinceTree, now);
  std::printf("\n-- the real link: posture-collector serve on %s, %zu district(s) enrol and push\n",
              dir.c_str(), twins.size());
  Server server({o.bin, "serve", "--data-dir", dir.string(), "--listen", "127.0.0.1:0",
                 "--console-listen", "127.0.0.1:0", "--policies", o.policyDir});
  Watchdog::Scope guarded(watchdog, &server);
  std::string agentAddress = server.agentAddress();
  Client client(server.consoleAddress());
  server.waitForLine("full evaluation of", std::chrono::seconds(300));
  client.login("bench-admin", password);
  HttpLink link(o.bin, dir, agentAddress, policies);
  auto t = Clock::now();
  for (const auto& d : twins) link.enrol(d);
  std::printf("enrolled %zu district(s) in %.1f s\n", twins.size(), secondsSince(t));
  std::this_thread::sleep_for(std::chrono::seconds(3));

  double cpu0 = processCpuSeconds(server.pid());
  auto started = Clock::now();
  for (const auto& d : twins) {
    auto r = link.round(d);
    h.bytes += r.bytes;
    watchdog.check();
  }
  h.roundsSeconds = secondsSince(started);
  std::printf("snapshot rounds done (every push acknowledged) after %.1f s, %ju bytes\n",
              h.roundsSeconds, h.bytes);
  std::fflush(stdout);
  const auto total = static_cast<std::int64_t>(twins.size() * o.perDistrict);
  std::int64_t counted = 0;
  while ((counted = overviewEndpoints(client, "QNG")) != total) {
    if (secondsSince(started) > 1800)
      throw std::runtime_error("the province's overview counts " + std::to_string(counted) +
                               " endpoints");
    watchdog.check();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  h.allCountedSeconds = secondsSince(started);
  h.provinceCpu = processCpuSeconds(server.pid()) - cpu0;
  std::printf(
      "the province's overview counts all %lld endpoints %.1f s after the first push; "
      "province CPU %.1f s\n",
      static_cast<long long>(total), h.allCountedSeconds, h.provinceCpu);
  std::fflush(stdout);

  // Idle rate, then the delta: the same new reports in the twins, one round each.
  double idle0 = processCpuSeconds(server.pid());
  cpuUntilIdle(server.pid(), idle0, Clock::now(), 0.05, std::chrono::seconds(120), watchdog);
  idle0 = processCpuSeconds(server.pid());
  std::this_thread::sleep_for(std::chrono::seconds(5));
  h.idlePerSecond = (processCpuSeconds(server.pid()) - idle0) / 5.0;
  for (std::size_t n = 0; n < twins.size(); ++n) {
    auto db = collector::openDatabase(twins[n].dir);
    writeRecords(*db, deltas[n], now);
  }
  cpu0 = processCpuSeconds(server.pid());
  started = Clock::now();
  for (const auto& d : twins) {
    auto r = link.round(d);
    h.deltaDistrictCpu.push_back(r.cpu);
    h.deltaBytes.push_back(static_cast<double>(r.bytes));
  }
  h.deltaRoundsSeconds = secondsSince(started);
  h.deltaProvinceCpu = cpuUntilIdle(server.pid(), cpu0, started, h.idlePerSecond,
                                    std::chrono::seconds(300), watchdog);
  std::printf(
      "delta rounds %.1f s; the province's CPU until idle again %.2f s (idle rate %.3f s/s "
      "deducted)\n",
      h.deltaRoundsSeconds, h.deltaProvinceCpu, h.idlePerSecond);
  printSpread("district side, link round: CPU (s)", h.deltaDistrictCpu, 1, "s");
  printSpread("bytes of the round's pushes (KB)", h.deltaBytes, 1.0 / 1024, "KB");
  std::fflush(stdout);
  h.done = true;
  return h;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

const Series* findSeries(const ConsoleFigures& f, const std::string& name) {
  for (const auto& s : f.series)
    if (s.name.rfind(name + "  ", 0) == 0) return &s;
  return nullptr;
}

int run(const std::vector<std::string>& argv) {
  util::Args a(argv,
               {"districts", "endpoints-per-district", "units-per-district", "changed-percent",
                "requests", "warmup", "policies", "collector", "timeout", "seed"},
               {"no-http", "keep"});
  Options o;
  o.districts = static_cast<std::size_t>(a.number("districts", 50, 1, 1000));
  o.perDistrict = static_cast<std::size_t>(a.number("endpoints-per-district", 2000, 1, 1000000));
  o.unitsPerDistrict = static_cast<std::size_t>(a.number("units-per-district", 10, 1, 1000));
  o.changedPercent = static_cast<double>(a.number("changed-percent", 1, 1, 100));
  o.requests = static_cast<int>(a.number("requests", 200, 1, 100000));
  o.warmup = static_cast<int>(a.number("warmup", 10, 0, 10000));
  auto timeout = std::chrono::seconds(a.number("timeout", 3600, 60, 86400));
  o.seed = static_cast<std::uint64_t>(a.number("seed", 20261124, 0, 1LL << 40));
  o.policyDir = a.getOr("policies", std::string(POSTURE_SOURCE_DIR) + "/policies");
  o.bin = a.getOr("collector", POSTURE_COLLECTOR_BIN);
  o.http = !a.flag("no-http");
  bool keep = a.flag("keep");
  log::setLevel(log::Level::Warn);  // the districts' own evaluations would log a line each

  unsigned cpus = std::thread::hardware_concurrency();
  std::string loadStart = loadAverage();
  std::printf("machine: nproc %u, load average at start %s\n", cpus, loadStart.c_str());
  RunDir runDir("posture-federation-bench", keep);
  const fs::path& root = runDir.path();
  Watchdog watchdog(timeout, "posture-federation-bench");
  auto policies =
      std::make_shared<const std::vector<policy::Policy>>(policy::loadPolicyDirectory(o.policyDir));
  const std::size_t total = o.districts * o.perDistrict;

  // 1. The districts (and their twins for the real link) and the province.
  Tree tree = makeTree(1 + o.districts * o.unitsPerDistrict, o.districts);
  Tree provinceTree;
  for (const auto& u : tree.units)
    if (u.parent.empty() || u.parent == "QNG") provinceTree.units.push_back(u);
  std::int64_t now = util::unixNow();
  std::vector<DistrictSpec> districts, twins;
  auto t = Clock::now();
  for (std::size_t n = 0; n < o.districts; ++n) {
    const std::string& code = tree.districts[n];
    Tree sub = tree.subtree(code);
    std::uint64_t seed = o.seed + 1 + n;
    districts.push_back(DistrictSpec{code, root / "districts" / code, sub,
                                     FleetSpec{seed, FleetGenerator(seed, sub.leaves)},
                                     o.perDistrict});
    buildDistrict(districts.back(), policies, now);
    if (o.http) {
      twins.push_back(districts.back());
      twins.back().dir = root / "districts-http" / code;
      fs::create_directories(twins.back().dir.parent_path());
      fs::copy(districts.back().dir, twins.back().dir, fs::copy_options::recursive);
    }
    watchdog.check();
  }
  std::printf(
      "data: %zu district(s) of %zu endpoints (%zu in all), %zu units each, built in %.1f s under "
      "%s\n",
      o.districts, o.perDistrict, total, districts.front().tree.units.size(), secondsSince(t),
      root.c_str());
  fs::path provinceDir = root / "province";
  std::string provincePassword = buildProvince(provinceDir, provinceTree, now);
  auto province = collector::openDatabase(provinceDir);
  for (const auto& d : districts)
    collector::federation::registerChild(*province, "child-" + d.code, d.code, now);

  // 2. The snapshot, in process.
  Phase snapshot;
  t = Clock::now();
  for (const auto& d : districts) {
    auto db = collector::openDatabase(d.dir);
    snapshot.add(
        pushInProcess(*db, *province, "child-" + d.code, d.code, policies, util::unixNow()));
    watchdog.check();
  }
  snapshot.totalWall = secondsSince(t);
  snapshot.print("\nsnapshot, in process");
  auto held = province->prepare("SELECT count(*) FROM federated_endpoints");
  held.step();
  if (static_cast<std::size_t>(held.getInt(0)) != total)
    throw std::runtime_error("the province holds " + std::to_string(held.getInt(0)) +
                             " endpoint rows, not " + std::to_string(total));

  // 3. One delta per district.
  auto changed = changedEndpoints(o.perDistrict, o.changedPercent);
  std::vector<std::vector<collector::ReportRecord>> deltas;
  Phase delta;
  t = Clock::now();
  for (const auto& d : districts) {
    deltas.push_back(reportRecords(d.fleet, changed, 2, util::unixNow()));
    auto db = collector::openDatabase(d.dir);
    writeRecords(*db, deltas.back(), util::unixNow());
    delta.add(pushInProcess(*db, *province, "child-" + d.code, d.code, policies, util::unixNow()));
    watchdog.check();
  }
  delta.totalWall = secondsSince(t);
  char title[128];
  std::snprintf(title, sizeof title, "\ndelta, in process (%zu new report(s) per district)",
                changed.size());
  delta.print(title);
  province.reset();

  // 4. The province's console and exports.
  const std::string district = tree.districts[std::min<std::size_t>(1, o.districts - 1)];
  auto provinceConsole =
      consoleFigures("the province", provinceDir, provincePassword, district, o, watchdog);

  // 5. One collector with the same reports.
  fs::path singleDir = root / "single";
  WriteFigures single;
  std::string singlePassword;
  {
    auto db = collector::openDatabase(singleDir);
    collector::org::importOrgText(*db, tree.yaml(), "bench-units.yaml", "posture-federation-bench",
                                  now);
    for (const auto& d : districts) {
      auto f = writeFleet(*db, d.fleet, d.endpoints, now);
      single.reports += f.reports;
      single.bytes += f.bytes;
      single.seconds += f.seconds;
      single.cpuSeconds += f.cpuSeconds;
    }
    singlePassword = addBenchAdmin(*db, now, "posture-federation-bench");
  }
  std::printf("\none collector: %zu reports (%ju bytes) stored in %.2f s (CPU %.2f s)\n",
              single.reports, single.bytes, single.seconds, single.cpuSeconds);
  auto singleConsole =
      consoleFigures("one collector", singleDir, singlePassword, district, o, watchdog);
  WriteFigures singleDelta;
  double singleEvalCpu = 0, singleEvalWall = 0;
  {
    auto db = collector::openDatabase(singleDir);
    collector::LiveOptions lo;
    lo.policies = [policies] { return policies; };
    collector::LiveEvaluation live(lo);
    live.tick(*db);  // the model as the serving collector holds it
    std::vector<collector::ReportRecord> all;
    for (const auto& d : deltas) all.insert(all.end(), d.begin(), d.end());
    std::int64_t at = util::unixNow();
    singleDelta = writeRecords(*db, all, at);
    std::vector<const collector::ReportRecord*> records;
    for (const auto& r : all) records.push_back(&r);
    double cpu = selfCpuSeconds();
    auto e = Clock::now();
    live.onReports(*db, records, at);
    singleEvalWall = secondsSince(e);
    singleEvalCpu = selfCpuSeconds() - cpu;
  }
  std::printf(
      "one collector, the same %zu new reports: storage %.3f s (CPU %.3f s), live evaluation "
      "(LiveEvaluation::onReports) %.3f s (CPU %.3f s), %ju bytes\n",
      singleDelta.reports, singleDelta.seconds, singleDelta.cpuSeconds, singleEvalWall,
      singleEvalCpu, singleDelta.bytes);
  std::fflush(stdout);

  // 6. The real link.
  HttpFigures h;
  if (o.http) h = httpPath(twins, provinceTree, root, deltas, policies, o, watchdog, now);

  // 7. Summary.
  const double n = static_cast<double>(o.districts);
  std::printf("\n== summary: %zu district(s) x %zu endpoints = %zu endpoints, %zu units ==\n",
              o.districts, o.perDistrict, total, tree.units.size());
  std::printf("%-66s %18s %18s\n", "figure", "province", "one collector");
  auto row = [](const std::string& name, const std::string& fed, const std::string& one) {
    std::printf("%-66s %18s %18s\n", name.c_str(), fed.c_str(), one.c_str());
  };
  auto sSnap = [&](const std::vector<double>& v) { return spread(v).sum; };
  row("snapshot: storage, s (applyPushBytes | ReportWriter)",
      fmt("%.2f", sSnap(snapshot.provinceWall)), fmt("%.2f", single.seconds));
  row("snapshot: storage CPU, s", fmt("%.2f", sSnap(snapshot.provinceCpu)),
      fmt("%.2f", single.cpuSeconds));
  row("snapshot: district side (picture, stage, push, ack), s",
      fmt("%.2f", sSnap(snapshot.districtWall)), "-");
  row("snapshot: in-process rounds one after another, wall s", fmt("%.2f", snapshot.totalWall),
      "-");
  row("snapshot: MB (pushes | report bodies)", fmt("%.1f", sSnap(snapshot.bytes) / 1048576.0),
      fmt("%.1f", static_cast<double>(single.bytes) / 1048576.0));
  if (h.done) {
    row("snapshot, real link: every push acknowledged, s", fmt("%.1f", h.roundsSeconds), "-");
    row("snapshot, real link: overview counts every endpoint, s", fmt("%.1f", h.allCountedSeconds),
        "-");
    row("snapshot, real link: province process CPU, s", fmt("%.1f", h.provinceCpu), "-");
  }
  row("delta per district: district side CPU, ms (median)",
      fmt("%.1f", spread(delta.districtCpu).median * 1e3), "-");
  row("delta per district: storage CPU, ms (median | total / districts)",
      fmt("%.1f", spread(delta.provinceCpu).median * 1e3),
      fmt("%.1f", singleDelta.cpuSeconds * 1e3 / n));
  row("delta per district: KB (push, median | report bodies / districts)",
      fmt("%.1f", spread(delta.bytes).median / 1024),
      fmt("%.1f", static_cast<double>(singleDelta.bytes) / 1024 / n));
  row("delta, all districts: live evaluation CPU, s (one collector)", "-",
      fmt("%.3f", singleEvalCpu));
  if (h.done) {
    row("delta, real link: district round CPU, ms (median)",
        fmt("%.1f", spread(h.deltaDistrictCpu).median * 1e3), "-");
    row("delta, real link: province process CPU / districts, ms",
        fmt("%.1f", h.deltaProvinceCpu * 1e3 / n), "-");
    row("delta, real link: KB per round (median)", fmt("%.1f", spread(h.deltaBytes).median / 1024),
        "-");
  }
  row("serve: first full evaluation logged after start, s",
      fmt("%.1f", provinceConsole.readySeconds), fmt("%.1f", singleConsole.readySeconds));
  row("serve: that evaluation took, ms (its log line)", fmt("%.0f", provinceConsole.evaluationMs),
      fmt("%.0f", singleConsole.evaluationMs));
  for (const auto& s : provinceConsole.series) {
    std::string name = s.name.substr(0, s.name.find("  "));
    const Series* other = findSeries(singleConsole, name);
    row(name + ": p95 ms", fmt("%.1f", s.at(0.95)), other ? fmt("%.1f", other->at(0.95)) : "-");
  }
  if (!findSeries(provinceConsole, "overview, rebuilt (after a comment)")) {
    if (const Series* other = findSeries(singleConsole, "overview, rebuilt (after a comment)"))
      row("overview, rebuilt (after a comment): p95 ms", "-", fmt("%.1f", other->at(0.95)));
  }
  for (std::size_t i = 0; i < provinceConsole.exports.size() && i < singleConsole.exports.size();
       ++i)
    row(provinceConsole.exports[i].name + ", s", fmt("%.2f", provinceConsole.exports[i].seconds),
        fmt("%.2f", singleConsole.exports[i].seconds));
  row("CSV: lines (header included)", fmt("%.0f", static_cast<double>(provinceConsole.csvLines)),
      fmt("%.0f", static_cast<double>(singleConsole.csvLines)));
  row("CSV: MB",
      fmt("%.1f", static_cast<double>(provinceConsole.exports.front().bytes) / 1048576.0),
      fmt("%.1f", static_cast<double>(singleConsole.exports.front().bytes) / 1048576.0));
  row("serve: peak RSS", provinceConsole.rss, singleConsole.rss);
  std::printf("machine: nproc %u, load average start %s, end %s\n", cpus, loadStart.c_str(),
              loadAverage().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "posture-federation-bench: %s\n", e.what());
    return 2;
  }
}

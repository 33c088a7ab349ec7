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
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "collector/auth/users.h"
#include "common/util/json.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "common/util/args.h"
#include "common/util/process.h"
#include "common/util/time.h"
#include "tests/bench/fleet_baseline.h"
#include "tests/bench/fleet_generator.h"
#include "tests/integration/child_process.h"


using namespace posture;
namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string procStatus(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "?";
}

// ---- the collector process: stdout and stderr (its log) read by a thread ----

class Server {
 public:
  explicit Server(const std::vector<std::string>& argv) {
    int fd = -1;
    pid_ = test::spawnWithPipe(argv, true, fd);
    reader_ = std::thread([this, fd] {
      std::string partial;
      char buf[4096];
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        partial.append(buf, static_cast<std::size_t>(n));
        std::lock_guard lock(mutex_);
        for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
          lines_.push_back(partial.substr(0, nl));
          partial.erase(0, nl + 1);
        }
        cv_.notify_all();
      }
      ::close(fd);
      std::lock_guard lock(mutex_);
      eof_ = true;
      cv_.notify_all();
    });
  }
  ~Server() {
    stop();
    if (reader_.joinable()) reader_.join();
  }

  // The first line (from `from` on) containing needle; throws on timeout or exit.
  std::string waitForLine(const std::string& needle, std::chrono::seconds timeout,
                          std::size_t* from = nullptr) {
    std::unique_lock lock(mutex_);
    std::size_t i = from ? *from : 0;
    auto deadline = Clock::now() + timeout;
    for (;;) {
      for (; i < lines_.size(); ++i)
        if (lines_[i].find(needle) != std::string::npos) {
          if (from) *from = i + 1;
          return lines_[i];
        }
      if (eof_) throw std::runtime_error("the collector exited before printing '" + needle + "'");
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && i == lines_.size())
        throw std::runtime_error("timed out waiting for '" + needle + "'");
    }
  }
  std::vector<std::string> linesContaining(const std::string& needle) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& l : lines_)
      if (l.find(needle) != std::string::npos) out.push_back(l);
    return out;
  }
  pid_t pid() const { return pid_; }
  void kill9() {
    if (!reaped_) ::kill(pid_, SIGKILL);
  }
  void stop() {
    if (reaped_) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

// ---- a browser-like client: one keep-alive HTTPS connection, blocking ----

struct Reply {
  unsigned status = 0;
  std::string body, setCookie;
};

class Client {
 public:
  Client(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {
    tls_.set_verify_mode(asio::ssl::verify_none);  // the console's own CA; not what is measured
  }
  std::string cookie, csrf;
  int connects = 0;

  Reply request(http::verb method, const std::string& target, const std::string& body = {}) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!stream_) connect();
        return once(method, target, body);
      } catch (const std::exception&) {
        stream_.reset();
        if (attempt >= 1) throw;
      }
    }
  }

 private:
  void connect() {
    stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(io_, tls_);
    asio::ip::tcp::resolver resolver(io_);
    asio::connect(stream_->next_layer(), resolver.resolve(host_, port_));
    stream_->handshake(asio::ssl::stream_base::client);
    buffer_.clear();
    ++connects;
  }
  Reply once(http::verb method, const std::string& target, const std::string& body) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host_);
    req.keep_alive(true);
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    if (method == http::verb::post && !csrf.empty()) req.set("X-CSRF-Token", csrf);
    req.body() = body;
    req.prepare_payload();
    http::write(*stream_, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{1} << 31);
    http::read(*stream_, buffer_, parser);
    auto res = parser.release();
    Reply r;
    r.status = res.result_int();
    r.body = std::move(res.body());
    if (auto it = res.find(http::field::set_cookie); it != res.end()) r.setCookie = std::string(it->value());
    if (!res.keep_alive()) stream_.reset();
    return r;
  }

  std::string host_, port_;
  asio::io_context io_;
  asio::ssl::context tls_{asio::ssl::context::tls_client};
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> stream_;
  beast::flat_buffer buffer_;
};

// ---- figures ----

struct Series {
  std::string name;
  std::vector<double> ms;
  std::size_t bytes = 0;  // of the last response
  std::string note;
  double at(double q) const {  // nearest rank
    if (ms.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::min(ms.size(), std::max<std::size_t>(1, rank)) - 1];
  }
};

// `before`: a request made (and not timed) before each measured GET, e.g. an alert
// comment that makes the console's cached overview stale.
Series measure(Client& c, const std::string& name, const std::string& target, int requests,
               int warmup, const std::function<void()>& before = {}) {
  Series s;
  s.name = name + "  " + target;
  double warmupMax = 0;
  for (int i = 0; i < warmup + requests; ++i) {
    if (before) before();
    auto t = Clock::now();
    auto r = c.request(http::verb::get, target);
    double ms = secondsSince(t) * 1000.0;
    if (r.status != 200)
      throw std::runtime_error("GET " + target + " -> " + std::to_string(r.status) + ": " +
                               r.body.substr(0, 300));
    s.bytes = r.body.size();
    if (i >= warmup) s.ms.push_back(ms);
    else warmupMax = std::max(warmupMax, ms);
  }
  std::sort(s.ms.begin(), s.ms.end());
  std::printf("  %-58s n=%zu p50 %7.1f  p95 %7.1f  p99 %7.1f  max %7.1f ms  (%zu bytes; "
              "warm-up max %.1f ms)\n",
              s.name.c_str(), s.ms.size(), s.at(0.5), s.at(0.95), s.at(0.99), s.ms.back(), s.bytes,
              warmupMax);
  std::fflush(stdout);
  return s;
}

struct Timed {
  std::string name;
  double seconds = 0;
  std::uintmax_t bytes = 0;
};

// ---- the data directory ----

struct Tree {
  std::string yaml;
  std::vector<std::string> leaves;  // where endpoints sit: districts and communes
  std::vector<std::string> districts;
};

Tree makeTree(std::size_t unitCount) {
  Tree t;
  std::ostringstream y;
  y << "units:\n  - {code: QNG, kind: province, name_vi: \"Tỉnh Quảng Ngãi\", name_en: \"Quang Ngai province\"}\n";
  std::size_t districts = std::max<std::size_t>(1, unitCount / 20);
  for (std::size_t d = 0; d < districts; ++d) {
    std::string code = "D" + std::to_string(d);
    y << "  - {code: " << code << ", parent: QNG, kind: district, name_vi: \"Huyện " << d
      << "\", name_en: \"District " << d << "\"}\n";
    t.leaves.push_back(code);
    t.districts.push_back(code);
  }
  for (std::size_t c = 0; 1 + districts + c < unitCount; ++c) {
    std::string parent = "D" + std::to_string(c % districts);
    std::string code = parent + "-C" + std::to_string(c);
    y << "  - {code: " << code << ", parent: " << parent << ", kind: commune, name_vi: \"Xã "
      << c << "\", name_en: \"Commune " << c << "\"}\n";
    t.leaves.push_back(code);
  }
  t.yaml = y.str();
  return t;
}

// Returns the admin's password.
std::string buildDataDir(const fs::path& dataDir, const Tree& tree, std::size_t endpoints,
                         std::uint64_t seed) {
  auto conn = collector::openDatabase(dataDir);
  db::Connection& db = *conn;
  std::int64_t now = util::unixNow();
  collector::org::importOrgText(db, tree.yaml, "bench-units.yaml", "posture-console-bench", now);

  // One report per endpoint, collected an hour ago, through the collector's own writer.
  bench::FleetGenerator gen(seed, tree.leaves);
  collector::ReportWriter writer(db);
  const std::size_t batch = 2048;
  for (std::size_t start = 0; start < endpoints; start += batch) {
    std::vector<collector::ReportRecord> rows;
    for (std::size_t i = start; i < std::min(endpoints, start + batch); ++i) {
      auto profile = gen.profile(i);
      collector::ReportRecord r;
      r.agentId = bench::baselineAgentId(seed, i);
      r.unitCode = profile.unitCode;
      r.hostname = profile.hostname;
      r.sequence = 1;
      r.collectedAt = now - 3600;
      r.body = gen.report(profile, r.agentId, 1, now - 3600).SerializeAsString();
      rows.push_back(std::move(r));
    }
    db::Transaction tx(db);
    for (const auto& r : rows) writer.insert(r, now - 3590);
    tx.commit();
  }
  std::string password = collector::auth::generatePassword("bench-admin");
  collector::auth::addUser(db, "bench-admin", collector::auth::Role::Admin, password,
                           "posture-console-bench", now);
  return password;
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

  std::string tmpl = (fs::temp_directory_path() / "posture-console-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  fs::path root = tmpl;
  fs::path dataDir = root / "data";
  struct Cleanup {
    fs::path root;
    bool keep;
    ~Cleanup() {
      if (keep) {
        std::printf("kept %s\n", root.c_str());
        return;
      }
      std::error_code ec;
      fs::remove_all(root, ec);
    }
  } cleanup{root, keep};

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
  std::mutex doneMutex;
  std::condition_variable doneCv;
  bool done = false;
  std::atomic<bool> expired{false};
  std::thread watchdog([&] {
    std::unique_lock lock(doneMutex);
    if (!doneCv.wait_for(lock, timeout, [&] { return done; })) {
      expired = true;
      std::fprintf(stderr, "posture-console-bench: time budget of %llds exceeded, stopping\n",
                   static_cast<long long>(timeout.count()));
      server.kill9();
    }
  });
  struct JoinWatchdog {
    std::mutex& m;
    std::condition_variable& cv;
    bool& done;
    std::thread& t;
    ~JoinWatchdog() {
      {
        std::lock_guard lock(m);
        done = true;
      }
      cv.notify_all();
      t.join();
    }
  } joinWatchdog{doneMutex, doneCv, done, watchdog};

  auto started = Clock::now();
  std::string consoleLine = server.waitForLine("console: https://", std::chrono::seconds(120));
  std::string hostPort = consoleLine.substr(consoleLine.find("https://") + 8);
  if (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
  std::string evaluated = server.waitForLine("full evaluation of", std::chrono::seconds(900));
  double readySeconds = secondsSince(started);
  std::printf("collector pid %d, console %s; first full evaluation %.1f s after start:\n  %s\n",
              static_cast<int>(server.pid()), hostPort.c_str(), readySeconds, evaluated.c_str());
  std::fflush(stdout);

  auto colon = hostPort.rfind(':');
  Client client(hostPort.substr(0, colon), hostPort.substr(colon + 1));
  {
    util::Json b = util::Json::object();
    b.set("name", std::string("bench-admin"));
    b.set("password", password);
    auto t = Clock::now();
    auto r = client.request(http::verb::post, "/api/v1/session", util::writeJson(b, false));
    if (r.status != 200) throw std::runtime_error("login failed: " + std::to_string(r.status) + " " + r.body);
    client.cookie = r.setCookie.substr(0, r.setCookie.find(';'));
    client.csrf = util::parseJson(r.body).at("csrf").asString();
    std::printf("login: %.0f ms (Argon2id, production cost)\n", secondsSince(t) * 1000.0);
  }
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
  if (expired) throw std::runtime_error("time budget exceeded");

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

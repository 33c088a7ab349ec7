// Metrics and health (issue 18) against the real collector: a real Prometheus (Debian's
// `prometheus`) scrapes it while the fleet simulator sends reports over mTLS, promtool
// checks the exposition, and Prometheus' query API returns the number of reports sent.
// Then /healthz and /readyz (503 while another process holds the database's write lock),
// the TLS mode with its bearer token (and Prometheus scraping it as the README says), the
// refusal to start without a token, and a flood of idle connections.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/db/sqlite.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
struct Answer {
  int status = 0;  // 0: no HTTP answer at all
  std::string body;
  std::string error;
};

// One request with curl: extra arguments (headers, --cacert) before the URL.
Answer fetch(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10", "-o", "-", "-w",
                                   "\n%{http_code}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  auto r = util::runProcess(argv, 20s);
  Answer a;
  auto nl = r.out.rfind('\n');
  if (nl != std::string::npos) {
    a.body = r.out.substr(0, nl);
    a.status = std::atoi(r.out.c_str() + nl + 1);
  }
  a.error = r.err;
  return a;
}

bool waitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

// A port free on 127.0.0.1 right now (bound and released).
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// The first sample value of a Prometheus instant query's answer ("value":[TIME,"V"]), or "".
std::string queryValue(const std::string& json) {
  auto at = json.find("\"value\":[");
  if (at == std::string::npos) return {};
  auto open = json.find(",\"", at);
  if (open == std::string::npos) return {};
  auto close = json.find('"', open + 2);
  return close == std::string::npos ? std::string() : json.substr(open + 2, close - open - 2);
}

// Debian's Prometheus on 127.0.0.1 with `scrapeConfig` (YAML of one job), a 1 s interval
// and its storage in `dir`; stopped (SIGTERM) with the object.
struct Prometheus {
  std::string address;
  std::unique_ptr<test::ChildProcess> process;
  Prometheus(const fs::path& dir, const std::string& scrapeConfig) {
    auto config = dir / "prometheus.yml";
    util::writeFileAtomic(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" +
                                scrapeConfig);
    address = "127.0.0.1:" + std::to_string(freePort());
    process = std::make_unique<test::ChildProcess>(std::vector<std::string>{
        "/usr/bin/prometheus", "--config.file=" + config.string(),
        "--storage.tsdb.path=" + (dir / "tsdb").string(), "--web.listen-address=" + address,
        "--log.level=warn"});
    REQUIRE_MESSAGE(waitFor([&] { return fetch("http://" + address + "/-/ready").status == 200; }, 60s),
                    "Prometheus did not become ready on " << address);
  }
  std::string query(const std::string& q) {
    return queryValue(fetch("http://" + address + "/api/v1/query?query=" + q).body);
  }
};

// A sample's value in an exposition ("name{labels} value" or "name value"), or "".
std::string sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return {};
  auto start = at + series.size() + 2;
  return text.substr(start, text.find('\n', start) - start);
}

// Idle TCP connections from `source` (another loopback address) to `address`.
class Flood {
 public:
  Flood(const std::string& source, const std::string& address, int count) {
    auto colon = address.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
      fds_.push_back(fd);
    }
  }
  ~Flood() {
    for (int fd : fds_) ::close(fd);
  }
  std::size_t closedByServer() const {
    std::size_t n = 0;
    for (int fd : fds_) {
      pollfd p{fd, POLLIN, 0};
      char c;
      if (::poll(&p, 1, 0) == 1 && ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0) ++n;
    }
    return n;
  }

 private:
  std::vector<int> fds_;
};
}  // namespace

TEST_CASE("a real Prometheus scrapes the collector: promtool passes, the query returns the reports sent") {
  REQUIRE_MESSAGE(fs::exists("/usr/bin/prometheus"), "Debian's prometheus is missing (scripts/install-deps.sh)");
  test::TempDir dir("posture-metrics-");
  test::CollectorProcess collector({"--metrics-listen", "127.0.0.1:0"});
  REQUIRE(!collector.metricsAddress.empty());
  const std::string metrics = "http://" + collector.metricsAddress + "/metrics";

  // Before any report: every refusal cause is there at 0, and the text passes promtool.
  auto before = fetch(metrics);
  REQUIRE(before.status == 200);
  CHECK(sample(before.body, "posture_reports_acknowledged_total") == "0");
  CHECK(sample(before.body, "posture_reports_refused_total{cause=\"revoked\"}") == "0");

  const int endpoints = 6, rounds = 3;
  auto sim = util::runProcess(
      {POSTURE_FLEET_SIM_BIN, "--collector", collector.address, "--ca-fingerprint",
       collector.caFingerprint, "--unit", "BS-VP=" + collector.createToken("BS-VP", endpoints),
       "--endpoints", std::to_string(endpoints), "--reports", std::to_string(rounds), "--seed", "18",
       "--quiet"},
      120s);
  INFO(sim.out, sim.err);
  REQUIRE(sim.exitCode == 0);
  const std::string sent = std::to_string(endpoints * rounds);
  REQUIRE(sim.out.find("reports_acknowledged: " + sent + "\n") != std::string::npos);

  auto after = fetch(metrics);
  REQUIRE(after.status == 200);
  CHECK(sample(after.body, "posture_reports_acknowledged_total") == sent);
  CHECK(sample(after.body, "posture_reports_received_total") == sent);
  CHECK(sample(after.body, "posture_ingest_batch_commit_seconds_bucket{le=\"+Inf\"}") ==
        sample(after.body, "posture_ingest_batch_commit_seconds_count"));
  CHECK(!sample(after.body, "posture_database_size_bytes").empty());
  CHECK(!sample(after.body, "process_resident_memory_bytes").empty());
  CHECK(after.body.find("posture_tls_handshake_failures_total{listener=\"agent\"}") != std::string::npos);
  // The live evaluation's figures arrive with its next tick (every second here).
  CHECK(waitFor([&] { return sample(fetch(metrics).body, "posture_endpoints") == std::to_string(endpoints); },
                30s));
  // No per-endpoint label anywhere: no hostname, no agent id.
  CHECK(after.body.find("agent_id") == std::string::npos);
  CHECK(after.body.find("hostname") == std::string::npos);

  util::writeFileAtomic(dir.path() / "scrape.txt", after.body);
  auto lint = util::runProcess(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < '" + (dir.path() / "scrape.txt").string() + "'"},
      60s);
  INFO("promtool: ", lint.out, lint.err);
  CHECK(lint.exitCode == 0);
  CHECK(lint.out.empty());
  CHECK(lint.err.empty());

  Prometheus prometheus(dir.path(), "  - job_name: posture\n    static_configs:\n      - targets: ['" +
                                        collector.metricsAddress + "']\n");
  std::string seen;
  bool arrived = waitFor(
      [&] {
        seen = prometheus.query("posture_reports_acknowledged_total");
        return seen == sent;
      },
      60s);
  CHECK_MESSAGE(arrived, "Prometheus answered '" << seen << "', expected " << sent);
  CHECK(prometheus.query("up%7Bjob%3D%22posture%22%7D") == "1");
}

TEST_CASE("/healthz, and /readyz 503 while another process holds the database's write lock") {
  test::CollectorProcess collector({"--metrics-listen", "127.0.0.1:0"});
  const std::string base = "http://" + collector.metricsAddress;
  auto health = fetch(base + "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(fetch(base + "/readyz").status == 200);
  CHECK(fetch(base + "/nope").status == 404);
  CHECK(fetch(base + "/metrics", {"-X", "POST"}).status == 405);
  CHECK(fetch(base + "/metrics", {"-X", "DELETE"}).status == 405);

  {
    // An administrator's sqlite3 shell in the middle of a write, say.
    db::Connection holder(fs::path(collector.dataDir) / "posture.db");
    holder.exec("BEGIN IMMEDIATE");
    Answer ready;
    CHECK_MESSAGE(waitFor(
                      [&] {
                        ready = fetch(base + "/readyz");
                        return ready.status == 503;
                      },
                      15s),
                  "still " << ready.status << " " << ready.body);
    CHECK(ready.body.find("not writable") != std::string::npos);
    CHECK(ready.body.find("locked") != std::string::npos);
    // Liveness is not readiness: the process still answers.
    CHECK(fetch(base + "/healthz").status == 200);
    holder.exec("ROLLBACK");
  }
  CHECK(waitFor([&] { return fetch(base + "/readyz").status == 200; }, 30s));
}

TEST_CASE("TLS with a bearer token (--metrics-tls on loopback): 401 without it, 200 with it, no plain HTTP") {
  test::TempDir dir("posture-metrics-tls-");
  const std::string token = "5f0c1e6a9b2d4c7e8f10a2b3c4d5e6f7";
  auto tokenFile = dir.write("metrics.token", token + "\n");
  test::CollectorProcess collector(
      {"--metrics-listen", "127.0.0.1:0", "--metrics-tls", "--metrics-token-file", tokenFile.string()});
  const std::string url = "https://" + collector.metricsAddress + "/metrics";
  const std::string ca = collector.dataDir + "/ca.crt";

  auto none = fetch(url, {"--cacert", ca});
  CHECK(none.status == 401);
  CHECK(none.body.find("posture_") == std::string::npos);
  CHECK(fetch(url, {"--cacert", ca, "-H", "Authorization: Bearer wrong-but-long-enough-token"}).status == 401);
  CHECK(fetch("https://" + collector.metricsAddress + "/healthz", {"--cacert", ca}).status == 401);
  auto right = fetch(url, {"--cacert", ca, "-H", "Authorization: Bearer " + token});
  CHECK(right.status == 200);
  CHECK(right.body.find("# TYPE posture_reports_received_total counter") != std::string::npos);

  // Plain HTTP to the TLS listener gets no answer at all, and counts as a failed handshake.
  auto plain = fetch("http://" + collector.metricsAddress + "/metrics");
  CHECK(plain.status != 200);
  CHECK(plain.body.find("posture_") == std::string::npos);
  auto later = fetch(url, {"--cacert", ca, "-H", "Authorization: Bearer " + token});
  CHECK(sample(later.body, "posture_tls_handshake_failures_total{listener=\"metrics\"}") == "1");

  // The README's scrape configuration for TLS with a token.
  REQUIRE(fs::exists("/usr/bin/prometheus"));
  Prometheus prometheus(dir.path(), "  - job_name: posture\n    scheme: https\n    tls_config:\n"
                                    "      ca_file: " + ca + "\n    authorization:\n"
                                    "      credentials_file: " + tokenFile.string() +
                                        "\n    static_configs:\n      - targets: ['" +
                                        collector.metricsAddress + "']\n");
  CHECK(waitFor([&] { return prometheus.query("up%7Bjob%3D%22posture%22%7D") == "1"; }, 60s));
}

TEST_CASE("serve refuses to start on a non-loopback metrics address without a token file") {
  test::TempDir dir("posture-metrics-refuse-");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {POSTURE_COLLECTOR_BIN, "serve", "--data-dir",
                                     (dir.path() / "data").string(), "--listen", "127.0.0.1:0",
                                     "--policies", std::string(POSTURE_SOURCE_DIR) + "/policies"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return util::runProcess(argv, 30s);
  };
  auto r = run({"--metrics-listen", "0.0.0.0:0"});
  CHECK(r.exitCode != 0);
  CHECK(r.err.find("--metrics-token-file") != std::string::npos);
  r = run({"--metrics-listen", "127.0.0.1:0", "--metrics-tls"});
  CHECK(r.exitCode != 0);
  CHECK(r.err.find("--metrics-token-file") != std::string::npos);
  r = run({"--metrics-listen", "[::]:0", "--metrics-token-file", dir.write("short", "abc").string()});
  CHECK(r.exitCode != 0);
  CHECK(r.err.find("16") != std::string::npos);
  r = run({"--metrics-token-file", dir.write("t", "0123456789abcdef0123").string()});
  CHECK(r.exitCode != 0);
  CHECK(r.err.find("--metrics-listen") != std::string::npos);
}

TEST_CASE("300 idle connections from one address: the metrics listener keeps answering others") {
  test::CollectorProcess collector({"--metrics-listen", "127.0.0.1:0"});
  const std::string url = "http://" + collector.metricsAddress + "/metrics";
  Flood flood("127.0.0.2", collector.metricsAddress, 300);
  for (int i = 0; i < 10; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto a = fetch(url);
    CHECK(a.status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
  }
  // Beyond the per-source cap (64) the flood's connections are closed at once.
  CHECK(waitFor([&] { return flood.closedByServer() >= 300 - 64; }, 20s));
  CHECK(fetch("http://" + collector.metricsAddress + "/readyz").status == 200);
  // ... and the listener says so in its own figures.
  auto text = fetch(url).body;
  auto refused = sample(text, "posture_connections_refused_total{listener=\"metrics\",reason=\"per_source\"}");
  REQUIRE(!refused.empty());
  CHECK(std::stoll(refused) >= 300 - 64);
  CHECK(sample(text, "posture_connections_refused_total{listener=\"agent\",reason=\"per_source\"}") == "0");
}

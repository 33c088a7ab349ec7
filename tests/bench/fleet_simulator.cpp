// posture-fleet-sim: enrols N synthetic endpoints through the collector's real enrolment
// path and sends their reports over real mTLS with keep-alive, then prints what happened as
// "key: value" lines. Also the plain-SQLite baseline (--sqlite-baseline) the ingest
// benchmark compares the collector with.
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto/crypto.h"
#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/util/args.h"
#include "common/util/files.h"
#include "common/util/time.h"
#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"
#include "tests/bench/fleet_baseline.h"
#include "tests/bench/fleet_generator.h"

namespace {

using namespace posture;
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kProtobuf = "application/x-protobuf";
constexpr std::size_t kErrorsShown = 10;

const char* kUsage = R"(posture-fleet-sim — simulated fleet of agents for tests and benchmarks
Usage:
  posture-fleet-sim --collector HOST:PORT --unit CODE=TOKEN [--unit ...] --endpoints N
                    [--reports K | --duration 20s] [--concurrency C] [--seed S]
                    [--threads T] [--ca-fingerprint HEX] [--state-file FILE]
                    [--fresh-connections] [--timeout 30s] [--quiet]
  posture-fleet-sim --sqlite-baseline DIR --endpoints N [--reports K | --rows R]
                    [--unit CODE[=TOKEN] ...] [--seed S] [--batch 2048] [--sql "PRAGMA ..."]
Tokens: posture-collector token create --data-dir D --unit CODE --uses N (one use per endpoint).
Output: key: value lines; exit status 0 only when every report was acknowledged.
)";

// One simulated machine: its traits, its identity once enrolled, its own connection.
struct Endpoint {
  bench::EndpointProfile profile;
  std::string agentId, unitCode, keyPem, certPem, caPem;
  std::uint64_t lastSequence = 0;
  bool enrolled = false;
  std::shared_ptr<asio::ssl::context> tls;
  std::unique_ptr<net::HttpsClient> client;
};

struct Settings {
  std::string host, port;
  std::map<std::string, std::string> tokens;  // unit code -> token
  std::size_t concurrency = 1;
  std::uint64_t reports = 1;
  std::optional<SteadyClock::time_point> deadline;
  std::string caFingerprint;  // lowercase hex, or empty
  bool freshConnections = false;
  bool quiet = false;
  std::chrono::milliseconds timeout{30000};
};

// Shared by every worker; workers may run on two threads, hence the atomics and the lock.
struct Run {
  Settings settings;
  bench::FleetGenerator generator;
  std::vector<Endpoint> endpoints;
  std::shared_ptr<asio::ssl::context> enrolTls = net::makeClientContext({});

  std::atomic<std::size_t> nextEnrolment{0};
  std::atomic<std::uint64_t> enrolled{0}, sent{0}, acknowledged{0}, duplicates{0};
  // When the last worker finished its first round every endpoint has its connection, so
  // from then on the figures are steady state, without the TLS handshakes of the start.
  std::atomic<std::size_t> firstRoundsDone{0};
  std::optional<SteadyClock::time_point> steadyFrom;
  std::uint64_t acknowledgedAtSteady = 0;
  std::mutex errorMutex;
  std::uint64_t errors = 0;
  std::vector<std::vector<std::uint32_t>> latencies;  // microseconds, one vector per worker

  Run(Settings s, bench::FleetGenerator g) : settings(std::move(s)), generator(std::move(g)) {}

  void error(const std::string& what) {
    std::lock_guard lock(errorMutex);
    if (++errors <= kErrorsShown) std::fprintf(stderr, "posture-fleet-sim: error: %s\n", what.c_str());
  }
};

std::string hexOnly(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// The collector's own explanation of a refusal, when it sent one.
std::string describeRefusal(const net::ClientResponse& r) {
  posture::v1::ErrorResponse e;
  if (r.contentType.starts_with(kProtobuf) && e.ParseFromString(r.body) && !e.code().empty()) {
    return "HTTP " + std::to_string(r.status) + " " + e.code() + ": " + e.message();
  }
  return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
}

// --- enrolment ------------------------------------------------------------------------

// Checks the answer like agent/enrol.cpp: pinned CA, server certificate from that CA,
// issued certificate from that CA and for our key. Returns the failure, or "".
std::string checkEnrolment(const Run& run, const std::string& keyPem, const std::string& serverCert,
                           const posture::v1::EnrolResponse& res) {
  if (res.certificate_pem().empty() || res.ca_certificate_pem().empty() || res.agent_id().empty()) {
    return "the enrolment answer has no certificate or agent id";
  }
  std::string fingerprint = crypto::certificateFingerprint(res.ca_certificate_pem());
  if (!run.settings.caFingerprint.empty() && fingerprint != run.settings.caFingerprint) {
    return "the collector's CA fingerprint is " + fingerprint + ", expected " +
           run.settings.caFingerprint;
  }
  std::string why;
  if (serverCert.empty()) return "the server presented no certificate";
  if (!crypto::verifyCertificate(serverCert, res.ca_certificate_pem(), &why)) {
    return "the server's certificate is not from the CA it sent (" + why + ")";
  }
  if (!crypto::verifyCertificate(res.certificate_pem(), res.ca_certificate_pem(), &why)) {
    return "the issued certificate does not chain to the CA (" + why + ")";
  }
  if (!crypto::keyMatchesCertificate(keyPem, res.certificate_pem())) {
    return "the issued certificate is not for this endpoint's key";
  }
  return {};
}

asio::awaitable<void> enrolWorker(Run& run) {
  auto executor = co_await asio::this_coro::executor;
  // One keep-alive connection per worker: enrolment needs no client certificate.
  net::HttpsClient client(executor, run.enrolTls, run.settings.host, run.settings.port);
  for (;;) {
    std::size_t i = run.nextEnrolment.fetch_add(1);
    if (i >= run.endpoints.size()) break;
    Endpoint& ep = run.endpoints[i];
    if (ep.enrolled) continue;
    const std::string& unit = ep.profile.unitCode;
    auto token = run.settings.tokens.find(unit);
    if (token == run.settings.tokens.end()) {
      run.error("enrolment of " + ep.profile.hostname + ": no --unit " + unit + "=TOKEN given");
      continue;
    }
    try {
      std::string keyPem = crypto::generatePrivateKeyPem();
      posture::v1::EnrolRequest req;
      req.set_token(token->second);
      req.set_csr_pem(crypto::createCsrPem(keyPem, ep.profile.hostname));
      req.set_hostname(ep.profile.hostname);
      req.set_agent_version("0.1.0");
      std::string target = "/v1/enrol", type = kProtobuf;
      auto pending = client.post(target, type, req.SerializeAsString(), run.settings.timeout);
      net::ClientResponse r = co_await std::move(pending);
      if (r.status != 200) {
        run.error("enrolment of " + ep.profile.hostname + " refused: " + describeRefusal(r));
        continue;
      }
      posture::v1::EnrolResponse res;
      if (!res.ParseFromString(r.body)) {
        run.error("enrolment of " + ep.profile.hostname + ": the answer is not an EnrolResponse");
        continue;
      }
      std::string problem = checkEnrolment(run, keyPem, client.peerCertificatePem(), res);
      if (!problem.empty()) {
        run.error("enrolment of " + ep.profile.hostname + ": " + problem);
        continue;
      }
      ep.agentId = res.agent_id();
      ep.unitCode = res.unit_code();
      ep.keyPem = std::move(keyPem);
      ep.certPem = res.certificate_pem();
      ep.caPem = res.ca_certificate_pem();
      ep.enrolled = true;
      ++run.enrolled;
    } catch (const std::exception& e) {
      run.error("enrolment of " + ep.profile.hostname + ": " + e.what());
      client.close();
    }
  }
}

// --- reports --------------------------------------------------------------------------

asio::awaitable<void> sendWorker(Run& run, std::size_t worker) {
  auto executor = co_await asio::this_coro::executor;
  const Settings& s = run.settings;
  auto& latencies = run.latencies[worker];
  // Round by round over this worker's endpoints, so every endpoint reports once before
  // any reports again, as a fleet on a timer would.
  for (std::uint64_t round = 0;; ++round) {
    if (!s.deadline && round >= s.reports) break;
    bool any = false;
    for (std::size_t i = worker; i < run.endpoints.size(); i += s.concurrency) {
      if (s.deadline && SteadyClock::now() >= *s.deadline) co_return;
      Endpoint& ep = run.endpoints[i];
      if (!ep.enrolled) continue;
      any = true;
      if (!ep.client) {
        ep.client = std::make_unique<net::HttpsClient>(executor, ep.tls, s.host, s.port);
      }
      std::uint64_t sequence = ep.lastSequence + 1;
      ep.lastSequence = sequence;
      std::string body =
          run.generator.report(ep.profile, ep.agentId, sequence, util::unixNow()).SerializeAsString();
      std::string target = "/v1/reports", type = kProtobuf;
      std::string what = "report " + std::to_string(sequence) + " of " + ep.profile.hostname;
      ++run.sent;
      auto start = SteadyClock::now();
      try {
        auto pending = ep.client->post(target, type, std::move(body), s.timeout);
        net::ClientResponse r = co_await std::move(pending);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
        latencies.push_back(static_cast<std::uint32_t>(std::min<long long>(us.count(), UINT32_MAX)));
        posture::v1::ReportAck ack;
        if (r.status != 200) {
          run.error(what + " refused: " + describeRefusal(r));
        } else if (!ack.ParseFromString(r.body) || ack.sequence() != sequence ||
                   ack.agent_id() != ep.agentId) {
          run.error(what + ": the acknowledgement names another report (agent " +
                    ack.agent_id() + ", sequence " + std::to_string(ack.sequence()) + ")");
        } else {
          ++run.acknowledged;
          if (ack.duplicate()) ++run.duplicates;
        }
      } catch (const std::exception& e) {
        run.error(what + ": " + e.what());
        ep.client.reset();
      }
      if (s.freshConnections && ep.client) ep.client->close();
    }
    if (!any) break;
    if (round == 0 && ++run.firstRoundsDone == s.concurrency) {
      std::lock_guard lock(run.errorMutex);
      run.steadyFrom = SteadyClock::now();
      run.acknowledgedAtSteady = run.acknowledged.load();
    }
  }
}

// --- state file -----------------------------------------------------------------------
// One line per endpoint: index, agent id, unit, hostname, last sequence, then key,
// certificate and CA PEM with their newlines written as '|' (never in PEM text).

std::string flatten(std::string pem) {
  std::replace(pem.begin(), pem.end(), '\n', '|');
  return pem;
}

std::string unflatten(std::string text) {
  std::replace(text.begin(), text.end(), '|', '\n');
  return text;
}

void loadState(const std::string& file, std::vector<Endpoint>& endpoints) {
  auto text = util::readFile(file, 256 << 20);
  if (!text) return;  // first run: nothing saved yet
  std::istringstream in(*text);
  std::string line;
  std::size_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (;;) {
      std::size_t tab = line.find('\t', pos);
      f.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    if (f.size() != 8) {
      throw std::runtime_error(file + ":" + std::to_string(lineNo) + ": expected 8 tab-separated fields");
    }
    std::size_t index = std::stoul(f[0]);
    if (index >= endpoints.size()) continue;  // a smaller fleet this time
    Endpoint& ep = endpoints[index];
    ep.agentId = f[1];
    ep.unitCode = f[2];
    ep.profile.unitCode = f[2];
    ep.profile.hostname = f[3];
    ep.lastSequence = std::stoull(f[4]);
    ep.keyPem = unflatten(f[5]);
    ep.certPem = unflatten(f[6]);
    ep.caPem = unflatten(f[7]);
    ep.enrolled = true;
  }
}

void saveState(const std::string& file, const std::vector<Endpoint>& endpoints) {
  std::string out;
  for (const auto& ep : endpoints) {
    if (!ep.enrolled) continue;
    out += std::to_string(ep.profile.index) + '\t' + ep.agentId + '\t' + ep.unitCode + '\t' +
           ep.profile.hostname + '\t' + std::to_string(ep.lastSequence) + '\t' +
           flatten(ep.keyPem) + '\t' + flatten(ep.certPem) + '\t' + flatten(ep.caPem) + '\n';
  }
  util::writeFileAtomic(file, out, 0600);
}

// --- figures --------------------------------------------------------------------------

double percentileMs(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1] / 1000.0;
}

void runIo(asio::io_context& io, unsigned threads) {
  std::vector<std::thread> extra;
  for (unsigned t = 1; t < threads; ++t) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  io.restart();
}

std::vector<std::string> unitCodes(const util::Args& a, std::map<std::string, std::string>* tokens) {
  std::vector<std::string> units;
  for (const auto& spec : a.all("unit")) {
    auto eq = spec.find('=');
    std::string code = spec.substr(0, eq);
    if (code.empty()) throw util::ArgsError("--unit needs CODE=TOKEN, got '" + spec + "'");
    if (tokens) {
      if (eq == std::string::npos || eq + 1 == spec.size()) {
        throw util::ArgsError("--unit needs CODE=TOKEN, got '" + spec + "'");
      }
      (*tokens)[code] = spec.substr(eq + 1);
    }
    if (std::find(units.begin(), units.end(), code) == units.end()) units.push_back(code);
  }
  return units;
}

int baseline(const util::Args& a) {
  bench::BaselineOptions o;
  o.dir = *a.get("sqlite-baseline");
  o.units = unitCodes(a, nullptr);
  if (o.units.empty()) o.units = {"BS-UBND", "BS-TCKH", "BS-TNMT", "BS-XA-BINHCHAU"};
  o.seed = static_cast<std::uint64_t>(a.number("seed", 1, 0, INT64_MAX));
  o.endpoints = static_cast<std::size_t>(a.number("endpoints", 1000, 1, 10000000));
  auto reports = static_cast<std::uint64_t>(a.number("reports", 1, 1, 1000000));
  o.rows = static_cast<std::uint64_t>(
      a.number("rows", static_cast<long long>(o.endpoints * reports), 1, 1000000000));
  o.batch = static_cast<std::size_t>(a.number("batch", 2048, 1, 1000000));
  o.pragmas = a.all("sql");
  auto r = bench::runBaseline(o);
  std::printf("baseline_rows: %llu\n", static_cast<unsigned long long>(r.rows));
  std::printf("baseline_batch: %zu\n", o.batch);
  std::printf("baseline_elapsed_s: %.3f\n", r.elapsedSeconds);
  std::printf("baseline_rows_per_s: %.0f\n",
              r.elapsedSeconds > 0 ? static_cast<double>(r.rows) / r.elapsedSeconds : 0.0);
  return 0;
}

int simulate(const util::Args& a) {
  Settings s;
  std::tie(s.host, s.port) = net::splitHostPort(a.require("collector"));
  auto units = unitCodes(a, &s.tokens);
  auto count = static_cast<std::size_t>(a.number("endpoints", 0, 1, 1000000));
  if (count == 0) throw util::ArgsError("missing required option --endpoints");
  s.reports = static_cast<std::uint64_t>(a.number("reports", 1, 1, 1000000));
  s.concurrency = static_cast<std::size_t>(
      a.number("concurrency", static_cast<long long>(std::min<std::size_t>(count, 256)), 1, 100000));
  s.concurrency = std::min(s.concurrency, count);
  auto seed = static_cast<std::uint64_t>(a.number("seed", 1, 0, INT64_MAX));
  auto threads = static_cast<unsigned>(a.number("threads", 1, 1, 16));
  s.caFingerprint = hexOnly(a.getOr("ca-fingerprint", ""));
  s.freshConnections = a.flag("fresh-connections");
  s.quiet = a.flag("quiet");
  auto timeout = util::parseDurationSeconds(a.getOr("timeout", "30s"));
  if (!timeout || *timeout <= 0) throw util::ArgsError("--timeout must be a duration like 30s");
  s.timeout = std::chrono::seconds(*timeout);
  std::optional<long long> duration;
  if (auto d = a.get("duration")) {
    duration = util::parseDurationSeconds(*d);
    if (!duration || *duration <= 0 || *duration > 3600) {
      throw util::ArgsError("--duration must be a duration between 1s and 1h, like 20s");
    }
  }
  auto stateFile = a.get("state-file");

  Run run(s, bench::FleetGenerator(seed, units));
  run.endpoints.resize(count);
  for (std::size_t i = 0; i < count; ++i) run.endpoints[i].profile = run.generator.profile(i);
  if (stateFile) loadState(*stateFile, run.endpoints);
  std::size_t reused = 0;
  for (auto& ep : run.endpoints) reused += ep.enrolled ? 1 : 0;
  if (units.empty() && reused < count) throw util::ArgsError("missing --unit CODE=TOKEN");

  asio::io_context io;
  auto onDone = [&run](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      run.error(std::string("worker stopped: ") + x.what());
    }
  };

  // Enrolment: cheap for the collector (one signature and one small commit each), so
  // many at once, on a handful of kept-alive connections.
  auto enrolStart = SteadyClock::now();
  if (reused < count) {
    if (!s.quiet) {
      std::fprintf(stderr, "posture-fleet-sim: enrolling %zu endpoints over %zu units\n",
                   count - reused, units.size());
    }
    std::size_t workers = std::min<std::size_t>(count - reused, 64);
    for (std::size_t w = 0; w < workers; ++w) asio::co_spawn(io, enrolWorker(run), onDone);
    runIo(io, threads);
  }
  double enrolSeconds = std::chrono::duration<double>(SteadyClock::now() - enrolStart).count();

  std::size_t ready = 0;
  for (auto& ep : run.endpoints) {
    if (!ep.enrolled) continue;
    ++ready;
    ep.tls = net::makeClientContext(ep.caPem, ep.certPem, ep.keyPem);
  }
  if (!s.quiet) {
    std::fprintf(stderr, "posture-fleet-sim: %zu endpoints ready (%zu enrolled in %.1f s), sending %s\n",
                 ready, ready - reused, enrolSeconds,
                 duration ? ("for " + std::to_string(*duration) + " s").c_str()
                          : (std::to_string(s.reports) + " report(s) each").c_str());
  }

  run.latencies.resize(s.concurrency);
  auto start = SteadyClock::now();
  if (duration) run.settings.deadline = start + std::chrono::seconds(*duration);
  for (std::size_t w = 0; w < s.concurrency; ++w) asio::co_spawn(io, sendWorker(run, w), onDone);
  runIo(io, threads);
  auto end = SteadyClock::now();
  double elapsed = std::chrono::duration<double>(end - start).count();
  for (auto& ep : run.endpoints) ep.client.reset();

  if (stateFile) saveState(*stateFile, run.endpoints);

  std::vector<std::uint32_t> all;
  for (auto& v : run.latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  std::uint64_t acknowledged = run.acknowledged.load();
  std::uint64_t sent = run.sent.load();
  std::uint64_t errors = run.errors;
  if (errors > kErrorsShown) {
    std::fprintf(stderr, "posture-fleet-sim: ... and %llu more errors\n",
                 static_cast<unsigned long long>(errors - kErrorsShown));
  }
  std::printf("endpoints_enrolled: %zu\n", ready);
  std::printf("enrol_elapsed_s: %.3f\n", enrolSeconds);
  std::printf("concurrency: %zu\n", s.concurrency);
  std::printf("reports_sent: %llu\n", static_cast<unsigned long long>(sent));
  std::printf("reports_acknowledged: %llu\n", static_cast<unsigned long long>(acknowledged));
  std::printf("duplicates: %llu\n", static_cast<unsigned long long>(run.duplicates.load()));
  std::printf("errors: %llu\n", static_cast<unsigned long long>(errors));
  std::printf("elapsed_s: %.3f\n", elapsed);
  std::printf("reports_per_s: %.0f\n", elapsed > 0 ? static_cast<double>(acknowledged) / elapsed : 0.0);
  if (run.steadyFrom) {
    double steady = std::chrono::duration<double>(end - *run.steadyFrom).count();
    // Only meaningful with a few seconds left after the first round.
    if (steady >= 1.0) {
      std::printf("steady_reports_per_s: %.0f\n",
                  static_cast<double>(acknowledged - run.acknowledgedAtSteady) / steady);
    }
  }
  std::printf("latency_ms_p50: %.2f\n", percentileMs(all, 50));
  std::printf("latency_ms_p95: %.2f\n", percentileMs(all, 95));
  std::printf("latency_ms_p99: %.2f\n", percentileMs(all, 99));
  bool complete = errors == 0 && acknowledged == sent && ready == count;
  return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  try {
    util::Args a(args,
                 {"collector", "unit", "endpoints", "reports", "concurrency", "seed", "duration",
                  "ca-fingerprint", "state-file", "threads", "timeout", "sqlite-baseline", "rows",
                  "batch", "sql"},
                 {"quiet", "fresh-connections"});
    if (!a.positional().empty()) throw util::ArgsError("unexpected argument '" + a.positional()[0] + "'");
    if (a.get("sqlite-baseline")) return baseline(a);
    return simulate(a);
  } catch (const util::ArgsError& e) {
    std::fprintf(stderr, "posture-fleet-sim: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "posture-fleet-sim: %s\n", e.what());
    return 1;
  }
}

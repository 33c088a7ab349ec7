#pragma once
// The collector process: agent listener(s), the single writer, periodic evaluation and
// alerts. `serve` is a thin shell over this class, and the tests drive it directly too.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collector/evaluation/stale.h"
#include "collector/policy/policy.h"
#include "collector/retention/retention.h"
#include "common/util/time.h"

namespace posture::collector {

struct ServeOptions {
  std::filesystem::path dataDir;
  std::vector<std::string> listen;       // "HOST:PORT", IPv4 or [IPv6]
  std::filesystem::path policyDir;
  std::vector<std::string> extraNames;   // more DNS names / IPs for the server certificate
  unsigned threads = 2;
  std::size_t maxBodyBytes = 1 << 20;
  // Connections without a verified client certificate (handshakes, enrolments, console
  // browsers) per IPv4 address or IPv6 /64.
  std::size_t maxUnauthenticatedPerSource = 64;
  std::chrono::milliseconds evaluateEvery{2000};  // stale sweep and milestone check
  std::chrono::seconds fullEvaluateEvery{util::kSecondsPerHour};    // full re-evaluation (ages grow with time)
  std::int64_t staleAfterSeconds = kDefaultStaleAfterSeconds;      // no report for longer: stale
  int clientCertDays = 365;                        // validity of agent certificates
  std::filesystem::path caCert, caKey;  // an existing CA to use (first start); empty: own CA
  std::vector<std::string> syslog;   // udp://HOST:PORT or tcp://HOST:PORT
  std::vector<std::string> webhooks; // http(s)://HOST:PORT/PATH
  // E-mail to the units' contacts (collector/alerts/smtp.h): smtp://HOST:PORT, STARTTLS
  // required; empty: e-mail contacts are skipped.
  std::string smtp, smtpFrom, smtpCa, smtpUser;
  std::filesystem::path smtpPasswordFile;
  std::vector<std::string> consoleListen;  // "HOST:PORT" of the SOC console (collector/console/)
  // The province this collector pushes to (collector/upstream/link.h); empty: none.
  std::string upstream, upstreamToken, upstreamCaFingerprint;
  std::chrono::seconds upstreamEvery{60};
  bool upstreamSummary = false;
  // 18c, metrics and health (collector/metrics/endpoint.h): /metrics, /healthz, /readyz
  // on these addresses; plain HTTP on loopback, otherwise TLS with the bearer token of
  // metricsTokenFile (required then); metricsTls: TLS and the token on loopback too.
  std::vector<std::string> metricsListen;
  std::filesystem::path metricsTokenFile;
  bool metricsTls = false;
  // Issue 18, retention (collector/retention/): what is kept, pruned on its own thread.
  retention::Settings retention;
};

// A bound metrics listener and whether it is TLS (with the token) or plain HTTP.
struct MetricsBound {
  boost::asio::ip::tcp::endpoint endpoint;
  bool tls = false;
};

class Collector {
 public:
  // Loads policies (PolicyError on a bad file), the CA and the database.
  explicit Collector(ServeOptions options);
  ~Collector();
  // Binds every listener and starts the I/O threads; returns the bound endpoints.
  std::vector<boost::asio::ip::tcp::endpoint> start();
  // The console listeners bound by start() (empty without --console-listen).
  const std::vector<boost::asio::ip::tcp::endpoint>& consoleEndpoints() const;
  // The metrics listeners bound by start() (empty without --metrics-listen).
  const std::vector<MetricsBound>& metricsEndpoints() const;
  // Re-reads the policy directory; on error keeps the current policies and returns false.
  bool reloadPolicies(std::string* error);
  // Stops accepting, finishes queued commits, runs a last evaluation.
  void stop();
  const std::string& caFingerprint() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posture::collector

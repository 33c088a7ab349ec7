// `serve`: the collector process until SIGTERM or SIGINT; SIGHUP reloads the policies.
#include "collector/serve/cli.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "collector/cli/options.h"
#include "collector/evaluation/stale.h"
#include "collector/serve/collector.h"
#include "common/log/log.h"
#include "common/util/args.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;
using cli::policyDir;
using cli::setLogLevel;

const char* const kServeUsage = R"(  posture-collector serve --data-dir DIR --listen HOST:PORT [--listen ...] [--policies DIR]
                          [--san NAME] [--threads N] [--evaluate-every 2s] [--log-level info]
                          [--stale-after 7d] [--full-evaluate-every 1h] [--client-cert-days 365]
                          [--ca-cert FILE --ca-key FILE]   (an existing CA, taken at first start)
                          [--syslog udp://HOST:PORT|tcp://HOST:PORT] [--webhook URL]
                          [--smtp smtp://HOST:PORT --smtp-from ADDR [--smtp-ca FILE]
                           [--smtp-user U --smtp-password-file F]]   (e-mail to units' contacts, STARTTLS)
                          [--console-listen HOST:PORT ...]   (the SOC console, e.g. 127.0.0.1:8444)
                          [--max-body 1048576] [--max-unauthenticated-per-source 64]
                          [--upstream HOST:PORT --upstream-token T --upstream-ca-fingerprint FP
                           [--upstream-every 1m] [--upstream-detail endpoints|summary]]
                          (push to the province; the token and fingerprint serve the first start)
                          [--metrics-listen HOST:PORT ...] [--metrics-token-file F] [--metrics-tls]
                          (/metrics, /healthz, /readyz: plain HTTP on loopback, otherwise TLS and
                           the bearer token of F, which is then required)
                          [--retention-raw 90d] [--retention-daily 2y] [--retention-events-min 2y]
                          [--prune-every 10m]   (every report, then one per endpoint per day; off: forever)
)";

namespace {
int serve(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "listen", "policies", "san", "threads", "evaluate-every",
                      "log-level", "max-body", "stale-after", "full-evaluate-every", "syslog",
                      "webhook", "client-cert-days", "ca-cert", "ca-key", "console-listen",
                      "max-unauthenticated-per-source", "upstream", "upstream-token",
                      "upstream-ca-fingerprint", "upstream-every", "upstream-detail", "smtp",
                      "smtp-from", "smtp-ca", "smtp-user", "smtp-password-file",
                      // 18c: metrics and health
                      "metrics-listen", "metrics-token-file",
                      // 18a: retention
                      "retention-raw", "retention-daily", "retention-events-min", "prune-every"},
               {"metrics-tls"});
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
  o.smtp = a.getOr("smtp", "");
  o.smtpFrom = a.getOr("smtp-from", "");
  o.smtpCa = a.getOr("smtp-ca", "");
  o.smtpUser = a.getOr("smtp-user", "");
  o.smtpPasswordFile = a.getOr("smtp-password-file", "");
  o.consoleListen = a.all("console-listen");
  o.upstream = a.getOr("upstream", "");
  o.upstreamToken = a.getOr("upstream-token", "");
  o.upstreamCaFingerprint = a.getOr("upstream-ca-fingerprint", "");
  auto upEvery = util::parseDurationSeconds(a.getOr("upstream-every", "1m"));
  if (!upEvery || *upEvery < 1) throw util::ArgsError("--upstream-every must be a duration like 1m");
  o.upstreamEvery = std::chrono::seconds(*upEvery);
  std::string detail = a.getOr("upstream-detail", "endpoints");
  if (detail != "endpoints" && detail != "summary")
    throw util::ArgsError("--upstream-detail must be endpoints or summary, got '" + detail + "'");
  o.upstreamSummary = detail == "summary";
  // Issue 18, retention: checked together (daily at least raw, ...).
  try {
    o.retention = retention::parseSettings(a.getOr("retention-raw", "90d"), a.getOr("retention-daily", "2y"),
                                           a.getOr("retention-events-min", "2y"), a.getOr("prune-every", "10m"));
  } catch (const std::invalid_argument& e) {
    throw util::ArgsError(e.what());
  }
  if (o.upstream.empty() && (a.get("upstream-token") || a.get("upstream-ca-fingerprint") ||
                             a.get("upstream-every") || a.get("upstream-detail")))
    throw util::ArgsError("--upstream-token, --upstream-ca-fingerprint, --upstream-every and "
                          "--upstream-detail need --upstream HOST:PORT");

  // 18c: metrics and health (collector/serve/metrics_listener.h checks them).
  o.metricsListen = a.all("metrics-listen");
  o.metricsTokenFile = a.getOr("metrics-token-file", "");
  o.metricsTls = a.flag("metrics-tls");

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
  for (const auto& m : collector.metricsEndpoints()) {
    std::string host = m.endpoint.address().to_string();
    if (m.endpoint.address().is_v6()) host = "[" + host + "]";
    std::printf("posture-collector: metrics: %s://%s:%u/metrics\n", m.tls ? "https" : "http",
                host.c_str(), m.endpoint.port());
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
}  // namespace

std::vector<util::Command> serveCommands() {
  return {{{"serve"}, serve}};
}

}  // namespace posture::collector

#include "collector/collector.h"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include "collector/alerts/alerts.h"
#include "collector/alerts/delivery.h"
#include "collector/alerts/outbox.h"
#include "collector/console/console_api.h"
#include "collector/evaluation/model.h"
#include "collector/evaluation/history.h"
#include "collector/ingest/ingest.h"
#include "collector/org/org.h"
#include "collector/pki/authority.h"
#include "collector/server/agent_api.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/net/tls_context.h"
#include "common/util/files.h"
#include "common/util/time.h"

#ifndef POSTURE_POLICY_DIR
#define POSTURE_POLICY_DIR "/usr/share/posture/policies"
#endif

namespace posture::collector {
namespace fs = std::filesystem;

fs::path defaultPolicyDir() {
  if (const char* env = std::getenv("POSTURE_POLICY_DIR"); env && *env) return env;
  if (fs::is_directory("/etc/posture/policies")) return "/etc/posture/policies";
  return POSTURE_POLICY_DIR;
}

void recordPolicyDir(const fs::path& dataDir, const fs::path& policyDir) {
  util::writeFileAtomic(dataDir / kPolicyDirRecord, fs::absolute(policyDir).lexically_normal().string() + "\n",
                        0600);
}

fs::path offlinePolicyDir(const fs::path& dataDir) {
  if (auto text = util::readFile(dataDir / kPolicyDirRecord)) {
    std::string path = *text;
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (!path.empty()) return path;
  }
  return defaultPolicyDir();
}

constexpr std::chrono::seconds kRebuildRetry{5};

struct Collector::Impl {
  ServeOptions options;
  std::mutex policyMutex;
  std::shared_ptr<const std::vector<policy::Policy>> policies;
  ServerIdentity identity;
  AgentRegistry registry;
  std::unique_ptr<Ingest> ingest;
  boost::asio::io_context io;
  std::unique_ptr<AgentApi> api;
  std::unique_ptr<net::HttpsServer> server;
  std::unique_ptr<console::ConsoleApi> console;  // null without --console-listen
  std::unique_ptr<net::HttpsServer> consoleServer;
  std::vector<boost::asio::ip::tcp::endpoint> consoleBound;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  std::shared_ptr<const std::vector<policy::Policy>> currentPolicies() {
    std::lock_guard lock(policyMutex);
    return policies;
  }

  std::unique_ptr<AlertDelivery> delivery;  // null without --syslog / --webhook

  // Hands every new alert event to delivery, in order (the outbox is alert_events).
  void deliver(db::Connection& db) {
    if (!delivery) return;
    for (;;) {
      std::int64_t position = 0;
      auto notices = pendingNotices(db, 1000, position);
      for (const auto& n : notices) delivery->publish(n);
      advanceOutbox(db, position);
      if (notices.size() < 1000) break;
    }
  }

  // Writer thread only (ingest hooks): the live evaluation.
  std::unique_ptr<FleetModel> model;
  std::shared_ptr<const std::vector<policy::Policy>> modelPolicies;
  std::chrono::steady_clock::time_point lastRebuild, lastRebuildAttempt;

  // The organization and agent changes the model and the registry were loaded with: the
  // CLI and the console announce theirs in storage's change counters.
  ChangeCounters changesSeen;
  // When writing alert changes fails (a full disk, a busy database) the model is ahead of
  // the alert table. The changes wait here, the latest per (rule, subject), and every tick
  // writes them until it succeeds; a failed full evaluation is retried at the next tick.
  std::map<std::pair<std::string, std::string>, std::optional<WantedAlert>> pendingAlerts;
  bool alertsBehind = false;
  // Moves whenever the model's figures or the alerts it raised may have changed; read by
  // the console from other threads to know whether its cached overview is current.
  std::atomic<std::uint64_t> generation{1};

  ModelOptions modelOptions(db::Connection& db) {
    ModelOptions m;
    m.staleAfterSeconds = options.staleAfterSeconds;
    m.org = std::make_shared<const org::OrgModel>(org::loadOrg(db));
    changesSeen.organization = readChangeCounters(db).organization;
    return m;
  }

  // Writes the model's alert changes, with any that failed before; on failure they stay
  // queued for the next tick, so nothing raised or cleared is lost.
  void writeAlerts(const char* what, AlertDelta delta, std::int64_t now, std::size_t endpoints) {
    for (auto& w : delta.raise) {
      auto key = std::make_pair(w.rule, w.subject);
      pendingAlerts[key] = std::move(w);
    }
    for (auto& c : delta.clear) pendingAlerts[c] = std::nullopt;
    flushAlerts(what, now, endpoints);
  }

  void flushAlerts(const char* what, std::int64_t now, std::size_t endpoints) {
    if (pendingAlerts.empty()) return;
    std::vector<WantedAlert> raise;
    std::vector<std::pair<std::string, std::string>> clear;
    for (const auto& [key, wanted] : pendingAlerts) {
      if (wanted) raise.push_back(*wanted);
      else clear.push_back(key);
    }
    try {
      logChange(what, applyAlertDelta(db(), raise, clear, now), endpoints);
      pendingAlerts.clear();
    } catch (const std::exception& e) {
      log::error("cannot write ", pendingAlerts.size(), " alert change(s) (", what,
                 "); they are kept and written again at the next tick: ", e.what());
    }
  }

  db::Connection* writer = nullptr;  // the writer's connection, set on its first call
  db::Connection& db() { return *writer; }

  void logChange(const char* what, const AlertChange& change, std::size_t endpoints) {
    if (change.opened || change.reopened || change.resolved) {
      log::info(what, " ", endpoints, " endpoints: ", change.opened, " alert(s) opened, ",
                change.reopened, " reopened, ", change.resolved, " resolved");
    }
  }

  void rebuild(db::Connection& db) {
    auto start = std::chrono::steady_clock::now();
    lastRebuildAttempt = start;
    modelPolicies = currentPolicies();
    model = std::make_unique<FleetModel>(modelPolicies, modelOptions(db));
    std::int64_t now = util::unixNow();
    RebuildOptions how;
    how.threads = 0;  // every core: the writer waits for this
    auto wanted = model->rebuild(loadEndpoints(db), now, how);
    ++generation;
    // A failure here leaves alertsBehind set, and the caller's next tick tries again. The
    // full set replaces whatever was queued.
    auto change = syncAlertSet(db, wanted, now);
    alertsBehind = false;
    pendingAlerts.clear();
    recordHistory(db, *model, now);
    lastRebuild = start;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    log::info("full evaluation of ", model->endpointCount(), " endpoints in ", ms.count(),
              " ms: ", countOpenAlerts(db), " open alert(s), ", model->staleCount(), " stale");
    logChange("evaluated", change, model->endpointCount());
  }

  void periodic(db::Connection& db) {
    writer = &db;
    evaluatePeriodically(db);
    deliver(db);
  }

  void evaluatePeriodically(db::Connection& db) {
    // Changes the CLI or the console made: agents (revocations) reload the registry, the
    // organization rebuilds the model.
    auto changes = readChangeCounters(db);
    if (changes.agents != changesSeen.agents) {
      registry.load(db);
      changesSeen.agents = changes.agents;
    }
    // A full evaluation that failed (its alerts could not be written) is retried, but not
    // on every tick: at 100,000 endpoints one takes seconds.
    if (alertsBehind && std::chrono::steady_clock::now() - lastRebuildAttempt < kRebuildRetry) {
      return;
    }
    if (!model || alertsBehind || modelPolicies != currentPolicies() ||
        changes.organization != changesSeen.organization ||
        std::chrono::steady_clock::now() - lastRebuild >= options.fullEvaluateEvery) {
      alertsBehind = true;  // until rebuild() has written every alert
      rebuild(db);
      return;
    }
    auto before = model->generation();
    std::int64_t now = util::unixNow();
    auto delta = model->sweep(now);
    if (!delta.empty() || model->generation() != before) ++generation;
    writeAlerts("swept", std::move(delta), now, model->endpointCount());
  }

  void onReports(db::Connection& db, const std::vector<const ReportRecord*>& records,
                 std::int64_t committedAt) {
    writer = &db;
    // (With alertsBehind the model is current and only its alerts wait: updates go on,
    // and the periodic tick retries writing them.)
    if (!model || modelPolicies != currentPolicies()) {
      alertsBehind = true;
      try {
        rebuild(db);
      } catch (const std::exception& e) {
        log::error("full evaluation failed (retried at the next tick): ", e.what());
      }
      return;
    }
    AlertDelta all;
    for (const auto* r : records) {
      // The report as ingest decoded it; the body is copied only for rows without one.
      StoredEndpoint s{r->agentId, r->unitCode, r->hostname, r->sequence, committedAt,
                       r->collectedAt, r->decoded ? std::string() : r->body};
      auto d = model->update(s, committedAt, r->decoded.get());
      for (auto& w : d.raise) all.raise.push_back(std::move(w));
      for (auto& c : d.clear) all.clear.push_back(std::move(c));
    }
    ++generation;
    writeAlerts("re-evaluated", std::move(all), committedAt, records.size());
  }
};

Collector::Collector(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.policyDir.empty()) impl_->options.policyDir = defaultPolicyDir();
  impl_->policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(impl_->options.policyDir));
  log::info("loaded ", impl_->policies->size(), " policies from ",
            impl_->options.policyDir.string());

  std::vector<std::string> names = impl_->options.extraNames;
  for (const auto& l : impl_->options.listen) names.push_back(net::splitHostPort(l).first);
  for (const auto& l : impl_->options.consoleListen) names.push_back(net::splitHostPort(l).first);
  std::optional<ExistingCa> existing;
  if (!impl_->options.caCert.empty() || !impl_->options.caKey.empty()) {
    if (impl_->options.caCert.empty() || impl_->options.caKey.empty())
      throw std::invalid_argument("--ca-cert and --ca-key go together");
    existing = ExistingCa{impl_->options.caCert, impl_->options.caKey};
  }
  impl_->identity = loadOrCreateIdentity(impl_->options.dataDir, names, existing);

  auto db = openDatabase(impl_->options.dataDir);
  recordPolicyDir(impl_->options.dataDir, impl_->options.policyDir);
  impl_->registry.load(*db);
  DeliveryOptions delivery;
  for (const auto& url : impl_->options.syslog) {
    auto t = parseDeliveryTarget(url);
    if (t.kind == DeliveryTarget::Kind::Webhook)
      throw std::invalid_argument("--syslog takes udp://HOST:PORT or tcp://HOST:PORT, got '" + url + "'");
    delivery.targets.push_back(t);
  }
  for (const auto& url : impl_->options.webhooks) {
    auto t = parseDeliveryTarget(url);
    if (t.kind != DeliveryTarget::Kind::Webhook)
      throw std::invalid_argument("--webhook takes http(s)://HOST:PORT/PATH, got '" + url + "'");
    delivery.targets.push_back(t);
  }
  if (!delivery.targets.empty()) {
    for (const auto& t : delivery.targets) log::info("alerts are delivered to ", deliveryTargetUrl(t));
    impl_->delivery = std::make_unique<AlertDelivery>(std::move(delivery));
  }
  IngestOptions io;
  io.afterCommit = [impl = impl_.get()](db::Connection& c) { impl->periodic(c); };
  io.afterCommitInterval = impl_->options.evaluateEvery;
  io.onCommitted = [impl = impl_.get()](db::Connection& c,
                                        const std::vector<const ReportRecord*>& records,
                                        std::int64_t at) { impl->onReports(c, records, at); };
  impl_->ingest = std::make_unique<Ingest>(std::move(db), std::move(io));
  AgentApiLimits apiLimits;
  apiLimits.maxReportBytes = impl_->options.maxBodyBytes;
  impl_->api = std::make_unique<AgentApi>(*impl_->ingest, impl_->registry, impl_->identity.ca,
                                          impl_->options.clientCertDays, apiLimits);
}

Collector::~Collector() { stop(); }

const std::string& Collector::caFingerprint() const { return impl_->identity.caFingerprint; }

std::vector<boost::asio::ip::tcp::endpoint> Collector::start() {
  auto tls = net::makeServerContext(impl_->identity.serverChainPem, impl_->identity.serverKeyPem,
                                    impl_->identity.ca.certPem);
  // systemd starts services with a soft limit of 1,024 descriptors: take the hard limit,
  // and keep a reserve for the database, logs and outgoing connections.
  std::size_t descriptors = net::raiseDescriptorLimit();
  net::ServerLimits limits;
  limits.maxBodyBytes = impl_->options.maxBodyBytes;
  limits.maxUnauthenticatedPerSource = impl_->options.maxUnauthenticatedPerSource;
  std::size_t reserve = 256;
  std::size_t room = descriptors > 2 * reserve ? descriptors - reserve : descriptors / 2;
  limits.maxConnections = std::min(limits.maxConnections, room);
  log::info("descriptor limit ", descriptors, ": at most ", limits.maxConnections,
            " agent connections, ", limits.maxUnauthenticatedPerSource,
            " unauthenticated per source");
  AgentApi* api = impl_->api.get();
  impl_->server = std::make_unique<net::HttpsServer>(
      impl_->io, tls, [api](net::Request& r) { return api->handle(r); }, limits,
      [api](const net::Request& r) { return api->admit(r); });
  std::vector<boost::asio::ip::tcp::endpoint> bound;
  for (const auto& l : impl_->options.listen) bound.push_back(impl_->server->listen(l));
  if (!impl_->options.consoleListen.empty()) {
    // The same server certificate; browsers are not asked for a client certificate.
    auto consoleTls = net::makeServerContext(impl_->identity.serverChainPem,
                                             impl_->identity.serverKeyPem,
                                             impl_->identity.ca.certPem);
    consoleTls->set_verify_mode(boost::asio::ssl::verify_none);
    console::ConsoleContext cc;
    cc.dataDir = impl_->options.dataDir;
    cc.staleAfterSeconds = impl_->options.staleAfterSeconds;
    cc.caFingerprint = impl_->identity.caFingerprint;
    Impl* impl = impl_.get();
    cc.policies = [impl] { return impl->currentPolicies(); };
    cc.ingest = impl_->ingest.get();
    cc.model = [impl]() -> const FleetModel* { return impl->model.get(); };
    cc.generation = [impl] { return impl->generation.load(); };
    impl_->console = std::make_unique<console::ConsoleApi>(std::move(cc));
    console::ConsoleApi* consoleApi = impl_->console.get();
    net::ServerLimits consoleLimits;
    consoleLimits.maxBodyBytes = 64 << 10;
    consoleLimits.maxConnections = std::min<std::size_t>(1000, room);
    consoleLimits.maxUnauthenticatedPerSource = impl_->options.maxUnauthenticatedPerSource;
    impl_->consoleServer = std::make_unique<net::HttpsServer>(
        impl_->io, consoleTls, [consoleApi](net::Request& r) { return consoleApi->handle(r); },
        consoleLimits);
    for (const auto& l : impl_->options.consoleListen)
      impl_->consoleBound.push_back(impl_->consoleServer->listen(l));
  }
  unsigned n = std::max(1u, impl_->options.threads);
  for (unsigned i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this] {
      auto guard = boost::asio::make_work_guard(impl_->io);
      impl_->io.run();
    });
  }
  return bound;
}

bool Collector::reloadPolicies(std::string* error) {
  try {
    auto fresh = std::make_shared<const std::vector<policy::Policy>>(
        policy::loadPolicyDirectory(impl_->options.policyDir));
    std::lock_guard lock(impl_->policyMutex);
    impl_->policies = std::move(fresh);
    return true;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return false;
  }
}

const std::vector<boost::asio::ip::tcp::endpoint>& Collector::consoleEndpoints() const {
  return impl_->consoleBound;
}

void Collector::stop() {
  if (impl_->stopped.exchange(true)) return;
  if (impl_->server) impl_->server->stop();
  if (impl_->consoleServer) impl_->consoleServer->stop();
  if (impl_->console) impl_->console->stop();
  // Sessions waiting for a commit finish first, then the I/O threads go.
  impl_->ingest->stop();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace posture::collector

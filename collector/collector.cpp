#include "collector/collector.h"

#include <atomic>
#include <mutex>

#include "collector/alerts/alerts.h"
#include "collector/alerts/delivery.h"
#include "collector/alerts/outbox.h"
#include "collector/console/console_api.h"
#include "collector/evaluation/fleet.h"
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
  std::chrono::steady_clock::time_point lastRebuild;

  std::int64_t auditSeen = -1;  // newest audit_log id the model was built with
  std::int64_t auditScanned = 0;  // every audit_log id up to this one has been looked at
  std::int64_t auditNewest = 0;   // the newest of those that may change the evaluation
  // Moves whenever the model's figures or the alerts it raised may have changed; read by
  // the console from other threads to know whether its cached overview is current.
  std::atomic<std::uint64_t> generation{1};

  std::int64_t newestAudit(db::Connection& db) {
    // Alert actions and console accounts (logins, users) are audited too but change no
    // input of the evaluation: a login must not rebuild the model of the whole fleet.
    // Only the rows added since the last look are read (the log is append-only, ids only
    // grow), so such rows piling up never make this periodic check slower.
    auto top = db.prepare("SELECT coalesce(max(id), 0) FROM audit_log");
    std::int64_t newest = top.step() ? top.getInt(0) : 0;
    if (newest <= auditScanned) return auditNewest;
    auto st = db.prepare(
        "SELECT id FROM audit_log WHERE id > ?1 AND id <= ?2 AND substr(action, 1, 6) <> 'alert.' "
        "AND substr(action, 1, 5) <> 'user.' ORDER BY id DESC LIMIT 1");
    st.bind(1, auditScanned).bind(2, newest);
    if (st.step()) auditNewest = st.getInt(0);
    auditScanned = newest;
    return auditNewest;
  }

  ModelOptions modelOptions(db::Connection& db) {
    ModelOptions m;
    m.staleAfterSeconds = options.staleAfterSeconds;
    m.org = std::make_shared<const org::OrgModel>(org::loadOrg(db));
    auditSeen = newestAudit(db);
    return m;
  }

  void logChange(const char* what, const AlertChange& change, std::size_t endpoints) {
    if (change.opened || change.reopened || change.resolved) {
      log::info(what, " ", endpoints, " endpoints: ", change.opened, " alert(s) opened, ",
                change.reopened, " reopened, ", change.resolved, " resolved");
    }
  }

  void rebuild(db::Connection& db) {
    auto start = std::chrono::steady_clock::now();
    modelPolicies = currentPolicies();
    model = std::make_unique<FleetModel>(modelPolicies, modelOptions(db));
    std::int64_t now = util::unixNow();
    RebuildOptions how;
    how.threads = 0;  // every core: the writer waits for this
    auto wanted = model->rebuild(loadEndpoints(db), now, how);
    auto change = syncAlertSet(db, wanted, now);
    ++generation;
    recordHistory(db, *model, now);
    lastRebuild = start;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    log::info("full evaluation of ", model->endpointCount(), " endpoints in ", ms.count(),
              " ms: ", countOpenAlerts(db), " open alert(s), ", model->staleCount(), " stale");
    logChange("evaluated", change, model->endpointCount());
  }

  void periodic(db::Connection& db) {
    evaluatePeriodically(db);
    deliver(db);
  }

  void evaluatePeriodically(db::Connection& db) {
    // A change to the organization (CLI, console) is in the audit log: rebuild with it.
    std::int64_t audit = newestAudit(db);
    if (audit != auditSeen) registry.load(db);  // agent revocations made by the CLI
    if (!model || modelPolicies != currentPolicies() || audit != auditSeen ||
        std::chrono::steady_clock::now() - lastRebuild >= options.fullEvaluateEvery) {
      rebuild(db);
      return;
    }
    auto before = model->generation();
    auto delta = model->sweep(util::unixNow());
    logChange("swept", applyAlertDelta(db, delta.raise, delta.clear, util::unixNow()),
              model->endpointCount());
    if (!delta.empty() || model->generation() != before) ++generation;
  }

  void onReports(db::Connection& db, const std::vector<const ReportRecord*>& records,
                 std::int64_t committedAt) {
    if (!model || modelPolicies != currentPolicies()) {
      rebuild(db);
      return;
    }
    AlertDelta all;
    for (const auto* r : records) {
      StoredEndpoint s{r->agentId, r->unitCode, r->hostname, r->sequence, committedAt,
                       r->collectedAt, r->body};
      auto d = model->update(s, committedAt);
      for (auto& w : d.raise) all.raise.push_back(std::move(w));
      for (auto& c : d.clear) all.clear.push_back(std::move(c));
    }
    logChange("re-evaluated", applyAlertDelta(db, all.raise, all.clear, committedAt),
              records.size());
    ++generation;
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
  impl_->api = std::make_unique<AgentApi>(*impl_->ingest, impl_->registry, impl_->identity.ca,
                                          impl_->options.clientCertDays);
}

Collector::~Collector() { stop(); }

const std::string& Collector::caFingerprint() const { return impl_->identity.caFingerprint; }

std::vector<boost::asio::ip::tcp::endpoint> Collector::start() {
  auto tls = net::makeServerContext(impl_->identity.serverCertPem, impl_->identity.serverKeyPem,
                                    impl_->identity.ca.certPem);
  net::ServerLimits limits;
  limits.maxBodyBytes = impl_->options.maxBodyBytes;
  AgentApi* api = impl_->api.get();
  impl_->server = std::make_unique<net::HttpsServer>(
      impl_->io, tls, [api](net::Request& r) { return api->handle(r); }, limits);
  std::vector<boost::asio::ip::tcp::endpoint> bound;
  for (const auto& l : impl_->options.listen) bound.push_back(impl_->server->listen(l));
  if (!impl_->options.consoleListen.empty()) {
    // The same server certificate; browsers are not asked for a client certificate.
    auto consoleTls = net::makeServerContext(impl_->identity.serverCertPem,
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
    consoleLimits.maxConnections = 1000;
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

#include "collector/serve/collector.h"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include "collector/alerts/alerts.h"
#include "collector/alerts/contacts.h"
#include "collector/alerts/delivery.h"
#include "collector/alerts/outbox.h"
#include "collector/cli/policy_dir.h"
#include "collector/console/console_api.h"
#include "collector/evaluation/live.h"
#include "collector/upstream/link.h"
#include "collector/ingest/ingest.h"
#include "collector/org/org.h"
#include "collector/pki/authority.h"
#include "collector/serve/metrics_listener.h"
#include "collector/retention/pruner.h"
#include "collector/server/agent_api.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/net/tls_context.h"
#include "common/util/files.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;

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
  std::unique_ptr<MetricsListener> metrics;  // checked at construction
  std::vector<MetricsBound> metricsBound;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  std::shared_ptr<const std::vector<policy::Policy>> currentPolicies() {
    std::lock_guard lock(policyMutex);
    return policies;
  }

  std::unique_ptr<AlertDelivery> delivery;  // global targets and the units' contacts
  std::unique_ptr<upstream::UpstreamLink> upstream;  // null without --upstream
  std::unique_ptr<retention::PrunerThread> pruner;  // issue 18: its own thread and connection

  // Hands every new group transition to delivery, in order (the outbox is alert_group_events), for
  // the global targets and the contacts of the notice's unit and its ancestors. Contacts
  // and the unit tree are read afresh for each batch: `contacts add` applies at once.
  void deliver(db::Connection& db) {
    if (!delivery) return;
    for (;;) {
      std::int64_t position = 0;
      auto notices = pendingNotices(db, 1000, position);
      if (!notices.empty()) {
        auto contacts = listContacts(db);
        org::OrgModel tree;
        if (!contacts.empty()) tree = org::loadOrg(db);
        for (const auto& n : notices) {
          delivery->publish(n, contacts.empty() ? std::vector<DeliveryTarget>{}
                                                : routeTargets(tree, contacts, n.unitCode));
        }
      }
      advanceOutbox(db, position);
      if (notices.size() < 1000) break;
    }
  }

  // The live evaluation (collector/evaluation/live.h), on the writer thread.
  std::unique_ptr<LiveEvaluation> live;
  // The agent changes the registry was loaded with: the CLI and the console announce
  // revocations in storage's change counters.
  std::int64_t agentsSeen = 0;

  // Writer thread, every evaluation interval.
  void periodic(db::Connection& db) {
    if (auto agents = readChangeCounters(db).agents; agents != agentsSeen) {
      registry.load(db);
      agentsSeen = agents;
    }
    live->tick(db);
    // Alert events written by another process (the CLI) are delivered here.
    deliver(db);
  }
};

namespace {
// --smtp and its companions into the delivery's settings; std::invalid_argument naming
// the option that is wrong.
void configureSmtp(const ServeOptions& o, SmtpSettings& smtp) {
  bool any = !o.smtpFrom.empty() || !o.smtpCa.empty() || !o.smtpUser.empty() ||
             !o.smtpPasswordFile.empty();
  if (o.smtp.empty()) {
    if (any) {
      throw std::invalid_argument("--smtp-from, --smtp-ca, --smtp-user và --smtp-password-file cần "
                                  "--smtp / need --smtp smtp://HOST:PORT");
    }
    return;
  }
  parseSmtpServer(o.smtp, smtp);
  if (!isEmailAddress(o.smtpFrom)) {
    throw std::invalid_argument("--smtp-from: cần một địa chỉ thư điện tử / needs an e-mail address, got '" +
                                o.smtpFrom + "'");
  }
  smtp.from = o.smtpFrom;
  smtp.caFile = o.smtpCa;
  if (o.smtpUser.empty() != o.smtpPasswordFile.empty()) {
    throw std::invalid_argument("--smtp-user và --smtp-password-file đi cùng nhau / go together");
  }
  if (!o.smtpUser.empty()) {
    smtp.user = o.smtpUser;
    auto read = util::readFile(o.smtpPasswordFile, 4096);
    if (!read) {
      throw std::invalid_argument("--smtp-password-file: không đọc được / cannot be read: " +
                                  o.smtpPasswordFile.string());
    }
    std::string password = *read;
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    if (password.empty()) throw std::invalid_argument("--smtp-password-file: the file is empty");
    smtp.password = password;
  }
}
}  // namespace

Collector::Collector(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.policyDir.empty()) impl_->options.policyDir = defaultPolicyDir();
  impl_->policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(impl_->options.policyDir));
  log::info("loaded ", impl_->policies->size(), " policies from ",
            impl_->options.policyDir.string());

  // The metrics options first: a TLS address without a token stops the start here.
  impl_->metrics = std::make_unique<MetricsListener>(impl_->options);
  std::vector<std::string> names = impl_->options.extraNames;
  for (const auto& l : impl_->options.listen) names.push_back(net::splitHostPort(l).first);
  for (const auto& l : impl_->options.consoleListen) names.push_back(net::splitHostPort(l).first);
  for (const auto& l : impl_->options.metricsListen) names.push_back(net::splitHostPort(l).first);
  std::optional<ExistingCa> existing;
  if (!impl_->options.caCert.empty() || !impl_->options.caKey.empty()) {
    if (impl_->options.caCert.empty() || impl_->options.caKey.empty())
      throw std::invalid_argument("--ca-cert and --ca-key go together");
    existing = ExistingCa{impl_->options.caCert, impl_->options.caKey};
  }
  impl_->identity = loadOrCreateIdentity(impl_->options.dataDir, names, existing);

  auto db = openDatabase(impl_->options.dataDir);
  recordPolicyDir(impl_->options.dataDir, impl_->options.policyDir);
  impl_->agentsSeen = readChangeCounters(*db).agents;
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
  configureSmtp(impl_->options, delivery.smtp);
  for (const auto& t : delivery.targets) log::info("alerts are delivered to ", deliveryTargetUrl(t));
  if (!delivery.smtp.host.empty()) {
    log::info("e-mail to the units' contacts goes through smtp://", hostForUrl(delivery.smtp.host),
              ":", delivery.smtp.port, " (STARTTLS required) from ", delivery.smtp.from);
  }
  // Always: the units' contacts (collector/alerts/contacts.h) may be added at any time.
  impl_->delivery = std::make_unique<AlertDelivery>(std::move(delivery));
  Impl* impl = impl_.get();
  LiveOptions live;
  live.staleAfterSeconds = impl_->options.staleAfterSeconds;
  live.fullEvaluateEvery = impl_->options.fullEvaluateEvery;
  live.policies = [impl] { return impl->currentPolicies(); };
  // The evaluator's alert events go out as soon as they are written.
  live.afterAlertsWritten = [impl](db::Connection& c) { impl->deliver(c); };
  impl_->live = std::make_unique<LiveEvaluation>(std::move(live));
  IngestOptions io;
  io.afterCommit = [impl](db::Connection& c) { impl->periodic(c); };
  io.afterCommitInterval = impl_->options.evaluateEvery;
  io.onCommitted = [impl](db::Connection& c, const std::vector<const ReportRecord*>& records,
                          std::int64_t at) { impl->live->onReports(c, records, at); };
  io.afterJobs = [impl](db::Connection& c) { impl->deliver(c); };
  impl_->ingest = std::make_unique<Ingest>(std::move(db), std::move(io));
  AgentApiLimits apiLimits;
  apiLimits.maxReportBytes = impl_->options.maxBodyBytes;
  impl_->api = std::make_unique<AgentApi>(*impl_->ingest, impl_->registry, impl_->identity.ca,
                                          impl_->options.clientCertDays, apiLimits);
  impl_->api->onPushed = [impl](db::Connection& c, const std::string& child,
                                const std::vector<std::string>& ids, bool organization, std::int64_t at) {
    impl->live->onFederated(c, child, ids, organization, at);
  };
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
  if (!impl_->options.upstream.empty()) {
    upstream::LinkOptions lo;
    lo.upstream = impl_->options.upstream;
    lo.token = impl_->options.upstreamToken;
    lo.caFingerprint = impl_->options.upstreamCaFingerprint;
    lo.dataDir = impl_->options.dataDir;
    lo.every = impl_->options.upstreamEvery;
    lo.summary = impl_->options.upstreamSummary;
    lo.staleAfterSeconds = impl_->options.staleAfterSeconds;
    Impl* impl = impl_.get();
    lo.policies = [impl] { return impl->currentPolicies(); };
    // Enrolment first: a province that cannot be verified stops the start, before any
    // agent is accepted, with the cause.
    std::string mount = upstream::ensureEnrolled(lo);
    log::info("upstream: pushing to ", lo.upstream, " every ", lo.every.count(), " s, mounted at unit ",
              mount, lo.summary ? " (summary)" : "");
    impl_->upstream = std::make_unique<upstream::UpstreamLink>(std::move(lo));
    impl_->upstream->start();
  }
  impl_->pruner = std::make_unique<retention::PrunerThread>(impl_->options.dataDir, impl_->options.retention);
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
    cc.model = [impl]() -> const FleetModel* { return impl->live->model(); };
    cc.generation = [impl] { return impl->live->generation(); };
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
  if (impl_->metrics->enabled()) {
    Impl* impl = impl_.get();
    MetricsWiring w;
    w.endpoints = [impl] { return impl->live->endpointCount(); };
    w.stale = [impl] { return impl->live->staleCount(); };
    w.lastFullSeconds = [impl] { return impl->live->lastFullSeconds(); };
    w.deliveryQueued = [impl] { return impl->delivery ? impl->delivery->stats().queued : 0; };
    w.writerError = [impl] { return impl->ingest->lastCommitError(); };
    w.policyCount = [impl] { return impl->currentPolicies()->size(); };
    net::HttpsServer* agents = impl_->server.get();
    w.listeners.emplace_back("agent", [agents] { return agents->counters(); });
    if (impl_->consoleServer) {
      net::HttpsServer* console = impl_->consoleServer.get();
      w.listeners.emplace_back("console", [console] { return console->counters(); });
    }
    if (impl_->upstream) {
      upstream::UpstreamLink* link = impl_->upstream.get();
      w.upstreamUp = [link] { return link->linkUp(); };
      w.upstreamLastAck = [link] { return link->lastAckAt(); };
    }
    impl_->metricsBound = impl_->metrics->start(impl_->io, std::move(w), impl_->identity.serverChainPem,
                                                impl_->identity.serverKeyPem, impl_->identity.ca.certPem);
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

const std::vector<MetricsBound>& Collector::metricsEndpoints() const { return impl_->metricsBound; }

void Collector::stop() {
  if (impl_->stopped.exchange(true)) return;
  if (impl_->upstream) impl_->upstream->stop();
  if (impl_->pruner) impl_->pruner->stop();  // ends a pass between two slices
  if (impl_->server) impl_->server->stop();
  if (impl_->consoleServer) impl_->consoleServer->stop();
  if (impl_->console) impl_->console->stop();
  if (impl_->metrics) impl_->metrics->stop();
  // Sessions waiting for a commit finish first, then the I/O threads go.
  impl_->ingest->stop();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace posture::collector

#include "collector/collector.h"

#include <atomic>
#include <mutex>

#include "collector/alerts/alerts.h"
#include "collector/evaluation/fleet.h"
#include "collector/ingest/ingest.h"
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
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};

  std::shared_ptr<const std::vector<policy::Policy>> currentPolicies() {
    std::lock_guard lock(policyMutex);
    return policies;
  }

  void evaluate(db::Connection& db) {
    auto pols = currentPolicies();
    auto fleet = evaluateFleet(loadEndpoints(db), *pols, util::unixNow());
    auto change = syncAlerts(db, fleet);
    if (change.opened || change.reopened || change.resolved) {
      log::info("evaluated ", fleet.endpoints.size(), " endpoints: ", change.open,
                " open alerts (", change.opened, " opened, ", change.reopened, " reopened, ",
                change.resolved, " resolved)");
    }
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
  impl_->identity = loadOrCreateIdentity(impl_->options.dataDir, names);

  auto db = openDatabase(impl_->options.dataDir);
  impl_->registry.load(*db);
  IngestOptions io;
  io.afterCommit = [impl = impl_.get()](db::Connection& c) { impl->evaluate(c); };
  io.afterCommitInterval = impl_->options.evaluateEvery;
  impl_->ingest = std::make_unique<Ingest>(std::move(db), std::move(io));
  impl_->api = std::make_unique<AgentApi>(*impl_->ingest, impl_->registry, impl_->identity.ca);
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

void Collector::stop() {
  if (impl_->stopped.exchange(true)) return;
  if (impl_->server) impl_->server->stop();
  // Sessions waiting for a commit finish first, then the I/O threads go.
  impl_->ingest->stop();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace posture::collector

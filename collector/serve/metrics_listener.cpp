#include "collector/serve/metrics_listener.h"

#include "collector/metrics/instruments.h"
#include "collector/metrics/process.h"
#include "common/net/tls_context.h"

namespace posture::collector {
using metrics::Type;

MetricsListener::MetricsListener(const ServeOptions& o)
    : dataDir_(o.dataDir),
      perSource_(o.maxUnauthenticatedPerSource),
      plans_(metrics::planListeners(o.metricsListen, o.metricsTls, o.metricsTokenFile)) {
  bool anyTls = false;
  for (const auto& p : plans_) anyTls = anyTls || p.tls;
  // A token file given for loopback-only listeners is still read: a bad one is a mistake
  // worth stopping for.
  if (!o.metricsTokenFile.empty()) token_ = metrics::readToken(o.metricsTokenFile);
  if (!anyTls) token_.clear();
}

std::vector<MetricsBound> MetricsListener::start(boost::asio::io_context& io, MetricsWiring wiring,
                                                 const std::string& chainPem,
                                                 const std::string& keyPem,
                                                 const std::string& caPem) {
  std::vector<MetricsBound> bound;
  if (plans_.empty()) return bound;
  wiring_ = std::move(wiring);
  auto database = dataDir_ / "posture.db";
  stored_ = std::make_unique<StoredFigures>(database, std::chrono::seconds(5));
  readiness_ = std::make_unique<Readiness>(
      Readiness::Sources{database, wiring_.writerError, wiring_.policyCount});
  auto& r = registry_;
  MetricsWiring* w = &wiring_;
  StoredFigures* stored = stored_.get();
  auto addListener = [&r](const std::string& label, std::function<net::ServerCounters()> read) {
    r.callback(Type::Counter, "posture_tls_handshake_failures_total",
               "TLS handshakes that failed, by listener.", {{"listener", label}},
               [read]() -> std::optional<double> { return static_cast<double>(read().handshakeFailures); });
    r.callback(Type::Gauge, "posture_connections_open", "Connections open, by listener.",
               {{"listener", label}},
               [read]() -> std::optional<double> { return static_cast<double>(read().connections); });
    // Closed at accept: a source over --max-unauthenticated-per-source, or every
    // connection the listener may hold in use.
    for (const char* reason : {"per_source", "overall"}) {
      bool perSource = std::string_view(reason) == "per_source";
      r.callback(Type::Counter, "posture_connections_refused_total",
                 "Connections closed at accept, by listener and reason (the per-source cap of "
                 "unauthenticated connections, or the listener's connection cap).",
                 {{"listener", label}, {"reason", reason}}, [read, perSource]() -> std::optional<double> {
                   auto c = read();
                   return static_cast<double>(perSource ? c.refusedPerSource : c.refusedOverall);
                 });
    }
  };
  for (const auto& [label, read] : wiring_.listeners) addListener(label, read);
  auto known = [](std::int64_t v) -> std::optional<double> {
    if (v < 0) return std::nullopt;
    return static_cast<double>(v);
  };
  r.callback(Type::Gauge, "posture_endpoints", "Endpoints known to the live evaluation.", {},
             [w, known] { return known(w->endpoints()); });
  r.callback(Type::Gauge, "posture_endpoints_stale",
             "Endpoints silent for longer than --stale-after.", {},
             [w, known] { return known(w->stale()); });
  for (const char* severity : {"low", "medium", "high", "critical"}) {
    std::string s = severity;
    r.callback(Type::Gauge, "posture_alerts_open", "Alerts not resolved (open or acknowledged), by severity.",
               {{"severity", s}}, [stored, s]() -> std::optional<double> {
                 auto f = stored->read();
                 if (!f) return std::nullopt;
                 auto it = f->openAlerts.find(s);
                 return it == f->openAlerts.end() ? 0.0 : static_cast<double>(it->second);
               });
  }
  r.callback(Type::Gauge, "posture_delivery_backlog",
             "Alert notices not yet delivered to every target (stored and queued).", {},
             [stored, w]() -> std::optional<double> {
               auto f = stored->read();
               if (!f) return std::nullopt;
               return static_cast<double>(f->undelivered) +
                      static_cast<double>(w->deliveryQueued ? w->deliveryQueued() : 0);
             });
  r.callback(Type::Gauge, "posture_database_size_bytes",
             "Size of the database file and its write-ahead log.", {},
             [database]() -> std::optional<double> { return static_cast<double>(databaseBytes(database)); });
  r.callback(Type::Gauge, "posture_evaluation_last_full_seconds",
             "Duration of the last full evaluation of the fleet.", {},
             [w]() -> std::optional<double> {
               double v = w->lastFullSeconds();
               if (v < 0) return std::nullopt;
               return v;
             });
  if (wiring_.upstreamUp) {
    r.callback(Type::Gauge, "posture_upstream_link_up",
               "1 when the last round with the upstream collector succeeded, else 0.", {},
               [w]() -> std::optional<double> { return w->upstreamUp() ? 1.0 : 0.0; });
    r.callback(Type::Gauge, "posture_upstream_last_push_timestamp_seconds",
               "Unix time of the last push the upstream collector acknowledged.", {},
               [w]() -> std::optional<double> {
                 auto at = w->upstreamLastAck();
                 if (at <= 0) return std::nullopt;
                 return static_cast<double>(at);
               });
  }
  metrics::addProcessMetrics(r);

  metrics::EndpointOptions eo;
  metrics::Registry* own = &registry_;
  eo.render = [own] { return metrics::instruments().registry.render() + own->render(); };
  Readiness* readiness = readiness_.get();
  eo.notReady = [readiness] { return readiness->notReady(); };
  endpoint_ = std::make_unique<metrics::MetricsEndpoint>(std::move(eo), token_);
  const metrics::MetricsEndpoint* ep = endpoint_.get();
  auto limits = metrics::endpointLimits(perSource_);
  for (const auto& p : plans_) {
    auto& server = p.tls ? tls_ : plain_;
    if (!server) {
      std::shared_ptr<boost::asio::ssl::context> ctx;
      if (p.tls) {
        ctx = net::makeServerContext(chainPem, keyPem, caPem);
        ctx->set_verify_mode(boost::asio::ssl::verify_none);  // Prometheus brings a token
      }
      bool withToken = p.tls;
      server = std::make_unique<net::HttpsServer>(
          io, ctx, [ep, withToken](net::Request& req) { return ep->serve(req, withToken); }, limits);
    }
    bound.push_back(MetricsBound{server->listen(p.hostPort), p.tls});
  }
  // This listener's own figures: the TLS one when there is one (handshakes can fail there).
  if (net::HttpsServer* server = tls_ ? tls_.get() : plain_.get()) {
    addListener("metrics", [server] { return server->counters(); });
  }
  return bound;
}

void MetricsListener::stop() {
  if (plain_) plain_->stop();
  if (tls_) tls_->stop();
}

}  // namespace posture::collector

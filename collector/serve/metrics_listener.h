#pragma once
// serve --metrics-listen: the listeners of /metrics, /healthz and /readyz, and the
// collector's figures registered for them (collector/metrics/, "Metrics and health" in
// collector/README.md). Built by Collector; the options are checked at construction, so
// a TLS address without --metrics-token-file stops `serve` before anything is bound.
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/metrics/endpoint.h"
#include "collector/metrics/registry.h"
#include "collector/serve/collector.h"
#include "collector/serve/metrics_sources.h"
#include "common/net/http_server.h"

namespace posture::collector {

// Where the figures come from; each is read at a scrape, from any I/O thread.
struct MetricsWiring {
  std::function<std::int64_t()> endpoints, stale;  // -1: before the first evaluation
  std::function<double()> lastFullSeconds;         // -1: none yet
  std::function<std::uint64_t()> deliveryQueued;   // notices in delivery's memory queue
  std::function<std::optional<std::string>()> writerError;
  std::function<std::size_t()> policyCount;
  // listener label ("agent", "console") → its server's figures (connections, refusals at
  // accept, failed handshakes)
  std::vector<std::pair<std::string, std::function<net::ServerCounters()>>> listeners;
  // Only with --upstream.
  std::function<bool()> upstreamUp;
  std::function<std::int64_t()> upstreamLastAck;  // Unix time; 0: none yet
};

class MetricsListener {
 public:
  // Checks the options (std::invalid_argument) and reads the token file.
  explicit MetricsListener(const ServeOptions& options);
  bool enabled() const { return !plans_.empty(); }
  // Registers the figures and binds every address (throws naming an address that cannot
  // be bound). The TLS listeners present `chainPem`/`keyPem`.
  std::vector<MetricsBound> start(boost::asio::io_context& io, MetricsWiring wiring,
                                  const std::string& chainPem, const std::string& keyPem,
                                  const std::string& caPem);
  void stop();

 private:
  std::filesystem::path dataDir_;
  std::size_t perSource_;
  std::vector<metrics::ListenPlan> plans_;
  std::string token_;
  MetricsWiring wiring_;
  metrics::Registry registry_;  // this collector's figures; counters are in instruments()
  std::unique_ptr<StoredFigures> stored_;
  std::unique_ptr<Readiness> readiness_;
  std::unique_ptr<metrics::MetricsEndpoint> endpoint_;
  std::unique_ptr<net::HttpsServer> plain_, tls_;
};

}  // namespace posture::collector

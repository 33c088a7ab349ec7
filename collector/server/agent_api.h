#pragma once
// The HTTP API agents call: POST /v1/enrol (token + CSR, no client certificate yet),
// POST /v1/reports and POST /v1/renew (a new certificate before the old one expires;
// mTLS). Bodies are protobuf; errors carry an ErrorResponse with a stable code and English
// and Vietnamese messages.
//
// Identity before bodies: `admit` sees each request's headers and the client certificate
// before any body is read. Reports and renewals without a verified certificate of a known,
// unrevoked agent, in its current (or, during a renewal, previous) serial, are refused
// there. The writer checks the same again in the transaction that stores a report, so a
// revocation or renewal committed by the CLI is never missed.
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>

#include "collector/federation/mounts.h"
#include "collector/ingest/ingest.h"
#include "common/crypto/crypto.h"
#include "common/log/log.h"
#include "common/net/http_server.h"

namespace posture::collector {

// Enrolled agents by id, kept in memory so a report costs no query to authorise.
class AgentRegistry {
 public:
  struct Entry {
    std::string unitCode;
    bool revoked = false;
    std::string certSerial;          // the current certificate
    std::string previousCertSerial;  // until the renewed certificate is first used
    bool collector = false;          // a child collector's identity: it never reports
  };
  // Replaces the whole registry from the agents table (revocations made by the CLI).
  void load(db::Connection& db);
  void put(const std::string& agentId, Entry entry);
  std::optional<Entry> find(const std::string& agentId) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> agents_;
};

struct AgentApiLimits {
  std::size_t maxReportBytes = 1 << 20;  // serve --max-body
  std::size_t maxEnrolBytes = 64 << 10;  // a token, a CSR and a hostname
};

class AgentApi {
 public:
  AgentApi(Ingest& ingest, AgentRegistry& registry, crypto::CertificateAuthority ca,
           int clientCertDays = 365, AgentApiLimits limits = {});
  // The headers and the peer's identity: a refusal, or the body limit of that route.
  net::Admission admit(const net::Request& request) const;
  // Every answer, refusals by admit() too, carries HSTS, nosniff and no-store (the TLS
  // audit: testssl_test).
  boost::asio::awaitable<net::Response> handle(net::Request& request);
  // Writer thread, in the transaction of a child's push that changed endpoint rows, layer
  // verdicts or systems but not units: the child, the agent ids, and whether layers or
  // systems moved (the live evaluation moves them; a push that changed units announces an
  // organization change instead).
  std::function<void(db::Connection&, const std::string& child, const std::vector<std::string>& agentIds,
                     bool organization, std::int64_t committedAt)>
      onPushed;

 private:
  net::Admission admitRoute(const net::Request& request) const;
  boost::asio::awaitable<net::Response> route(net::Request& request);
  boost::asio::awaitable<net::Response> enrol(net::Request& request);
  boost::asio::awaitable<net::Response> report(net::Request& request);
  boost::asio::awaitable<net::Response> renew(net::Request& request);
  // A child collector's push (federation_api.cpp): applied by the writer, answered with
  // the FederationAck of what was committed.
  boost::asio::awaitable<net::Response> push(net::Request& request);
  static net::Response agentPushesNothing(const net::Request& request);
  // A request from an enrolled, not revoked agent (mTLS) with a protobuf body: its
  // registry entry, or the refusal to send. needEn/needVi: why a certificate is needed.
  std::variant<AgentRegistry::Entry, net::Response> authorise(const net::Request& request,
                                                              const std::string& needEn,
                                                              const std::string& needVi) const;
  // 403 collector_identity: a child collector's certificate on the report route.
  static net::Response collectorSendsNoReports(const net::Request& request);

  Ingest& ingest_;
  AgentRegistry& registry_;
  crypto::CertificateAuthority ca_;
  int clientCertDays_;
  AgentApiLimits limits_;
  mutable log::RateLimiter refusedLines_;  // per client source, like the server's
};

// Where a child collector pushes its units' figures (issue 16).
inline constexpr std::string_view kPushRoute = "/v1/federation/push";

net::Response errorResponse(unsigned status, const std::string& code, const std::string& en,
                            const std::string& vi);

}  // namespace posture::collector

#pragma once
// The HTTP API agents call: POST /v1/enrol (token + CSR, no client certificate yet),
// POST /v1/reports and POST /v1/renew (a new certificate before the old one expires; mTLS). Bodies are protobuf; errors carry an ErrorResponse
// with a stable code and English and Vietnamese messages.
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>

#include "collector/ingest/ingest.h"
#include "common/crypto/crypto.h"
#include "common/net/http_server.h"

namespace posture::collector {

// Enrolled agents by id, kept in memory so a report costs no query to authorise.
class AgentRegistry {
 public:
  struct Entry {
    std::string unitCode;
    bool revoked = false;
  };
  // Replaces the whole registry from the agents table (revocations made by the CLI).
  void load(db::Connection& db);
  void put(const std::string& agentId, Entry entry);
  std::optional<Entry> find(const std::string& agentId) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> agents_;
};

class AgentApi {
 public:
  AgentApi(Ingest& ingest, AgentRegistry& registry, crypto::CertificateAuthority ca,
           int clientCertDays = 365);
  // Every answer carries HSTS, nosniff and no-store (the TLS audit: testssl_test).
  boost::asio::awaitable<net::Response> handle(net::Request& request);

 private:
  boost::asio::awaitable<net::Response> route(net::Request& request);
  boost::asio::awaitable<net::Response> enrol(net::Request& request);
  boost::asio::awaitable<net::Response> report(net::Request& request);
  boost::asio::awaitable<net::Response> renew(net::Request& request);
  // A request from an enrolled, not revoked agent (mTLS) with a protobuf body: its
  // registry entry, or the refusal to send. needEn/needVi: why a certificate is needed.
  std::variant<AgentRegistry::Entry, net::Response> authorise(const net::Request& request,
                                                              const std::string& needEn,
                                                              const std::string& needVi) const;

  Ingest& ingest_;
  AgentRegistry& registry_;
  crypto::CertificateAuthority ca_;
  int clientCertDays_;
};

net::Response errorResponse(unsigned status, const std::string& code, const std::string& en,
                            const std::string& vi);

}  // namespace posture::collector

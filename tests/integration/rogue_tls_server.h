#pragma once
// A TLS server on 127.0.0.1 that is not the collector, for tests of what an agent sends
// to a server it should not trust. It presents the chain and key it is given, records
// every connection, whether its handshake completed and every byte received after it,
// and answers anything that looks like an HTTP request with a bare 503 (so a client that
// did talk to it fails at once instead of waiting for its timeout).
#include <memory>
#include <string>

namespace posture::test {

class RogueTlsServer {
 public:
  // chainPem: leaf first, then whatever else it should send (CA certificates).
  RogueTlsServer(const std::string& chainPem, const std::string& keyPem);
  ~RogueTlsServer();
  RogueTlsServer(const RogueTlsServer&) = delete;
  RogueTlsServer& operator=(const RogueTlsServer&) = delete;

  int port() const;

  struct Seen {
    int connections = 0;  // TCP connections accepted
    int handshakes = 0;   // TLS handshakes that completed on its side
    std::string bytes;    // application data received after them
  };
  // What it has seen so far, once everything sent before this call has been accepted and
  // each connection has ended: a sentinel connection (not counted) goes through the same
  // accept queue behind any earlier one. Throws if that takes more than a minute.
  Seen settle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posture::test

#pragma once
// Client side of enrolment: before an agent (or a child collector) holds the collector's
// CA certificate it knows only that CA's SHA-256, the "pin". The TLS context made here
// checks the server against the pin inside the handshake, so nothing — no token, not even
// the clock check — is written to a server that has not proved it holds a certificate of
// the pinned CA. A post-handshake check would come too late: the request is already sent.
//
// The server must send its CA certificate in its chain (the collector does: leaf + CA).
// The check, run by OpenSSL in place of its own during the handshake:
//  - the chain the server sent contains the CA whose SHA-256 is the pin (or, on first
//    use, the last certificate it sent, if that is a CA), and the leaf chains to it by
//    signature;
//  - the leaf is a server certificate (EKU serverAuth): the same CA issues every agent's
//    client certificate, and an agent's certificate must not pass for the collector;
//  - the leaf names the host or IP address dialled (HttpsClient sets it per connection);
//  - validity dates are NOT checked: a machine whose clock is days off must still reach
//    the collector's Date header to be told so (the clock check before enrolment). After
//    enrolment the ordinary client context (tls_context.h) checks dates too.
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace posture::net {

struct EnrolmentTrust {
  std::string caFingerprint;      // 64 lowercase hex (crypto::parseSha256Fingerprint)
  // No pin: trust the CA the first server sends (and say which: PinnedOutcome); later
  // handshakes of the same context must then end in that same CA.
  bool trustOnFirstUse = false;
};

// What the handshakes of one pinned context found, shared with its caller.
class PinnedOutcome {
 public:
  // The CA the last successful handshake verified the server against ("" if none yet).
  std::string caPem() const;
  std::string caFingerprint() const;
  // Why the last handshake's check failed, in words for IT staff ("" if it did not).
  std::string failure() const;

  void succeeded(std::string caPem, std::string fingerprint);
  void failed(std::string why);

 private:
  mutable std::mutex mutex_;
  std::string caPem_, fingerprint_, failure_;
};

// Throws std::invalid_argument when trust has neither a pin nor trustOnFirstUse: trusting
// whatever answers is never a default.
std::shared_ptr<boost::asio::ssl::context> makePinnedClientContext(
    const EnrolmentTrust& trust, std::shared_ptr<PinnedOutcome> outcome);

}  // namespace posture::net

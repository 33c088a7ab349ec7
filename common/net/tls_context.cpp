#include "common/net/tls_context.h"

#include <openssl/ssl.h>

#include <stdexcept>

namespace posture::net {
namespace {
void baseOptions(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // TLS 1.2 only with forward-secret AEAD suites.
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305");
}

void addCa(ssl::context& ctx, const std::string& caPem) {
  boost::system::error_code ec;
  ctx.add_certificate_authority(boost::asio::buffer(caPem), ec);
  if (ec) throw std::runtime_error("invalid CA certificate: " + ec.message());
}

void useIdentity(ssl::context& ctx, const std::string& certPem, const std::string& keyPem) {
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(certPem), ec);
  if (ec) throw std::runtime_error("invalid certificate: " + ec.message());
  ctx.use_private_key(boost::asio::buffer(keyPem), ssl::context::pem, ec);
  if (ec) throw std::runtime_error("invalid private key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw std::runtime_error("private key does not match the certificate");
  }
}
}  // namespace

std::shared_ptr<ssl::context> makeServerContext(const std::string& certPem,
                                                const std::string& keyPem,
                                                const std::string& clientCaPem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  baseOptions(*ctx);
  useIdentity(*ctx, certPem, keyPem);
  addCa(*ctx, clientCaPem);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Key exchange on X25519, P-256 or P-384 only. OpenSSL's default list also has the
  // ffdhe2048..8192 groups in TLS 1.3, with which any client, before it authenticates, can
  // make the server pay for an 8192-bit Diffie-Hellman per handshake.
  if (SSL_CTX_set1_groups_list(ctx->native_handle(), "X25519:P-256:P-384") != 1) {
    throw std::runtime_error("cannot set the TLS key exchange groups");
  }
  // Ask for a client certificate and verify it when given; a certificate from another CA
  // fails the handshake. Its absence is refused later, per request.
  ctx->set_verify_mode(ssl::verify_peer);
  // Session resumption across the collector's threads, keyed to this service.
  static const unsigned char kSessionId[] = "posture-collector";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionId, sizeof kSessionId - 1);
  return ctx;
}

std::shared_ptr<ssl::context> makeClientContext(const std::string& caPem,
                                                const std::string& certPem,
                                                const std::string& keyPem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  baseOptions(*ctx);
  if (!caPem.empty()) {
    addCa(*ctx, caPem);
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  if (!certPem.empty()) useIdentity(*ctx, certPem, keyPem);
  return ctx;
}

}  // namespace posture::net

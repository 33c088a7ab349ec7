#pragma once
// TLS settings shared by every listener and client: TLS 1.2 minimum, 1.3 preferred
// (OpenSSL negotiates the highest both sides support), no compression or renegotiation.
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace posture::net {

namespace ssl = boost::asio::ssl;

// Server side. Clients may present a certificate signed by clientCaPem; whether one is
// required is decided per request (enrolment comes before a client has one). certPem may
// be a chain, leaf first: the collector sends its CA after its leaf (pinned_trust.h).
std::shared_ptr<ssl::context> makeServerContext(const std::string& certPem,
                                                const std::string& keyPem,
                                                const std::string& clientCaPem);

// Client side. With caPem the server must present a chain to it (dates, host and EKU
// serverAuth checked); with an empty caPem the server is not verified at all, which no
// agent code does any more: enrolment uses makePinnedClientContext (pinned_trust.h).
// certPem/keyPem: our client certificate, or empty.
std::shared_ptr<ssl::context> makeClientContext(const std::string& caPem,
                                                const std::string& certPem = {},
                                                const std::string& keyPem = {});

}  // namespace posture::net

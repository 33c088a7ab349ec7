#include "common/uplink/uplink.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/util/time.h"

namespace posture::uplink {
namespace {
constexpr const char* kProtobuf = "application/x-protobuf";
constexpr std::int64_t kMaxClockSkew = 300;  // seconds

// Turns a non-200 answer into an UplinkError carrying the collector's own explanation.
[[noreturn]] void failWith(const net::ClientResponse& r) {
  posture::v1::ErrorResponse e;
  if (r.contentType.starts_with(kProtobuf) && e.ParseFromString(r.body) && !e.code().empty()) {
    bool retryable = r.status >= 500;
    throw UplinkError("collector refused (HTTP " + std::to_string(r.status) + " " + e.code() +
                          "): " + e.message() + " / " + e.message_vi(),
                      e.code(), retryable, e.last_sequence());
  }
  std::string body = r.body.substr(0, 300);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  throw UplinkError("collector answered HTTP " + std::to_string(r.status) + ": " + body, {},
                    r.status >= 500);
}

std::pair<std::string, std::string> hostPort(const std::string& collector) {
  try {
    return net::splitHostPort(collector);
  } catch (const std::invalid_argument& e) {
    throw UplinkError(std::string("bad collector address: ") + e.what(), {}, false);
  }
}

// The agent's mTLS context from its state.
std::shared_ptr<boost::asio::ssl::context> agentTls(const AgentState& state) {
  try {
    return net::makeClientContext(state.caPem, state.certPem, state.keyPem);
  } catch (const std::exception& e) {
    throw UplinkError("agent credentials in " + state.dir.string() + " are unusable: " + e.what(),
                      {}, false);
  }
}

// A network failure as IT staff should read it. pinned: the outcome of a pinned
// context's handshake checks (enrolment), or null.
[[noreturn]] void failNet(const net::NetError& e, const std::string& collector,
                          const net::PinnedOutcome* pinned) {
  std::string what = e.what();
  if (pinned && !pinned->failure().empty()) {
    // Resending cannot fix this: a person must check the address and the fingerprint.
    throw UplinkError("máy chủ tại " + collector + " không chứng minh được là máy chủ thu thập: "
                          "không gửi gì, kể cả mã đăng ký / the server at " + collector +
                          " did not prove it is the collector: " + pinned->failure() +
                          "; nothing was sent, not even the token (" + what + ")",
                      "ca_mismatch", false);
  }
  // A certificate "not yet valid" or "expired" is most often this machine's clock.
  if (what.find("not yet valid") != std::string::npos || what.find("has expired") != std::string::npos) {
    what += " — kiểm tra đồng hồ của máy này / check this machine's clock (now " +
            util::formatIso8601(util::unixNow()) + ")";
  }
  throw UplinkError(what);
}

net::ClientResponse post(std::shared_ptr<boost::asio::ssl::context> tls,
                         const std::string& collector, const std::string& target,
                         const std::string& body, std::chrono::milliseconds timeout,
                         const net::PinnedOutcome* pinned = nullptr) {
  auto hp = hostPort(collector);
  try {
    return net::postBlocking(std::move(tls), hp.first, hp.second, target, kProtobuf, body, timeout);
  } catch (const net::NetError& e) {
    failNet(e, collector, pinned);
  }
}

posture::v1::ReportAck ackOf(const net::ClientResponse& r, std::uint64_t sequence) {
  if (r.status != 200) failWith(r);
  posture::v1::ReportAck ack;
  if (!ack.ParseFromString(r.body) || ack.sequence() != sequence) {
    throw UplinkError("collector sent an acknowledgement that does not match report " +
                      std::to_string(sequence));
  }
  return ack;
}

// The collector's Date against this machine's clock: certificates are issued from the
// collector's time, so a skew beyond a few minutes makes them "not yet valid" here.
void checkClock(const net::ClientResponse& r) {
  auto server = util::parseHttpDate(r.date);
  if (!server) return;
  std::int64_t skew = util::unixNow() - *server;
  if (skew > kMaxClockSkew || skew < -kMaxClockSkew) {
    std::string minutes = std::to_string((skew < 0 ? -skew : skew) / 60);
    throw UplinkError("đồng hồ của máy này lệch " + minutes + " phút so với máy chủ thu thập (" +
                          util::formatIso8601(util::unixNow()) + " so với " +
                          util::formatIso8601(*server) + "); hãy chỉnh giờ (NTP) rồi đăng ký lại / "
                          "this machine's clock is " + minutes + " minutes off the collector's (" +
                          util::formatIso8601(util::unixNow()) + " here, " +
                          util::formatIso8601(*server) + " there); set the time (NTP) and enrol again",
                      "clock_skew", false);
  }
}
}  // namespace

posture::v1::ReportAck sendReport(const AgentState& state, const posture::v1::Report& report,
                                  std::chrono::milliseconds timeout) {
  return sendReport(state, report.SerializeAsString(), report.sequence(), timeout);
}

posture::v1::ReportAck sendReport(const AgentState& state, const std::string& body,
                                  std::uint64_t sequence, std::chrono::milliseconds timeout) {
  return ackOf(post(agentTls(state), state.collector, "/v1/reports", body, timeout), sequence);
}

struct ReportChannel::Impl {
  boost::asio::io_context io;
  std::string collector;
  std::unique_ptr<net::HttpsClient> client;
};

ReportChannel::ReportChannel(const AgentState& state) : impl_(std::make_unique<Impl>()) {
  auto tls = agentTls(state);
  auto hp = hostPort(state.collector);
  impl_->collector = state.collector;
  impl_->client = std::make_unique<net::HttpsClient>(impl_->io.get_executor(), std::move(tls),
                                                     hp.first, hp.second);
}

ReportChannel::~ReportChannel() {
  impl_->client->close();
}

posture::v1::ReportAck ReportChannel::send(const std::string& body, std::uint64_t sequence,
                                           std::chrono::milliseconds timeout) {
  std::optional<net::ClientResponse> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      impl_->io,
      [&]() -> boost::asio::awaitable<void> {
        result = co_await impl_->client->post("/v1/reports", kProtobuf, body, timeout);
      },
      [&](std::exception_ptr e) { failure = e; });
  impl_->io.restart();
  impl_->io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const net::NetError& e) {
      failNet(e, impl_->collector, nullptr);
    }
  }
  return ackOf(*result, sequence);
}

posture::v1::EnrolResponse sendRenewal(const AgentState& state, const std::string& csrPem,
                                       std::chrono::milliseconds timeout) {
  auto tls = agentTls(state);
  posture::v1::RenewRequest req;
  req.set_csr_pem(csrPem);
  auto r = post(tls, state.collector, "/v1/renew", req.SerializeAsString(), timeout);
  if (r.status != 200) failWith(r);
  posture::v1::EnrolResponse out;
  if (!out.ParseFromString(r.body) || out.certificate_pem().empty()) {
    throw UplinkError("collector sent a renewal answer without a certificate", {}, false);
  }
  return out;
}

posture::v1::EnrolResponse sendEnrolment(const std::string& collector,
                                         const posture::v1::EnrolRequest& request,
                                         const net::EnrolmentTrust& trust,
                                         std::chrono::milliseconds timeout,
                                         std::string* verifiedCaFingerprint) {
  auto outcome = std::make_shared<net::PinnedOutcome>();
  auto tls = net::makePinnedClientContext(trust, outcome);
  // The clock first: a token spent on certificates this machine would then call "not yet
  // valid" helps nobody. The pinned handshake ignores dates, so a skewed clock gets here.
  checkClock(post(tls, collector, "/healthz", "", timeout, outcome.get()));
  auto r = post(tls, collector, "/v1/enrol", request.SerializeAsString(), timeout, outcome.get());
  if (verifiedCaFingerprint) *verifiedCaFingerprint = outcome->caFingerprint();
  if (r.status != 200) failWith(r);
  posture::v1::EnrolResponse out;
  if (!out.ParseFromString(r.body) || out.certificate_pem().empty() ||
      out.ca_certificate_pem().empty()) {
    throw UplinkError("collector sent an enrolment answer without a certificate", {}, false);
  }
  return out;
}

}  // namespace posture::uplink

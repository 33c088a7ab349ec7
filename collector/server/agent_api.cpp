#include "collector/server/agent_api.h"

#include <charconv>

#include "collector/federation/changes.h"
#include "collector/federation/mounts.h"
#include "collector/metrics/instruments.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/util/time.h"
#include "common/util/utf8.h"
#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {
namespace {
constexpr const char* kProtobuf = "application/x-protobuf";

bool isProtobuf(const net::Request& r) {
  auto type = r.message[boost::beast::http::field::content_type];
  return type.starts_with(kProtobuf);
}

net::Response supersededResponse(const std::string& agentId) {
  return errorResponse(403, "certificate_superseded",
                       "this certificate of agent " + agentId +
                           " was replaced by a renewal; use the current one",
                       "chứng thư này của tác tử " + agentId +
                           " đã được thay bằng chứng thư gia hạn; hãy dùng chứng thư hiện hành");
}
}  // namespace

net::Response errorResponse(unsigned status, const std::string& code, const std::string& en,
                            const std::string& vi) {
  posture::v1::ErrorResponse e;
  e.set_code(code);
  e.set_message(en);
  e.set_message_vi(vi);
  return net::Response{status, kProtobuf, e.SerializeAsString()};
}

void AgentRegistry::load(db::Connection& db) {
  auto st = db.prepare(
      "SELECT agent_id, unit_code, revoked_at IS NOT NULL, cert_serial, "
      "coalesce(previous_cert_serial, ''), kind = 'collector' FROM agents");
  std::unordered_map<std::string, Entry> fresh;
  while (st.step()) {
    fresh[st.getText(0)] =
        Entry{st.getText(1), st.getInt(2) != 0, st.getText(3), st.getText(4), st.getInt(5) != 0};
  }
  std::lock_guard lock(mutex_);
  agents_ = std::move(fresh);
}

void AgentRegistry::put(const std::string& agentId, Entry entry) {
  std::lock_guard lock(mutex_);
  agents_[agentId] = std::move(entry);
}

std::optional<AgentRegistry::Entry> AgentRegistry::find(const std::string& agentId) const {
  std::lock_guard lock(mutex_);
  auto it = agents_.find(agentId);
  if (it == agents_.end()) return std::nullopt;
  return it->second;
}

AgentApi::AgentApi(Ingest& ingest, AgentRegistry& registry, crypto::CertificateAuthority ca,
                   int clientCertDays, AgentApiLimits limits)
    : ingest_(ingest),
      registry_(registry),
      ca_(std::move(ca)),
      clientCertDays_(clientCertDays),
      limits_(limits) {}

namespace {
// Agents ignore these; they are for whatever else opens the port. Browsers (someone
// checking /healthz) keep to HTTPS and never sniff an error body into a script, and a
// TLS-terminating proxy never caches an answer carrying a certificate or an ack.
net::Response withSecurityHeaders(net::Response response) {
  response.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}
}  // namespace

namespace {
// The cause of a refusal by authorise(), from its status: 401 no certificate, 415 the
// content type; a 403 is an unknown, revoked or superseded agent, told apart by the registry.
metrics::Refusal refusalCause(unsigned status, const net::Request& request,
                              const AgentRegistry& registry) {
  if (status == 401) return metrics::Refusal::CertificateRequired;
  if (status == 415) return metrics::Refusal::BadContentType;
  auto agent = registry.find(request.peerCommonName);
  if (!agent) return metrics::Refusal::UnknownAgent;
  return agent->revoked ? metrics::Refusal::Revoked : metrics::Refusal::Superseded;
}
}  // namespace

net::Admission AgentApi::admit(const net::Request& request) const {
  net::Admission a = admitRoute(request);
  if (auto* refusal = std::get_if<net::Response>(&a)) return withSecurityHeaders(std::move(*refusal));
  return a;
}

net::Admission AgentApi::admitRoute(const net::Request& request) const {
  auto target = request.message.target();
  bool post = request.message.method() == boost::beast::http::verb::post;
  if (post && target == "/v1/reports") {
    auto& m = metrics::instruments();
    m.reportsReceived.inc();
    auto auth = authorise(request, "reports need the client certificate issued at enrolment",
                          "gửi báo cáo cần chứng thư máy khách được cấp khi đăng ký");
    if (auto* refused = std::get_if<net::Response>(&auth)) {
      m.refuse(refusalCause(refused->status, request, registry_));
      return std::move(*refused);
    }
    if (std::get<AgentRegistry::Entry>(auth).collector) {
      m.refuse(metrics::Refusal::CollectorIdentity);
      return collectorSendsNoReports(request);
    }
    // The server refuses a larger body after this (413); counted here, where the cause is known.
    if (auto length = request.message.find(boost::beast::http::field::content_length);
        length != request.message.end()) {
      std::uint64_t n = 0;
      auto v = length->value();
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec == std::errc() && n > limits_.maxReportBytes) m.refuse(metrics::Refusal::TooLarge);
    }
    return limits_.maxReportBytes;
  }
  if (post && target == "/v1/renew") {
    auto auth = authorise(request, "renewal needs the client certificate issued at enrolment",
                          "gia hạn chứng thư cần chứng thư máy khách được cấp khi đăng ký");
    if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
    return limits_.maxEnrolBytes;
  }
  if (post && target == "/v1/enrol") return limits_.maxEnrolBytes;
  if (post && target == kPushRoute) {
    auto auth = authorise(request, "a push needs the certificate a child collector got at enrolment",
                          "đẩy số liệu cần chứng thư máy chủ thu thập cấp dưới được cấp khi đăng ký");
    if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
    if (!std::get<AgentRegistry::Entry>(auth).collector) return agentPushesNothing(request);
    return federation::kMaxPushBytes;
  }
  if (target == "/healthz") return std::size_t{0};
  // Unknown routes are answered without reading whatever body they carry.
  return errorResponse(404, "not_found", "no such endpoint: " + std::string(target.substr(0, 200)),
                       "không có điểm cuối API: " + std::string(target.substr(0, 200)));
}

boost::asio::awaitable<net::Response> AgentApi::handle(net::Request& request) {
  net::Response response = co_await route(request);
  co_return withSecurityHeaders(std::move(response));
}

boost::asio::awaitable<net::Response> AgentApi::route(net::Request& request) {
  auto target = request.message.target();
  bool post = request.message.method() == boost::beast::http::verb::post;
  if (target == "/v1/reports" && post) co_return co_await report(request);
  if (target == "/v1/enrol" && post) co_return co_await enrol(request);
  if (target == "/v1/renew" && post) co_return co_await renew(request);
  if (target == kPushRoute && post) co_return co_await push(request);
  if (target == "/healthz") co_return net::Response{200, "text/plain; charset=utf-8", "ok\n"};
  co_return errorResponse(404, "not_found", "no such endpoint: " + std::string(target),
                          "không có điểm cuối API: " + std::string(target));
}

boost::asio::awaitable<net::Response> AgentApi::enrol(net::Request& request) {
  if (!isProtobuf(request)) {
    co_return errorResponse(415, "bad_content_type", "expected application/x-protobuf",
                            "cần nội dung application/x-protobuf");
  }
  posture::v1::EnrolRequest req;
  if (!req.ParseFromString(request.message.body())) {
    co_return errorResponse(400, "malformed_request", "the body is not a posture.v1.EnrolRequest",
                            "nội dung không phải posture.v1.EnrolRequest");
  }
  if (req.token().empty() || req.token().size() > 256) {
    co_return errorResponse(400, "token_missing", "no enrolment token in the request",
                            "yêu cầu không có mã đăng ký");
  }
  if (req.csr_pem().empty() || req.csr_pem().size() > 16384) {
    co_return errorResponse(400, "csr_invalid", "no certificate signing request (CSR)",
                            "thiếu yêu cầu cấp chứng thư (CSR)");
  }
  std::string hostname = util::cutUtf8(req.hostname(), 255);

  auto response = std::make_shared<net::Response>();
  auto agent = std::make_shared<AgentRecord>();
  Ingest::Job job = [&, response, agent](db::Connection& db) {
    std::int64_t now = util::unixNow();
    TokenInfo token;
    switch (consumeToken(db, req.token(), now, token)) {
      case TokenCheck::Unknown:
        *response = errorResponse(401, "token_unknown", "the enrolment token is not known",
                                  "mã đăng ký không tồn tại");
        return;
      case TokenCheck::Expired:
        *response = errorResponse(401, "token_expired",
                                  "the enrolment token expired at " +
                                      util::formatIso8601(token.expiresAt),
                                  "mã đăng ký đã hết hạn lúc " +
                                      util::formatRfc3339Vietnam(token.expiresAt));
        return;
      case TokenCheck::Revoked:
        *response = errorResponse(401, "token_revoked", "the enrolment token was revoked",
                                  "mã đăng ký đã bị thu hồi");
        return;
      case TokenCheck::UsedUp:
        *response = errorResponse(401, "token_used", "the enrolment token was already used",
                                  "mã đăng ký đã được sử dụng");
        return;
      case TokenCheck::Ok:
        break;
    }
    agent->agentId = crypto::randomHex(16);
    agent->unitCode = token.unitCode;
    agent->hostname = hostname;
    agent->enrolledAt = now;
    agent->kind = token.kind;
    std::string cert;
    try {
      cert = crypto::issueClientCertificate(
          ca_, {req.csr_pem(), agent->agentId, token.unitCode, clientCertDays_});
    } catch (const crypto::CryptoError& e) {
      // Throwing rolls back the token use: a bad CSR does not burn the token.
      throw std::invalid_argument(e.what());
    }
    auto info = crypto::inspectCertificate(cert);
    agent->certSerial = info.serialHex;
    agent->certNotAfter = info.notAfter;
    insertAgent(db, *agent);
    // A child collector is mounted at the token's unit in the same transaction.
    if (agent->kind == IdentityKind::Collector)
      federation::registerChild(db, agent->agentId, agent->unitCode, now);
    posture::v1::EnrolResponse out;
    out.set_agent_id(agent->agentId);
    out.set_unit_code(token.unitCode);
    out.set_certificate_pem(cert);
    out.set_ca_certificate_pem(ca_.certPem);
    *response = net::Response{200, kProtobuf, out.SerializeAsString()};
  };
  Ingest::JobOutcome outcome = co_await ingest_.run(std::move(job));
  std::exception_ptr failure = outcome.error;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::invalid_argument& e) {
      co_return errorResponse(400, "csr_invalid",
                              std::string("the certificate signing request was refused: ") + e.what(),
                              std::string("yêu cầu cấp chứng thư bị từ chối: ") + e.what());
    } catch (const std::exception& e) {
      log::error("enrolment failed: ", e.what());
      co_return errorResponse(503, "storage_unavailable", "the collector could not store the enrolment",
                              "máy chủ thu thập không lưu được đăng ký");
    }
  }
  if (response->status == 200) {
    bool child = agent->kind == IdentityKind::Collector;
    registry_.put(agent->agentId, {agent->unitCode, false, agent->certSerial, "", child});
    log::info(child ? "enrolled child collector " : "enrolled agent ", agent->agentId, " (", hostname,
              child ? ") mounted at unit " : ") in unit ", agent->unitCode, " from ", request.remote);
  } else if (std::uint64_t suppressed = 0; refusedLines_.allow(request.source, &suppressed)) {
    log::info("enrolment refused from ", request.remote, " (", hostname, "): ",
              response->status, suppressed ? " (" + std::to_string(suppressed) +
                                                 " refusal(s) from this source not shown)"
                                           : std::string());
  }
  co_return std::move(*response);
}

net::Response AgentApi::collectorSendsNoReports(const net::Request& request) {
  return errorResponse(403, "collector_identity",
                       request.peerCommonName + " is a child collector's identity: it pushes its "
                           "units' figures upstream and sends no reports",
                       request.peerCommonName + " là định danh của máy chủ thu thập cấp dưới: nó "
                           "đẩy số liệu lên cấp trên, không gửi báo cáo");
}

std::variant<AgentRegistry::Entry, net::Response> AgentApi::authorise(
    const net::Request& request, const std::string& needEn, const std::string& needVi) const {
  if (!request.peerVerified || request.peerCommonName.empty()) {
    return errorResponse(401, "certificate_required", needEn, needVi);
  }
  auto agent = registry_.find(request.peerCommonName);
  if (!agent) {
    return errorResponse(403, "agent_unknown",
                         "agent " + request.peerCommonName + " is not enrolled here",
                         "tác tử " + request.peerCommonName + " chưa đăng ký tại đây");
  }
  if (agent->revoked) {
    return errorResponse(403, "agent_revoked",
                         "agent " + request.peerCommonName + " has been revoked",
                         "tác tử " + request.peerCommonName + " đã bị thu hồi");
  }
  if (checkCertificate(request.peerSerial, agent->certSerial, agent->previousCertSerial) ==
      CertificateCheck::Superseded) {
    return supersededResponse(request.peerCommonName);
  }
  if (!isProtobuf(request)) {
    return errorResponse(415, "bad_content_type", "expected application/x-protobuf",
                         "cần nội dung application/x-protobuf");
  }
  return *agent;
}

boost::asio::awaitable<net::Response> AgentApi::renew(net::Request& request) {
  auto auth = authorise(request, "renewal needs the client certificate issued at enrolment",
                        "gia hạn chứng thư cần chứng thư máy khách được cấp khi đăng ký");
  if (auto* refused = std::get_if<net::Response>(&auth)) co_return std::move(*refused);
  const auto& known = std::get<AgentRegistry::Entry>(auth);
  posture::v1::RenewRequest req;
  if (!req.ParseFromString(request.message.body()) || req.csr_pem().empty() ||
      req.csr_pem().size() > 16384) {
    co_return errorResponse(400, "csr_invalid", "the body is not a posture.v1.RenewRequest with a CSR",
                            "nội dung không phải posture.v1.RenewRequest có CSR");
  }
  std::string agentId = request.peerCommonName;
  std::string unit = known.unitCode;
  std::string cert;
  try {
    cert = crypto::issueClientCertificate(ca_, {req.csr_pem(), agentId, unit, clientCertDays_});
  } catch (const crypto::CryptoError& e) {
    co_return errorResponse(400, "csr_invalid",
                            std::string("the certificate signing request was refused: ") + e.what(),
                            std::string("yêu cầu cấp chứng thư bị từ chối: ") + e.what());
  }
  auto info = crypto::inspectCertificate(cert);
  // Decided in the writer's transaction: the presented certificate must still be the
  // agent's current one (then it becomes the previous one), or the previous one while the
  // renewed certificate was never used (the renewal's answer was lost: that unused
  // certificate is replaced). Anything else was superseded.
  auto refusal = std::make_shared<std::optional<net::Response>>();
  auto entry = std::make_shared<AgentRegistry::Entry>();
  std::string presented = request.peerSerial;
  Ingest::Job job = [agentId, info, presented, refusal, entry](db::Connection& db) {
    auto a = findAgent(db, agentId);
    if (!a || a->revokedAt) {
      *refusal = errorResponse(403, "agent_revoked", "agent " + agentId + " has been revoked",
                               "tác tử " + agentId + " đã bị thu hồi");
      return;
    }
    std::string previous;
    switch (checkCertificate(presented, a->certSerial, a->previousCertSerial)) {
      case CertificateCheck::Current:
        previous = a->certSerial;
        break;
      case CertificateCheck::Previous:
        previous = a->previousCertSerial;
        break;
      case CertificateCheck::Superseded:
        *refusal = supersededResponse(agentId);
        return;
    }
    db.prepare("UPDATE agents SET cert_serial = ?, cert_not_after = ?, previous_cert_serial = ? "
               "WHERE agent_id = ?")
        .bind(1, info.serialHex)
        .bind(2, info.notAfter)
        .bind(3, previous)
        .bind(4, agentId)
        .run();
    *entry = AgentRegistry::Entry{a->unitCode, false, info.serialHex, previous,
                                  a->kind == IdentityKind::Collector};
  };
  Ingest::JobOutcome outcome = co_await ingest_.run(std::move(job));
  if (outcome.error) {
    co_return errorResponse(503, "storage_unavailable", "the collector could not store the renewal",
                            "máy chủ thu thập không lưu được việc gia hạn");
  }
  if (*refusal) co_return std::move(**refusal);
  registry_.put(agentId, *entry);
  log::info(entry->collector ? "renewed the certificate of child collector " : "renewed the certificate of agent ", agentId, " until ", util::formatIso8601(info.notAfter));
  posture::v1::EnrolResponse out;
  out.set_agent_id(agentId);
  out.set_unit_code(unit);
  out.set_certificate_pem(cert);
  out.set_ca_certificate_pem(ca_.certPem);
  co_return net::Response{200, kProtobuf, out.SerializeAsString()};
}

boost::asio::awaitable<net::Response> AgentApi::report(net::Request& request) {
  auto& m = metrics::instruments();
  auto auth = authorise(request, "reports need the client certificate issued at enrolment",
                        "gửi báo cáo cần chứng thư máy khách được cấp khi đăng ký");
  if (auto* refused = std::get_if<net::Response>(&auth)) {
    m.refuse(refusalCause(refused->status, request, registry_));
    co_return std::move(*refused);
  }
  const auto& agent = std::get<AgentRegistry::Entry>(auth);
  if (agent.collector) {
    m.refuse(metrics::Refusal::CollectorIdentity);
    co_return collectorSendsNoReports(request);
  }
  posture::v1::Report report;
  if (!report.ParseFromString(request.message.body())) {
    m.refuse(metrics::Refusal::Malformed);
    co_return errorResponse(400, "malformed_report", "the body is not a posture.v1.Report",
                            "nội dung không phải báo cáo posture.v1.Report");
  }
  if (report.sequence() == 0) {
    m.refuse(metrics::Refusal::Malformed);
    co_return errorResponse(400, "sequence_missing", "the report has no sequence number",
                            "báo cáo thiếu số thứ tự");
  }
  const std::string& claimed = report.identity().agent_id();
  if (!claimed.empty() && claimed != request.peerCommonName) {
    m.refuse(metrics::Refusal::Malformed);
    co_return errorResponse(400, "agent_mismatch",
                            "the report names agent " + claimed.substr(0, 64) +
                                " but the certificate is agent " + request.peerCommonName,
                            "báo cáo ghi tác tử " + claimed.substr(0, 64) +
                                " nhưng chứng thư là của tác tử " + request.peerCommonName);
  }

  ReportRecord record;
  record.agentId = request.peerCommonName;
  record.unitCode = agent.unitCode;  // the certificate's unit, not the report's claim
  record.hostname = util::cutUtf8(report.identity().hostname(), 255);
  record.sequence = report.sequence();
  record.collectedAt = report.collected_at().seconds();
  record.certSerial = request.peerSerial;
  if (claimed.empty() || report.identity().unit_code() != agent.unitCode) {
    report.mutable_identity()->set_agent_id(record.agentId);
    report.mutable_identity()->set_unit_code(record.unitCode);
    record.body = report.SerializeAsString();
  } else {
    record.body = std::move(request.message.body());
  }
  const std::uint64_t sequence = record.sequence;
  // Decoded once: the evaluation after the commit reads this, not the body again.
  record.decoded = std::make_shared<const posture::v1::Report>(std::move(report));

  auto pending = ingest_.store(std::move(record));
  IngestOutcome outcome = co_await std::move(pending);
  if (!outcome.ok) {
    m.refuse(outcome.overloaded ? metrics::Refusal::Overloaded : metrics::Refusal::StorageError);
    co_return errorResponse(503, "storage_unavailable", outcome.error,
                            "máy chủ thu thập tạm thời không lưu được báo cáo: " + outcome.error);
  }
  const std::string& id = request.peerCommonName;
  switch (outcome.refusal) {
    case IngestOutcome::Refusal::None:
      break;
    case IngestOutcome::Refusal::UnknownAgent:
      m.refuse(metrics::Refusal::UnknownAgent);
      co_return errorResponse(403, "agent_unknown", "agent " + id + " is not enrolled here",
                              "tác tử " + id + " chưa đăng ký tại đây");
    case IngestOutcome::Refusal::Revoked: {
      m.refuse(metrics::Refusal::Revoked);
      auto entry = registry_.find(id);
      if (entry) {
        entry->revoked = true;
        registry_.put(id, *entry);
      }
      co_return errorResponse(403, "agent_revoked", "agent " + id + " has been revoked",
                              "tác tử " + id + " đã bị thu hồi");
    }
    case IngestOutcome::Refusal::Superseded:
      m.refuse(metrics::Refusal::Superseded);
      co_return supersededResponse(id);
    case IngestOutcome::Refusal::SequenceConflict: {
      m.refuse(metrics::Refusal::SequenceConflict);
      auto r = errorResponse(
          409, "sequence_conflict",
          "report " + std::to_string(sequence) + " of agent " + id +
              " is already stored with other content (was the agent's spool lost?); the "
              "highest stored sequence is " + std::to_string(outcome.lastSequence) +
              ": number the reports after it and send them again",
          "báo cáo số " + std::to_string(sequence) + " của tác tử " + id +
              " đã được lưu với nội dung khác (hàng đợi của tác tử bị mất?); số thứ tự lớn "
              "nhất đã lưu là " + std::to_string(outcome.lastSequence) +
              ": hãy đánh số các báo cáo sau số đó rồi gửi lại");
      posture::v1::ErrorResponse e;
      e.ParseFromString(r.body);
      e.set_last_sequence(outcome.lastSequence);
      r.body = e.SerializeAsString();
      co_return r;
    }
  }
  if (auto entry = registry_.find(id);
      entry && !entry->previousCertSerial.empty() && entry->certSerial == request.peerSerial) {
    entry->previousCertSerial.clear();  // the writer retired it with this report
    registry_.put(id, *entry);
  }
  (outcome.duplicate ? m.reportsDuplicate : m.reportsAcknowledged).inc();
  posture::v1::ReportAck ack;
  ack.set_agent_id(request.peerCommonName);
  ack.set_sequence(sequence);
  ack.set_duplicate(outcome.duplicate);
  ack.mutable_committed_at()->set_seconds(outcome.committedAt);
  co_return net::Response{200, kProtobuf, ack.SerializeAsString()};
}

}  // namespace posture::collector

// POST /v1/federation/push: a child collector's push (issue 16). The route admits it only
// with the verified certificate of a child collector that is enrolled here and not revoked
// (admitRoute), before the body is read; the writer applies it in one transaction
// (federation/mounts.h: exactly once, refusals leave everything as it was), and the answer
// is the FederationAck of what was committed.
#include "collector/server/agent_api.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/util/time.h"
#include "posture/v1/federation.pb.h"

namespace posture::collector {
namespace {
constexpr const char* kProtobuf = "application/x-protobuf";

// The HTTP status of a refusal carried in an ack: the district reads the ack either way.
unsigned statusOf(const v1::FederationAck& ack) {
  const std::string& c = ack.error_code();
  if (c.empty()) return 200;
  if (c == "unknown_child" || c == "child_revoked") return 403;
  if (c == "sequence_gap") return 409;
  if (c == "push_too_large") return 413;
  return 400;
}
}  // namespace

net::Response AgentApi::agentPushesNothing(const net::Request& request) {
  return errorResponse(403, "not_a_collector",
                       request.peerCommonName + " is an agent: only a child collector pushes here",
                       request.peerCommonName + " là tác tử: chỉ máy chủ thu thập cấp dưới mới đẩy số liệu lên đây");
}

boost::asio::awaitable<net::Response> AgentApi::push(net::Request& request) {
  auto auth = authorise(request, "a push needs the certificate a child collector got at enrolment",
                        "đẩy số liệu cần chứng thư máy chủ thu thập cấp dưới được cấp khi đăng ký");
  if (auto* refused = std::get_if<net::Response>(&auth)) co_return std::move(*refused);
  if (!std::get<AgentRegistry::Entry>(auth).collector) co_return agentPushesNothing(request);
  std::string child = request.peerCommonName, serial = request.peerSerial;
  auto ack = std::make_shared<v1::FederationAck>();
  Ingest::Job job = [&, ack](db::Connection& db) {
    federation::ApplyEffects effects;
    std::int64_t now = util::unixNow();
    *ack = federation::applyPushBytes(db, child, federation::ownUnitCodes(db), request.message.body(), now, &effects);
    if (!ack->error_code().empty()) return;
    // The first push with a renewed certificate retires the previous one, as a report does.
    db.prepare("UPDATE agents SET previous_cert_serial = NULL WHERE agent_id = ? AND cert_serial = ?")
        .bind(1, child)
        .bind(2, serial)
        .run();
    if (effects.tree) {
      // The tree moved: the next tick evaluates everything.
      announceChange(db, Change::Organization);
    } else if ((effects.organization || !effects.endpoints.empty()) && onPushed) {
      // Rows moved one by one, in the push's transaction (a failure sends it again).
      onPushed(db, child, effects.endpoints, effects.organization, now);
    }
  };
  Ingest::JobOutcome outcome = co_await ingest_.run(std::move(job));
  if (outcome.error) {
    try {
      std::rethrow_exception(outcome.error);
    } catch (const std::exception& e) {
      log::error("push from child collector ", child, " not stored: ", e.what());
    }
    // Nothing was committed: the child keeps its outbox and sends again.
    co_return errorResponse(503, "storage_unavailable", "the province could not store the push",
                            "máy chủ cấp trên không lưu được số liệu");
  }
  if (!ack->error_code().empty()) {
    log::warn("push from child collector ", child, " refused: ", ack->error_code(), ": ",
                 ack->message_en());
  } else if (auto entry = registry_.find(child);
             entry && !entry->previousCertSerial.empty() && entry->certSerial == serial) {
    entry->previousCertSerial.clear();
    registry_.put(child, *entry);
  }
  co_return net::Response{statusOf(*ack), kProtobuf, ack->SerializeAsString()};
}

}  // namespace posture::collector

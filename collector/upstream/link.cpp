#include "collector/upstream/link.h"

#include "collector/federation/outbox.h"
#include "collector/storage/storage.h"
#include "collector/upstream/picture.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/uplink/enrol.h"
#include "common/uplink/state.h"
#include "common/util/time.h"
#include "posture/v1/federation.pb.h"

namespace posture::collector::upstream {

std::filesystem::path upstreamStateDir(const std::filesystem::path& dataDir) { return dataDir / "upstream"; }

std::string ensureEnrolled(const LinkOptions& o) {
  auto dir = upstreamStateDir(o.dataDir);
  if (uplink::isEnrolled(dir)) {
    auto state = uplink::loadState(dir);
    if (state.collector != o.upstream) {
      log::warn("upstream: enrolled with ", state.collector, ", now given ", o.upstream,
                "; pushing to ", o.upstream, " with the same credentials");
    }
    return state.unitCode;
  }
  if (o.token.empty()) {
    throw std::runtime_error(
        "chưa đăng ký với máy chủ cấp trên " + o.upstream + ": cần --upstream-token (do "
        "`posture-collector token create --collector` ở cấp trên in ra) / not enrolled with the "
        "upstream collector " + o.upstream + ": --upstream-token is needed (as `posture-collector "
        "token create --collector` prints it there)");
  }
  if (o.caFingerprint.empty()) {
    throw std::runtime_error(
        "cần --upstream-ca-fingerprint để xác minh máy chủ cấp trên trước khi gửi mã đăng ký / "
        "--upstream-ca-fingerprint is needed to verify the upstream collector before the token "
        "is sent");
  }
  uplink::EnrolOptions e;
  e.collector = o.upstream;
  e.token = o.token;
  e.stateDir = dir;
  e.caFingerprint = o.caFingerprint;
  e.timeout = o.timeout;
  uplink::ensureStateDir(dir);
  auto state = uplink::enrol(e);  // UplinkError is a runtime_error naming the cause
  log::info("upstream: enrolled with ", o.upstream, " as child collector ", state.agentId,
            ", mounted at unit ", state.unitCode);
  return state.unitCode;
}

UpstreamLink::UpstreamLink(LinkOptions options) : options_(std::move(options)) {}

UpstreamLink::~UpstreamLink() { stop(); }

RoundResult UpstreamLink::runRound() {
  RoundResult r;
  auto started = std::chrono::steady_clock::now();
  try {
    auto state = uplink::loadState(upstreamStateDir(options_.dataDir));
    auto db = openDatabase(options_.dataDir);
    std::int64_t now = util::unixNow();
    PictureOptions po;
    po.mountUnit = state.unitCode;
    po.staleAfterSeconds = options_.staleAfterSeconds;
    po.summary = options_.summary;
    auto picture = buildPicture(*db, options_.policies(), po, now);
    auto staged = federation::stage(*db, picture.rows);
    r.staged = staged.staged;
    for (const auto& [key, problem] : staged.refused) {
      log::warn("upstream: not sent, the province would refuse it: ", key, ": ", problem.en);
    }
    auto tls = net::makeClientContext(state.caPem, state.certPem, state.keyPem);
    auto [host, port] = net::splitHostPort(options_.upstream);
    // Until the outbox is empty; bounded, so a province that keeps asking for snapshots
    // cannot hold the thread.
    for (int pushes = 0; pushes < 1000; ++pushes) {
      federation::PushOptions p;
      p.detail = options_.summary ? "summary" : "endpoints";
      p.intervalSeconds = static_cast<std::uint32_t>(options_.every.count());
      p.now = util::unixNow();
      auto push = federation::nextPush(*db, p);
      if (!push) break;
      std::string body = push->SerializeAsString();
      r.bytes += body.size();
      auto res = net::postBlocking(tls, host, port, "/v1/federation/push", "application/x-protobuf",
                                   body, options_.timeout);
      v1::FederationAck ack;
      if (!res.contentType.starts_with("application/x-protobuf") || !ack.ParseFromString(res.body) ||
          (res.status != 200 && ack.error_code().empty() && !ack.snapshot_required())) {
        r.error = "the province answered HTTP " + std::to_string(res.status) + ": " +
                  res.body.substr(0, 200);
        break;
      }
      auto outcome = federation::acknowledge(*db, ack);
      r.pushed += static_cast<std::size_t>(push->changes_size());
      if (outcome == federation::AckOutcome::Refused) {
        r.error = ack.error_code() + ": " + ack.message_en();
        break;
      }
      if (outcome == federation::AckOutcome::NewEpoch) {
        // The province needs a snapshot: the whole picture again, as a new epoch.
        federation::stage(*db, buildPicture(*db, options_.policies(), po, util::unixNow()).rows);
        continue;
      }
      if (push->changes_size() == 0) break;  // a heartbeat: nothing was queued
    }
    r.queued = federation::upstreamState(*db).queued;
    r.ok = r.error.empty();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  r.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return r;
}

void UpstreamLink::start() {
  thread_ = std::thread([this] {
    bool wasOk = true;
    for (;;) {
      auto r = runRound();
      if (!r.ok) {
        log::warn("upstream ", options_.upstream, ": push failed, kept for the next round: ", r.error);
      } else if (!wasOk || r.staged > 0) {
        log::info("upstream ", options_.upstream, ": ", r.staged, " change(s) staged, ", r.pushed,
                  " pushed in ", r.bytes, " bytes, ", r.queued, " queued; round ",
                  static_cast<long long>(r.milliseconds), " ms");
      }
      wasOk = r.ok;
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, options_.every, [this] { return stopping_; })) return;
    }
  });
}

void UpstreamLink::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace posture::collector::upstream

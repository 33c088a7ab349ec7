#include "collector/upstream/link.h"

#include <optional>

#include "collector/federation/outbox.h"
#include "collector/storage/storage.h"
#include "collector/upstream/picture.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/uplink/enrol.h"
#include "common/uplink/renew.h"
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

namespace {
// The round as layer 4 reads it (org::loadLinks): the last push the upstream committed.
void recordRound(db::Connection& db, const LinkOptions& o, const uplink::AgentState& state,
                 std::optional<std::int64_t> ackedAt, std::int64_t attemptAt, const std::string& error) {
  auto st = db.prepare(
        "INSERT INTO upstream_link(id, upstream, identity, mount_unit, interval_seconds, "
        "last_ack_at, last_attempt_at, last_error) VALUES (1, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET upstream = excluded.upstream, identity = excluded.identity, "
        "mount_unit = excluded.mount_unit, interval_seconds = excluded.interval_seconds, "
        "last_ack_at = coalesce(excluded.last_ack_at, last_ack_at), "
        "last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error");
  st.bind(1, o.upstream)
      .bind(2, state.agentId)
      .bind(3, state.unitCode)
      .bind(4, static_cast<std::int64_t>(o.every.count()))
      .bind(6, attemptAt)
      .bind(7, error.substr(0, 500));
  if (ackedAt) st.bind(5, *ackedAt);
  else st.bindNull(5);
  st.run();
}
}  // namespace

RoundResult UpstreamLink::runRound() {
  RoundResult r;
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<db::Connection> db;
  std::optional<uplink::AgentState> enrolled;
  std::optional<std::int64_t> ackedAt;
  std::int64_t attemptAt = util::unixNow();
  try {
    auto state = uplink::loadState(upstreamStateDir(options_.dataDir));
    try {
      // The certificate the province issued, renewed the way an agent's is (new key here,
      // CSR over mTLS with the current one) before it runs out.
      if (uplink::renewIfDue(state, options_.renewBefore, options_.timeout)) {
        log::info("upstream: certificate renewed with ", options_.upstream);
      }
    } catch (const std::exception& e) {
      log::warn("upstream: certificate renewal failed, tried again next round: ", e.what());
    }
    enrolled = state;
    db = openDatabase(options_.dataDir);
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
      if (outcome == federation::AckOutcome::Committed) ackedAt = util::unixNow();
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
  if (db && enrolled) {
    try {
      recordRound(*db, options_, *enrolled, ackedAt, attemptAt, r.error);
    } catch (const std::exception& e) {
      log::warn("upstream: cannot record the round (layer 4 reads it): ", e.what());
    }
  }
  r.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  linkUp_.store(r.ok);
  if (ackedAt) lastAckAt_.store(*ackedAt);
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

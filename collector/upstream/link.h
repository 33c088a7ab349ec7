#pragma once
// A district's link to its province (issue 16): `serve --upstream HOST:PORT
// --upstream-token T --upstream-ca-fingerprint FP [--upstream-every 1m]
// [--upstream-detail endpoints|summary]`.
//
// On first start the district enrols the way an agent does (common/uplink/enrol.h): its key
// is made here, only a CSR goes out with the token, over a handshake that verified the
// province against the pinned CA; nothing is sent before that. The credentials stay in
// DATA_DIR/upstream/, and the token is not needed again. Then, every interval, a round:
// the picture (picture.h) is staged into the durable outbox (federation/outbox.h) and the
// outbox pushed over mTLS until it is empty; each ack is recorded only after the province
// committed. A round that fails (the province down, a refusal) leaves the outbox as it
// was, and the next round sends it again.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collector/policy/policy.h"

namespace posture::collector::upstream {

struct LinkOptions {
  std::string upstream;       // HOST:PORT of the province's agent listener
  std::string token;          // `token create --collector` at the province; first start only
  std::string caFingerprint;  // SHA-256 of the province's CA, as `token create` prints it
  std::filesystem::path dataDir;
  std::chrono::seconds every{60};
  bool summary = false;
  std::int64_t staleAfterSeconds = 7 * 86400;
  std::chrono::milliseconds timeout{30000};
  // The certificate is renewed at the start of a round when it expires within this.
  std::chrono::seconds renewBefore = std::chrono::days{30};
  std::function<std::shared_ptr<const std::vector<policy::Policy>>()> policies;
};

// DATA_DIR/upstream: the district's key, certificate and the province's CA.
std::filesystem::path upstreamStateDir(const std::filesystem::path& dataDir);

// Enrols with the province unless already enrolled there; returns the unit this collector
// is mounted at. Throws std::runtime_error naming the cause (no token, bad fingerprint, a
// server that is not the province, a refused token).
std::string ensureEnrolled(const LinkOptions& options);

struct RoundResult {
  bool ok = false;
  std::size_t staged = 0, pushed = 0, queued = 0;
  std::size_t bytes = 0;  // of the pushes' bodies
  double milliseconds = 0;  // the whole round: picture, stage, pushes
  std::string error;  // why the round stopped early
};

class UpstreamLink {
 public:
  explicit UpstreamLink(LinkOptions options);
  ~UpstreamLink();
  // One round now, on the caller's thread (tests; the loop runs the same).
  RoundResult runRound();
  void start();  // a round now, then one every interval, on a thread of its own
  void stop();   // waits for the round in progress (bounded by its timeouts)
  // For the metrics, any thread: whether the last round succeeded, and the Unix time of
  // the last push the province acknowledged (0: none since the start).
  bool linkUp() const { return linkUp_.load(); }
  std::int64_t lastAckAt() const { return lastAckAt_.load(); }

 private:
  LinkOptions options_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> linkUp_{false};
  std::atomic<std::int64_t> lastAckAt_{0};
};

}  // namespace posture::collector::upstream

#pragma once
// The console's work off the request path (collector/console/README.md), on its own thread
// and database connection, every `every`:
//   * expired sessions are purged (auth::purgeExpiredSessions: one audit row per user, with
//     a count and nothing else), so a session nobody presents again does not stay forever;
//   * failed-login windows that closed are written to the audit log (auth::Logins::flushAudit).
// stop() runs one last pass that writes every open window, so a clean shutdown loses no
// count. A pass that fails (database busy) is logged and retried at the next one.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "collector/auth/login.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

inline constexpr std::chrono::seconds kHousekeepingEvery{30};

class Housekeeping {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix seconds; tests inject their own
  Housekeeping(std::filesystem::path dataDir, auth::Logins& logins,
               std::chrono::milliseconds every = kHousekeepingEvery, Clock clock = {});
  ~Housekeeping();  // stop()
  void stop();

  struct Pass {
    int sessionsPurged = 0;
    std::size_t auditRows = 0;
  };
  // One pass now, on the caller's connection (what the thread does each time).
  Pass runOnce(db::Connection& db, bool final = false);
  std::uint64_t passes() const;  // passes the thread completed

 private:
  void loop();

  std::filesystem::path dataDir_;
  auth::Logins& logins_;
  std::chrono::milliseconds every_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t passes_ = 0;
  std::thread thread_;
};

}  // namespace posture::collector::console

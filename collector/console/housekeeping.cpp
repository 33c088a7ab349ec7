#include "collector/console/housekeeping.h"

#include "collector/auth/sessions.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::collector::console {

Housekeeping::Housekeeping(std::filesystem::path dataDir, auth::Logins& logins,
                           std::chrono::milliseconds every, Clock clock)
    : dataDir_(std::move(dataDir)),
      logins_(logins),
      every_(every),
      clock_(clock ? std::move(clock) : Clock(util::unixNow)),
      thread_([this] { loop(); }) {}

Housekeeping::~Housekeeping() { stop(); }

Housekeeping::Pass Housekeeping::runOnce(db::Connection& db, bool final) {
  std::int64_t now = clock_();
  Pass pass;
  pass.sessionsPurged = auth::purgeExpiredSessions(db, now);
  pass.auditRows = logins_.flushAudit(db, now, final);
  if (pass.sessionsPurged)
    log::info("console: ", pass.sessionsPurged, " expired session(s) purged");
  return pass;
}

std::uint64_t Housekeeping::passes() const {
  std::lock_guard lock(mutex_);
  return passes_;
}

void Housekeeping::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::loop() {
  std::unique_ptr<db::Connection> db;
  for (bool final = false; !final;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, every_, [&] { return stopping_; });
      final = stopping_;
    }
    // The last pass is the last chance for the open failed-login counts: tried three times.
    for (int attempt = 1; attempt <= (final ? 3 : 1); ++attempt) {
      try {
        if (!db) db = openDatabase(dataDir_);
        runOnce(*db, final);
        break;
      } catch (const std::exception& e) {
        log::error("console housekeeping failed", final ? "" : " (retried at the next pass)", ": ",
                   e.what());
        db.reset();
      }
    }
    std::lock_guard lock(mutex_);
    ++passes_;
  }
  if (logins_.failures().open() > 0) {
    log::error("console: ", logins_.failures().open(),
               " failed-login count(s) could not be audited at shutdown");
  }
  auto stats = logins_.budgetStats();
  log::info("console logins: at most ", stats.peakRunning, " Argon2 hash(es) ran at once; ",
            stats.refused, " attempt(s) refused by the budget");
}

}  // namespace posture::collector::console

#pragma once
// What the metrics listener (serve --metrics-listen) reads besides the counters that ingest
// and the agent API bump: figures the live evaluation keeps (endpoints, stale), a few
// counts from the database on a read connection of their own, at most every few seconds
// (open alerts by severity, the delivery backlog), file sizes, and the readiness check.
// A scrape never waits for the writer and never reads the reports table.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace posture::collector {

// Open (not resolved) alerts by severity and the notices not yet handed to delivery,
// read on a read-only connection and kept for `maxAge`.
class StoredFigures {
 public:
  StoredFigures(std::filesystem::path database, std::chrono::seconds maxAge)
      : database_(std::move(database)), maxAge_(maxAge) {}
  struct Figures {
    std::map<std::string, std::int64_t> openAlerts;  // by severity
    std::int64_t undelivered = 0;                     // alert group events after the outbox
  };
  // nullopt when the database cannot be read now.
  std::optional<Figures> read();

 private:
  std::filesystem::path database_;
  std::chrono::seconds maxAge_;
  std::mutex mutex_;
  std::optional<Figures> cached_;
  std::chrono::steady_clock::time_point readAt_{};
};

// /readyz: the database takes a write (a short BEGIN IMMEDIATE on a connection of its
// own, rolled back), the writer's last batch committed, and the policies are loaded.
// The result is kept for a second, so a flood of /readyz cannot hammer the database.
class Readiness {
 public:
  struct Sources {
    std::filesystem::path database;
    std::function<std::optional<std::string>()> writerError;  // the last commit's failure
    std::function<std::size_t()> policyCount;
  };
  explicit Readiness(Sources sources) : sources_(std::move(sources)) {}
  std::optional<std::string> notReady();

 private:
  std::optional<std::string> check();
  Sources sources_;
  std::mutex mutex_;
  std::optional<std::string> cached_;
  std::chrono::steady_clock::time_point checkedAt_{};
  bool checked_ = false;
};

// The bytes of the database and its write-ahead log.
std::int64_t databaseBytes(const std::filesystem::path& database);

}  // namespace posture::collector

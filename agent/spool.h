#pragma once
// Reports waiting for the collector, in a SQLite file in the state directory. A report is
// numbered and stored in one transaction, and deleted only when the collector has
// acknowledged it, so a crash or a reboot loses nothing and resends nothing twice under a
// new number. Bounded by count and bytes: when full, the oldest state reports make room
// (each is a full snapshot, so the newest state is never lost) and collection never waits.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/db/sqlite.h"

namespace posture::agent {

struct SpoolLimits {
  std::size_t maxReports = 1000;
  std::size_t maxBytes = 64 << 20;
};

struct SpooledReport {
  std::uint64_t sequence = 0;
  std::string body;  // serialized posture.v1.Report, sequence already set
};

class Spool {
 public:
  Spool(const std::filesystem::path& stateDir, SpoolLimits limits = {});

  // Reserves the next sequence number, lets `serialize` build the body with it, stores the
  // result and compacts if over a limit. Returns the sequence. Numbers never repeat, even
  // after the queue empties.
  template <typename Serialize>
  std::uint64_t push(Serialize&& serialize) {
    db::Transaction tx(*db_);
    std::uint64_t seq = reserveSequence();
    insert(seq, serialize(seq));
    compact();
    tx.commit();
    return seq;
  }

  std::optional<SpooledReport> oldest();
  void remove(std::uint64_t sequence);  // after the collector acknowledged it
  std::size_t size();
  std::size_t bytes();
  std::uint64_t compacted() const { return compacted_; }  // dropped by compaction, this run

 private:
  std::uint64_t reserveSequence();
  void insert(std::uint64_t sequence, const std::string& body);
  void compact();

  std::unique_ptr<db::Connection> db_;
  SpoolLimits limits_;
  std::uint64_t compacted_ = 0;
};

}  // namespace posture::agent

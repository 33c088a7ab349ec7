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
#include <stdexcept>
#include <string>
#include <vector>

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

  // After the collector answered a report with "sequence_conflict" and lastSequence: it
  // holds reports up to that number with other bodies, from before this spool was lost
  // (the certificate was kept, so numbering restarted at 1). Every queued report is
  // numbered again after lastSequence, in the same order (`reserialize(body, sequence)`
  // returns its body under the new number, keeping kind and time), and the counter moves
  // past them. One transaction: a crash, or reserialize throwing, leaves the old numbering
  // whole; nothing queued is dropped. Returns how many reports were renumbered. Throws
  // std::invalid_argument when the numbers would leave the 63-bit range SQLite stores.
  template <typename Reserialize>
  std::size_t renumberAfter(std::uint64_t lastSequence, Reserialize&& reserialize) {
    db::Transaction tx(*db_);
    auto queued = takeAll();
    if (lastSequence > kMaxSequence - queued.size()) {
      throw std::invalid_argument("sequence " + std::to_string(lastSequence) + " is out of range");
    }
    std::uint64_t seq = lastSequence;
    for (auto& q : queued) {
      ++seq;
      q.body = reserialize(q.body, seq);
      q.sequence = seq;
      insert(q);
    }
    raiseCounter(seq);
    tx.commit();
    return queued.size();
  }

  std::optional<SpooledReport> oldest();
  void remove(std::uint64_t sequence);  // after the collector acknowledged it
  std::size_t size();
  std::size_t bytes();
  std::uint64_t compacted() const { return compacted_; }  // dropped by compaction, this run

 private:
  // A queued row as stored, for renumbering.
  struct Row {
    std::uint64_t sequence = 0;
    std::string kind;
    std::int64_t createdAt = 0;
    std::string body;
  };
  static constexpr std::uint64_t kMaxSequence = (1ull << 62);

  std::uint64_t reserveSequence();
  void insert(std::uint64_t sequence, const std::string& body);
  void insert(const Row& row);
  std::vector<Row> takeAll();  // every queued row in order, deleted from the queue
  void raiseCounter(std::uint64_t atLeast);
  void compact();

  std::unique_ptr<db::Connection> db_;
  SpoolLimits limits_;
  std::uint64_t compacted_ = 0;
};

}  // namespace posture::agent

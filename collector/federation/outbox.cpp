#include "collector/federation/outbox.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "common/crypto/crypto.h"

namespace posture::collector::federation {

using v1::FederationChange;

namespace {

UpstreamState readState(db::Connection& db) {
  UpstreamState s;
  auto st = db.prepare(
      "SELECT epoch, next_sequence, acked_sequence, snapshot_through, snapshot_acked "
      "FROM upstream_state WHERE id = 1");
  if (!st.step()) {
    st.reset();
    db.exec(
        "INSERT INTO upstream_state(id, epoch, next_sequence, acked_sequence, snapshot_acked) "
        "VALUES (1, 1, 1, 0, 0)");
    s.epoch = 1;
    return s;
  }
  s.epoch = static_cast<std::uint64_t>(st.getInt(0));
  s.nextSequence = static_cast<std::uint64_t>(st.getInt(1));
  s.ackedSequence = static_cast<std::uint64_t>(st.getInt(2));
  if (!st.isNull(3)) s.snapshotThrough = static_cast<std::uint64_t>(st.getInt(3));
  s.snapshotAcked = st.getInt(4) != 0;
  st.reset();
  auto count = db.prepare("SELECT count(*) FROM upstream_outbox");
  count.step();
  s.queued = static_cast<std::size_t>(count.getInt(0));
  return s;
}

// Ends the epoch: nothing queued, nothing known as sent, so the next stage() describes the
// whole picture again under a higher epoch (above the parent's too, when it told us one).
void startEpoch(db::Connection& db, std::uint64_t floor) {
  db.exec("DELETE FROM upstream_outbox");
  db.exec("DELETE FROM upstream_sent");
  db.prepare(
        "UPDATE upstream_state SET epoch = max(epoch, ?) + 1, next_sequence = 1, "
        "acked_sequence = 0, snapshot_through = NULL, snapshot_acked = 0 WHERE id = 1")
      .bind(1, static_cast<std::int64_t>(floor))
      .run();
}

constexpr std::string_view kUnitPrefix = "unit\x1f";
bool isUnitKey(const std::string& key) { return key.starts_with(kUnitPrefix); }

// Depth of each unit of the picture within the picture (0: its parent is not in it).
std::unordered_map<std::string, std::int64_t> unitDepths(const std::vector<OutboxRow>& rows) {
  std::unordered_map<std::string, std::string> parent;
  for (const auto& r : rows) {
    if (!isUnitKey(r.key)) continue;
    FederationChange c;
    if (c.ParseFromString(r.change) && c.has_unit()) parent[c.unit().code()] = c.unit().parent();
  }
  std::unordered_map<std::string, std::int64_t> depth;
  for (const auto& [code, p] : parent) {
    std::int64_t d = 0;
    std::string at = p;
    // Bounded by the number of units, so a cycle cannot loop.
    while (parent.count(at) && d < static_cast<std::int64_t>(parent.size())) {
      ++d;
      at = parent[at];
    }
    depth[code] = d;
  }
  return depth;
}

struct Pending {
  std::string key;
  std::string change;   // serialized, without a sequence
  std::string digest;   // empty for a removal
  std::string removal;  // for an upsert: the change that undoes it
  std::int64_t rank = 0;
  bool unit = false;
};

StageResult stageIn(db::Connection& db, const std::vector<OutboxRow>& rows,
                    const StageOptions& options, bool mayRestart) {
  StageResult result;
  UpstreamState s = readState(db);
  auto depths = unitDepths(rows);

  struct Sent {
    std::string digest;
    std::int64_t rank;
  };
  std::unordered_map<std::string, Sent> sent;
  {
    auto st = db.prepare("SELECT key, digest, rank FROM upstream_sent");
    while (st.step()) sent.emplace(st.getText(0), Sent{st.getText(1), st.getInt(2)});
  }

  std::vector<Pending> upserts;
  std::vector<std::pair<std::string, std::int64_t>> rerank;
  std::unordered_set<std::string> seen;
  for (const auto& row : rows) {
    seen.insert(row.key);
    bool unit = isUnitKey(row.key);
    std::int64_t rank = 0;
    if (unit) {
      auto d = depths.find(row.key.substr(kUnitPrefix.size()));
      rank = d == depths.end() ? 0 : d->second;
    }
    std::string digest = crypto::sha256Hex(row.change);
    auto it = sent.find(row.key);
    if (it != sent.end() && it->second.digest == digest) {
      if (it->second.rank != rank) rerank.emplace_back(row.key, rank);
      continue;
    }
    FederationChange c;
    std::optional<Problem> problem;
    if (!c.ParseFromString(row.change)) {
      problem = Problem{"malformed_change", "không đọc được thay đổi", "the change is unreadable"};
    } else if (isRemoval(c) || c.change_case() == FederationChange::CHANGE_NOT_SET) {
      problem = Problem{"not_an_upsert", "hàng phải là thay đổi cập nhật, không phải xoá",
                        "a row must be an upsert, not a removal"};
    } else if (changeKey(c) != row.key) {
      problem = Problem{"key_mismatch", "khoá không khớp nội dung hàng",
                        "the key does not match the row"};
    } else {
      problem = checkChange(c);
    }
    if (problem) {
      // What the parent holds for this key, if anything, stays as it is.
      result.refused.emplace_back(row.key, *problem);
      continue;
    }
    upserts.push_back({row.key, row.change, digest, serialize(removalOf(c)), rank, unit});
  }
  if (seen.size() != rows.size()) {
    throw std::invalid_argument("federation stage(): a key appears twice in the picture");
  }

  std::vector<Pending> removals;
  {
    auto st = db.prepare("SELECT removal, rank FROM upstream_sent WHERE key = ?");
    for (const auto& [key, info] : sent) {
      if (seen.count(key)) continue;
      st.reset();
      st.bind(1, key);
      st.step();
      removals.push_back({key, st.getBlob(0), {}, {}, st.getInt(1), isUnitKey(key)});
    }
    st.reset();
  }

  std::size_t total = s.queued + upserts.size() + removals.size();
  if (mayRestart && s.snapshotThrough && total > std::max(options.maxQueued, rows.size())) {
    // A fresh snapshot is smaller than the queue: it replaces the queued deltas.
    startEpoch(db, 0);
    StageResult again = stageIn(db, rows, options, false);
    again.newEpoch = true;
    return again;
  }

  // Units parents first, so a unit's parent always arrives before it; then the rows
  // (which may name a new unit); then removals, units last and deepest first, so no
  // prefix of the batch leaves a row in a removed unit or a unit under a removed parent.
  std::stable_sort(upserts.begin(), upserts.end(), [](const Pending& a, const Pending& b) {
    return std::pair(!a.unit, a.rank) < std::pair(!b.unit, b.rank);
  });
  std::sort(removals.begin(), removals.end(), [](const Pending& a, const Pending& b) {
    return std::tuple(a.unit, -a.rank, a.key) < std::tuple(b.unit, -b.rank, b.key);
  });

  auto append = db.prepare("INSERT INTO upstream_outbox(sequence, epoch, change) VALUES (?, ?, ?)");
  auto put = db.prepare(
      "INSERT INTO upstream_sent(key, digest, removal, rank) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(key) DO UPDATE SET digest = excluded.digest, removal = excluded.removal, "
      "rank = excluded.rank");
  auto drop = db.prepare("DELETE FROM upstream_sent WHERE key = ?");
  auto setRank = db.prepare("UPDATE upstream_sent SET rank = ? WHERE key = ?");
  std::uint64_t seq = s.nextSequence;
  auto queue = [&](const std::string& change) {
    append.reset();
    append.bind(1, static_cast<std::int64_t>(seq++))
        .bind(2, static_cast<std::int64_t>(s.epoch))
        .bindBlob(3, change)
        .run();
  };
  for (const auto& p : upserts) {
    queue(p.change);
    put.reset();
    put.bind(1, p.key).bind(2, p.digest).bindBlob(3, p.removal).bind(4, p.rank).run();
  }
  for (const auto& p : removals) {
    queue(p.change);
    drop.reset();
    drop.bind(1, p.key).run();
  }
  for (const auto& [key, rank] : rerank) {
    setRank.reset();
    setRank.bind(1, rank).bind(2, key).run();
  }
  db.prepare(
        "UPDATE upstream_state SET next_sequence = ?, "
        "snapshot_through = coalesce(snapshot_through, ?) WHERE id = 1")
      .bind(1, static_cast<std::int64_t>(seq))
      .bind(2, static_cast<std::int64_t>(seq - 1))
      .run();
  result.staged = upserts.size() + removals.size();
  return result;
}

}  // namespace

OutboxRow outboxRow(const FederationChange& upsert) {
  FederationChange c = upsert;
  c.clear_sequence();
  return {changeKey(c), serialize(c)};
}

StageResult stage(db::Connection& db, const std::vector<OutboxRow>& rows,
                  const StageOptions& options) {
  db::Transaction tx(db);
  StageResult result = stageIn(db, rows, options, true);
  tx.commit();
  return result;
}

std::optional<v1::FederationPush> nextPush(db::Connection& db, const PushOptions& options) {
  // A write lock for a consistent read: the state and the rows from the same snapshot.
  db::Transaction tx(db);
  UpstreamState s = readState(db);
  if (!s.snapshotThrough) return std::nullopt;
  v1::FederationPush push;
  push.set_epoch(s.epoch);
  push.set_snapshot(!s.snapshotAcked);
  push.set_detail(options.detail);
  push.set_sent_at(options.now);
  push.set_interval_seconds(options.intervalSeconds);
  push.set_snapshot_through(*s.snapshotThrough);
  auto st = db.prepare(
      "SELECT sequence, change FROM upstream_outbox WHERE epoch = ? AND sequence > ? "
      "ORDER BY sequence LIMIT ?");
  st.bind(1, static_cast<std::int64_t>(s.epoch))
      .bind(2, static_cast<std::int64_t>(s.ackedSequence))
      .bind(3, static_cast<std::int64_t>(std::max<std::size_t>(options.maxChanges, 1)));
  std::size_t bytes = 0;
  while (st.step()) {
    std::string change = st.getBlob(1);
    if (push.changes_size() > 0 && bytes + change.size() > options.maxBytes) break;
    bytes += change.size();
    auto* c = push.add_changes();
    // Our own bytes, written by stage(): unreadable only if the file was damaged.
    if (!c->ParseFromString(change)) {
      throw std::runtime_error("upstream_outbox: change " + std::to_string(st.getInt(0)) +
                               " is unreadable");
    }
    c->set_sequence(static_cast<std::uint64_t>(st.getInt(0)));
  }
  st.reset();
  tx.commit();
  return push;
}

AckOutcome acknowledge(db::Connection& db, const v1::FederationAck& ack) {
  db::Transaction tx(db);
  UpstreamState s = readState(db);
  AckOutcome outcome = AckOutcome::Committed;
  if (ack.snapshot_required()) {
    if (!s.snapshotAcked && s.epoch > ack.epoch()) {
      outcome = AckOutcome::Ignored;  // a snapshot above the parent's epoch is already coming
    } else {
      startEpoch(db, ack.epoch());
      outcome = AckOutcome::NewEpoch;
    }
  } else if (!ack.error_code().empty()) {
    // The parent holds less than it acknowledged before (restored from a backup): the
    // changes it misses are deleted here, so only a snapshot can fill the gap.
    bool behind = ack.error_code() == "sequence_gap" && ack.epoch() == s.epoch &&
                  ack.committed_sequence() < s.ackedSequence;
    if (behind) {
      startEpoch(db, ack.epoch());
      outcome = AckOutcome::NewEpoch;
    } else {
      outcome = AckOutcome::Refused;
    }
  } else if (ack.epoch() != s.epoch || !s.snapshotThrough) {
    outcome = AckOutcome::Ignored;
  } else if (ack.committed_sequence() >= s.nextSequence) {
    // The parent holds changes this outbox never made (this database was restored from a
    // backup): only a new epoch makes the two agree again.
    startEpoch(db, ack.epoch());
    outcome = AckOutcome::NewEpoch;
  } else {
    auto committed = static_cast<std::int64_t>(ack.committed_sequence());
    db.prepare("DELETE FROM upstream_outbox WHERE sequence <= ?").bind(1, committed).run();
    db.prepare(
          "UPDATE upstream_state SET acked_sequence = max(acked_sequence, ?), "
          "snapshot_acked = 1 WHERE id = 1")
        .bind(1, committed)
        .run();
  }
  tx.commit();
  return outcome;
}

UpstreamState upstreamState(db::Connection& db) {
  db::Transaction tx(db);
  UpstreamState s = readState(db);
  tx.commit();
  return s;
}

}  // namespace posture::collector::federation

#include "tests/bench/fleet_baseline.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "common/db/sqlite.h"
#include "common/util/time.h"
#include "tests/bench/fleet_generator.h"

namespace posture::bench {
namespace {

// Copied from collector/storage/storage.cpp (migration 1) so the baseline writes into the
// same B-trees: a WITHOUT ROWID history keyed by (agent, sequence) and a latest-state table.
constexpr const char* kSchema = R"sql(
CREATE TABLE reports(
  agent_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (agent_id, sequence)) WITHOUT ROWID;
CREATE TABLE endpoints(
  agent_id TEXT PRIMARY KEY,
  unit_code TEXT NOT NULL,
  hostname TEXT NOT NULL,
  last_sequence INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  report BLOB NOT NULL);
CREATE INDEX endpoints_unit ON endpoints(unit_code);
)sql";

// Copied from collector/ingest/ingest.cpp (Ingest::commitBatch).
constexpr const char* kInsert =
    "INSERT OR IGNORE INTO reports(agent_id, sequence, received_at, collected_at, body) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr const char* kUpsert =
    "INSERT INTO endpoints(agent_id, unit_code, hostname, last_sequence, last_seen, "
    "collected_at, report) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(agent_id) DO UPDATE SET unit_code = excluded.unit_code, "
    "hostname = excluded.hostname, last_sequence = excluded.last_sequence, "
    "last_seen = excluded.last_seen, collected_at = excluded.collected_at, "
    "report = excluded.report WHERE excluded.last_sequence > endpoints.last_sequence";

struct Row {
  std::string agentId, unitCode, hostname, body;
  std::uint64_t sequence = 0;
  std::int64_t collectedAt = 0;
};

}  // namespace

std::string baselineAgentId(std::uint64_t seed, std::size_t index) {
  Rng r(seed * 0x100000001b3ULL + index);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(r.next()),
                static_cast<unsigned long long>(r.next()));
  return buf;
}

BaselineResult runBaseline(const BaselineOptions& o) {
  if (std::filesystem::exists(o.file)) {
    throw std::runtime_error(o.file.string() + " already exists; the baseline needs a fresh file");
  }
  if (o.endpoints == 0 || o.batch == 0) throw std::runtime_error("baseline needs endpoints and a batch size");
  // Connection sets WAL and synchronous=FULL, exactly as the collector's writer has them.
  db::Connection db(o.file);
  db.exec(kSchema);

  FleetGenerator gen(o.seed, o.units);
  std::vector<EndpointProfile> profiles;
  std::vector<std::string> ids;
  profiles.reserve(o.endpoints);
  for (std::size_t i = 0; i < o.endpoints; ++i) {
    profiles.push_back(gen.profile(i));
    ids.push_back(baselineAgentId(o.seed, i));
  }

  BaselineResult out;
  std::vector<Row> batch;
  std::uint64_t produced = 0;
  auto insert = db.prepare(kInsert);
  auto upsert = db.prepare(kUpsert);
  while (produced < o.rows) {
    // Build the batch outside the timed part: the collector's writer, too, receives bodies
    // already serialized by the I/O threads.
    batch.clear();
    std::int64_t now = util::unixNow();
    while (batch.size() < o.batch && produced < o.rows) {
      std::size_t i = static_cast<std::size_t>(produced % o.endpoints);
      std::uint64_t seq = produced / o.endpoints + 1;
      Row row;
      row.agentId = ids[i];
      row.unitCode = profiles[i].unitCode;
      row.hostname = profiles[i].hostname;
      row.sequence = seq;
      row.collectedAt = now;
      row.body = gen.report(profiles[i], ids[i], seq, now).SerializeAsString();
      batch.push_back(std::move(row));
      ++produced;
    }
    auto start = std::chrono::steady_clock::now();
    {
      db::Transaction tx(db);
      for (const Row& r : batch) {
        insert.reset();
        insert.bind(1, r.agentId)
            .bind(2, static_cast<std::int64_t>(r.sequence))
            .bind(3, now)
            .bind(4, r.collectedAt)
            .bindBlob(5, r.body)
            .run();
        if (db.changes() == 0) continue;
        upsert.reset();
        upsert.bind(1, r.agentId)
            .bind(2, r.unitCode)
            .bind(3, r.hostname)
            .bind(4, static_cast<std::int64_t>(r.sequence))
            .bind(5, now)
            .bind(6, r.collectedAt)
            .bindBlob(7, r.body)
            .run();
      }
      tx.commit();
    }
    out.elapsedSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.rows += batch.size();
  }
  return out;
}

}  // namespace posture::bench

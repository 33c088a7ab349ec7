#include "tests/bench/fleet_baseline.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "common/util/time.h"
#include "tests/bench/fleet_generator.h"

namespace posture::bench {
std::string baselineAgentId(std::uint64_t seed, std::size_t index) {
  Rng r(seed * 0x100000001b3ULL + index);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(r.next()),
                static_cast<unsigned long long>(r.next()));
  return buf;
}

BaselineResult runBaseline(const BaselineOptions& o) {
  if (std::filesystem::exists(o.dir)) {
    throw std::runtime_error(o.dir.string() + " already exists; the baseline needs a fresh directory");
  }
  if (o.endpoints == 0 || o.batch == 0) throw std::runtime_error("baseline needs endpoints and a batch size");
  // The collector's own database code: same schema, pragmas (WAL, synchronous=FULL, cache)
  // and statements, so the figure is the storage ceiling of exactly what the collector does.
  auto conn = collector::openDatabase(o.dir);
  db::Connection& db = *conn;
  for (const auto& sql : o.pragmas) db.exec(sql);
  collector::ReportWriter writer(db);

  FleetGenerator gen(o.seed, o.units);
  std::vector<EndpointProfile> profiles;
  std::vector<std::string> ids;
  profiles.reserve(o.endpoints);
  for (std::size_t i = 0; i < o.endpoints; ++i) {
    profiles.push_back(gen.profile(i));
    ids.push_back(baselineAgentId(o.seed, i));
  }

  BaselineResult out;
  std::vector<collector::ReportRecord> batch;
  std::uint64_t produced = 0;
  while (produced < o.rows) {
    // Build the batch outside the timed part: the collector's writer, too, receives bodies
    // already serialized by the I/O threads.
    batch.clear();
    std::int64_t now = util::unixNow();
    while (batch.size() < o.batch && produced < o.rows) {
      std::size_t i = static_cast<std::size_t>(produced % o.endpoints);
      std::uint64_t seq = produced / o.endpoints + 1;
      collector::ReportRecord row;
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
      for (const auto& r : batch) writer.insert(r, now);
      tx.commit();
    }
    out.elapsedSeconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.rows += batch.size();
  }
  return out;
}

}  // namespace posture::bench

#pragma once
// A province-shaped fleet written into a collector's data directory through the collector's
// own code, without a network (console_bench, federation_bench): the unit tree (1 province
// QNG, districts D<n>, communes D<n>-C<m>) imported as the organization, and one report per
// endpoint from fleet_generator written with collector::ReportWriter in batches of 2048,
// like the storage baseline (no enrolment, no TLS).
#include <cstdint>
#include <string>
#include <vector>

#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "tests/bench/fleet_generator.h"

namespace posture::bench {

struct TreeUnit {
  std::string code, parent, kind, nameVi, nameEn;
};

struct Tree {
  std::vector<TreeUnit> units;      // parents before children
  std::vector<std::string> leaves;  // where endpoints sit: districts and communes
  std::vector<std::string> districts;
  std::string yaml() const;  // for org::importOrgText
  // One unit and everything below it, that unit as the root (no parent): the organization
  // of a district's own collector.
  Tree subtree(const std::string& root) const;
};

// unitCount units: QNG, `districts` districts (0: unitCount / 20, at least 1) and the rest
// communes, commune m under district m mod districts.
Tree makeTree(std::size_t unitCount, std::size_t districts = 0);

// The endpoints of one generated fleet: endpoint i is gen.profile(i) with the agent id
// baselineAgentId(seed, i).
struct FleetSpec {
  std::uint64_t seed = 1;
  FleetGenerator gen;
};

// Report `sequence` of each endpoint in `indices`, collected at collectedAt.
std::vector<collector::ReportRecord> reportRecords(const FleetSpec& fleet,
                                                   const std::vector<std::size_t>& indices,
                                                   std::uint64_t sequence,
                                                   std::int64_t collectedAt);

struct WriteFigures {
  std::size_t reports = 0;
  std::uint64_t bytes = 0;  // of the report bodies
  double seconds = 0;       // the storage work only (wall)
  double cpuSeconds = 0;    // the same, CPU of this process
};

// Writes the records in transactions of `batch` through collector::ReportWriter.
WriteFigures writeRecords(db::Connection& db, const std::vector<collector::ReportRecord>& records,
                          std::int64_t receivedAt, std::size_t batch = 2048);

// Endpoints [0, count) of the fleet, report 1 each, collected an hour before `now`.
WriteFigures writeFleet(db::Connection& db, const FleetSpec& fleet, std::size_t count,
                        std::int64_t now);

// One admin user `bench-admin` (production Argon2 cost); returns its password.
std::string addBenchAdmin(db::Connection& db, std::int64_t now, const std::string& by);

}  // namespace posture::bench

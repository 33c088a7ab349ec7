#pragma once
// "The storage ceiling": the same rows the collector's writer stores, inserted through the
// collector's own storage code (collector/storage: schema, pragmas, statements) with its
// batch size, with no network, TLS or parsing in the way. The benchmark states the collector's rate as a share
// of this one.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace posture::bench {

struct BaselineOptions {
  std::filesystem::path dir;  // a data directory that must not exist yet
  std::vector<std::string> units;
  std::uint64_t seed = 1;
  std::size_t endpoints = 1000;
  std::uint64_t rows = 0;     // rows to insert, round-robin over the endpoints
  std::size_t batch = 2048;   // the collector's IngestOptions::maxBatch
  // Extra statements run after opening, to measure what a setting would buy
  // (e.g. "PRAGMA cache_size=-65536"); empty for the collector's own settings.
  std::vector<std::string> pragmas;
};

struct BaselineResult {
  std::uint64_t rows = 0;
  double elapsedSeconds = 0;  // SQLite work only; building the reports is not counted
};

// Throws db::DbError or std::runtime_error on failure.
BaselineResult runBaseline(const BaselineOptions& options);

// A stable agent id for endpoint `index` in the baseline (32 hex digits, like the
// collector's randomHex(16)).
std::string baselineAgentId(std::uint64_t seed, std::size_t index);

}  // namespace posture::bench

#pragma once
// A consistent copy of a live SQLite database (WAL mode) while `serve` writes to it.
#include <cstdint>
#include <filesystem>

namespace posture::collector::backup {

// Copies `source` into the new file `dest` with SQLite's online backup API, in steps,
// under one read transaction held from first to last step: the copy is the database as of
// the moment that transaction began (every commit acknowledged before it is in), and a
// WAL reader never blocks the writer, so ingest goes on. The copy is switched to
// journal_mode=DELETE so it is one self-contained file. Throws BackupError.
void snapshotDatabase(const std::filesystem::path& source, const std::filesystem::path& dest);

struct DatabaseFacts {
  std::int64_t schemaVersion = 0, reports = 0, agents = 0, endpoints = 0;
};
// Counts of a snapshot (or any collector database), read-only.
DatabaseFacts databaseFacts(const std::filesystem::path& db);
// PRAGMA integrity_check: "" when it answers "ok", else its first lines.
std::string integrityProblems(const std::filesystem::path& db);

}  // namespace posture::collector::backup

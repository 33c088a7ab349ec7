#include "collector/backup/snapshot.h"

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "collector/backup/envelope.h"

namespace posture::collector::backup {
namespace fs = std::filesystem;

namespace {
constexpr int kPagesPerStep = 1024;

struct Close {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, Close>;

Db open(const fs::path& file, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    throw BackupError("cannot open " + file.string() + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

void exec(sqlite3* db, const char* sql, const fs::path& file) {
  char* err = nullptr;
  if (int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    if ((rc & 0xff) == SQLITE_FULL) throwNoSpace(file, std::string(sql) + ": " + message);
    throw BackupError(file.string() + ": " + sql + ": " + message);
  }
}

std::int64_t single(sqlite3* db, const char* sql, const fs::path& file) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    throw BackupError(file.string() + ": " + sql + ": " + sqlite3_errmsg(db));
  }
  std::int64_t v = 0;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) throw BackupError(file.string() + ": " + sql + ": " + sqlite3_errmsg(db));
  return v;
}
}  // namespace

void snapshotDatabase(const fs::path& source, const fs::path& dest) {
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    throw BackupError("không có cơ sở dữ liệu " + source.string() + " / no database " + source.string());
  }
  // Read-write without create: a WAL reader needs the -shm file, and this connection
  // writes nothing.
  Db src = open(source, SQLITE_OPEN_READWRITE);
  // One read transaction over every step: the snapshot of its start, never a mix, and no
  // restart of the copy when the writer commits in between.
  exec(src.get(), "BEGIN; SELECT count(*) FROM sqlite_master;", source);
  Db dst = open(dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (!b) throw BackupError("sqlite3_backup_init: " + std::string(sqlite3_errmsg(dst.get())));
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(b, kPagesPerStep);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if ((rc & 0xff) == SQLITE_FULL) {
    throwNoSpace(dest, std::string("snapshot of ") + source.string() + ": " + sqlite3_errstr(rc));
  }
  if (rc != SQLITE_DONE) {
    throw BackupError("snapshot of " + source.string() + " failed: " + sqlite3_errstr(rc));
  }
  exec(src.get(), "COMMIT;", source);
  exec(dst.get(), "PRAGMA journal_mode=DELETE;", dest);
}

DatabaseFacts databaseFacts(const fs::path& file) {
  Db db = open(file, SQLITE_OPEN_READONLY);
  DatabaseFacts f;
  f.schemaVersion = single(db.get(), "PRAGMA user_version", file);
  f.reports = single(db.get(), "SELECT count(*) FROM reports", file);
  f.agents = single(db.get(), "SELECT count(*) FROM agents", file);
  f.endpoints = single(db.get(), "SELECT count(*) FROM endpoints", file);
  return f;
}

std::string integrityProblems(const fs::path& file) {
  Db db = open(file, SQLITE_OPEN_READONLY);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check(20)", -1, &st, nullptr) != SQLITE_OK) {
    return sqlite3_errmsg(db.get());
  }
  std::string out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    std::string line = text ? text : "";
    if (line == "ok") continue;
    out += (out.empty() ? "" : "; ") + line;
  }
  if (rc != SQLITE_DONE && out.empty()) out = sqlite3_errmsg(db.get());
  sqlite3_finalize(st);
  return out;
}

}  // namespace posture::collector::backup

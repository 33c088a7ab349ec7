#pragma once
// Thin RAII over SQLite: a connection, prepared statements, transactions and numbered
// migrations. Errors throw DbError naming the statement and SQLite's message.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posture::db {

class DbError : public std::runtime_error {
 public:
  DbError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement;

class Connection {
 public:
  enum class Mode { ReadWrite, ReadOnly };
  // Opens (creating if ReadWrite) the file, sets WAL, foreign keys and a busy handler: a
  // connection that finds the database locked retries for up to kBusyTimeout, polling every
  // millisecond at first (SQLite's own handler sleeps up to 25, 50 then 100 ms between
  // tries, so a writer could miss the gaps a short-transaction job leaves it, e.g. the
  // retention pruner's, and wait far longer than the transaction in its way).
  static constexpr std::chrono::milliseconds kBusyTimeout{10000};
  explicit Connection(const std::filesystem::path& file, Mode mode = Mode::ReadWrite);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // How long a locked database is retried before SQLITE_BUSY ("database is locked").
  void setBusyTimeout(std::chrono::milliseconds timeout) { busyTimeout_ = timeout; }
  std::int64_t lastInsertRowid() const;
  int changes() const;
  sqlite3* handle() { return db_; }

  // Applies migrations[i] for every i >= user_version, each in its own transaction.
  void migrate(const std::vector<std::string_view>& migrations);

 private:
  static int onBusy(void* self, int count);
  sqlite3* db_ = nullptr;
  std::string path_;
  std::chrono::milliseconds busyTimeout_ = kBusyTimeout;
  std::chrono::steady_clock::time_point busySince_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Binding is 1-based, like SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bindBlob(int index, std::string_view bytes);
  Statement& bindNull(int index);

  // Steps once: true while a row is available.
  bool step();
  // Steps to completion (for statements that return no rows).
  void run();
  void reset();

  bool isNull(int column) const;
  std::int64_t getInt(int column) const;
  double getDouble(int column) const;
  std::string getText(int column) const;
  std::string getBlob(int column) const;

 private:
  void check(int rc, const char* what);
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() ran. Inside a
// transaction already open on the connection (a function that keeps its own steps atomic,
// called from a writer job), it is a savepoint instead: commit() releases it into the
// enclosing transaction, and destruction without commit() undoes only what it covered.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  void commit();

 private:
  Connection& conn_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace posture::db

#include "common/db/sqlite.h"

#include <thread>

namespace posture::db {
namespace {
[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  throw DbError(msg, rc);
}
}  // namespace

Connection::Connection(const std::filesystem::path& file, Mode mode) : path_(file.string()) {
  int flags = SQLITE_OPEN_NOMUTEX |
              (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY
                                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path_ + ": " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw DbError(msg, rc);
  }
  sqlite3_busy_handler(db_, &Connection::onBusy, this);
  sqlite3_extended_result_codes(db_, 1);
  if (mode == Mode::ReadWrite) exec("PRAGMA journal_mode=WAL");
  // FULL: a committed transaction survives power loss, which is what an
  // acknowledgement promises the agent.
  exec("PRAGMA synchronous=FULL");
  exec("PRAGMA foreign_keys=ON");
}

Connection::~Connection() { sqlite3_close_v2(db_); }

int Connection::onBusy(void* self, int count) {
  using namespace std::chrono_literals;
  auto* conn = static_cast<Connection*>(self);
  auto now = std::chrono::steady_clock::now();
  if (count == 0) conn->busySince_ = now;
  auto waited = now - conn->busySince_;
  if (waited >= conn->busyTimeout_) return 0;  // SQLITE_BUSY: "database is locked"
  // A try costs microseconds; the lock is taken within about a millisecond of its release.
  std::this_thread::sleep_for(waited < 200ms ? 1ms : waited < 2s ? 5ms : 20ms);
  return 1;
}

void Connection::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = "SQL failed (" + s.substr(0, 80) + "): " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw DbError(msg, rc);
  }
}

Statement Connection::prepare(std::string_view sql) { return Statement(db_, sql); }
std::int64_t Connection::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
int Connection::changes() const { return sqlite3_changes(db_); }

void Connection::migrate(const std::vector<std::string_view>& migrations) {
  std::size_t current = 0;
  {
    // Finalized before the migrations run: an open statement would make DROP TABLE fail
    // with "database table is locked".
    auto st = prepare("PRAGMA user_version");
    st.step();
    current = static_cast<std::size_t>(st.getInt(0));
  }
  if (current > migrations.size()) {
    throw DbError("database " + path_ + " has schema version " + std::to_string(current) +
                      ", newer than this program knows (" + std::to_string(migrations.size()) +
                      ")",
                  SQLITE_ERROR);
  }
  for (std::size_t i = current; i < migrations.size(); ++i) {
    Transaction tx(*this);
    exec(migrations[i]);
    exec("PRAGMA user_version=" + std::to_string(i + 1));
    tx.commit();
  }
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot prepare (" + std::string(sql.substr(0, 80)) + ")");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

void Statement::check(int rc, const char* what) {
  if (rc != SQLITE_OK) fail(db_, rc, what);
}

Statement& Statement::bind(int i, std::int64_t v) {
  check(sqlite3_bind_int64(stmt_, i, v), "bind");
  return *this;
}
Statement& Statement::bind(int i, double v) {
  check(sqlite3_bind_double(stmt_, i, v), "bind");
  return *this;
}
Statement& Statement::bind(int i, std::string_view t) {
  check(sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT),
        "bind");
  return *this;
}
Statement& Statement::bindBlob(int i, std::string_view b) {
  check(sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT),
        "bind");
  return *this;
}
Statement& Statement::bindNull(int i) {
  check(sqlite3_bind_null(stmt_, i), "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, std::string("step (") + sqlite3_sql(stmt_) + ")");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
std::int64_t Statement::getInt(int c) const { return sqlite3_column_int64(stmt_, c); }
double Statement::getDouble(int c) const { return sqlite3_column_double(stmt_, c); }
std::string Statement::getText(int c) const {
  auto p = sqlite3_column_text(stmt_, c);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
           : std::string();
}
std::string Statement::getBlob(int c) const {
  auto p = sqlite3_column_blob(stmt_, c);
  return p ? std::string(static_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
           : std::string();
}

Transaction::Transaction(Connection& conn)
    : conn_(conn), nested_(sqlite3_get_autocommit(conn.handle()) == 0) {
  conn_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}
Transaction::~Transaction() {
  if (!done_) {
    try {
      // Nested: undo this part only; the enclosing transaction goes on.
      conn_.exec(nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK");
    } catch (...) {
      // The connection already rolled back (e.g. after SQLITE_FULL); nothing to undo.
    }
  }
}
void Transaction::commit() {
  conn_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  done_ = true;
}

}  // namespace posture::db

// common/db: what every store of the project relies on. A transaction not committed leaves
// nothing; migrations run once each and refuse a newer database; errors name the statement
// and keep SQLite's code; a reset statement is reusable; a read-only connection writes nothing;
// a connection finding the database locked retries until it is free, up to its timeout.
#include "common/db/sqlite.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

using namespace posture;

namespace {
std::int64_t count(db::Connection& c, const std::string& table) {
  auto st = c.prepare("SELECT count(*) FROM " + table);
  REQUIRE(st.step());
  return st.getInt(0);
}
}  // namespace

TEST_CASE("a transaction not committed leaves nothing; a committed one stays after reopening") {
  test::TempDir dir("posture-db-");
  auto file = dir.path() / "t.db";
  {
    db::Connection c(file);
    c.exec("CREATE TABLE t(x INTEGER)");
    {
      db::Transaction tx(c);
      c.prepare("INSERT INTO t(x) VALUES (?)").bind(1, 1).run();
    }  // no commit: rolled back
    CHECK(count(c, "t") == 0);
    {
      db::Transaction tx(c);
      c.prepare("INSERT INTO t(x) VALUES (?)").bind(1, 2).run();
      tx.commit();
    }
  }
  db::Connection again(file);
  CHECK(count(again, "t") == 1);
}

TEST_CASE("a transaction inside another is a savepoint: undone alone, or kept with the outer one") {
  test::TempDir dir("posture-db-");
  auto file = dir.path() / "t.db";
  {
    db::Connection c(file);
    c.exec("CREATE TABLE t(x INTEGER)");
    db::Transaction outer(c);
    c.prepare("INSERT INTO t(x) VALUES (1)").run();
    {
      db::Transaction inner(c);  // not BEGIN: that would fail inside a transaction
      c.prepare("INSERT INTO t(x) VALUES (2)").run();
    }  // no commit: only 2 is undone
    CHECK(count(c, "t") == 1);
    {
      db::Transaction inner(c);
      c.prepare("INSERT INTO t(x) VALUES (3)").run();
      inner.commit();
    }
    CHECK(count(c, "t") == 2);
    outer.commit();
  }
  db::Connection again(file);
  CHECK(count(again, "t") == 2);
  {
    // An inner part committed goes with the outer transaction when that one is undone.
    db::Transaction outer(again);
    {
      db::Transaction inner(again);
      again.prepare("INSERT INTO t(x) VALUES (4)").run();
      inner.commit();
    }
  }
  CHECK(count(again, "t") == 2);
}

TEST_CASE("migrations run once each, in order, and a newer database is refused") {
  test::TempDir dir("posture-db-");
  auto file = dir.path() / "m.db";
  std::vector<std::string_view> v1 = {"CREATE TABLE a(x)", "CREATE TABLE b(y)"};
  {
    db::Connection c(file);
    c.migrate(v1);
    c.migrate(v1);  // nothing left to run: CREATE TABLE a second time would fail
    auto st = c.prepare("PRAGMA user_version");
    REQUIRE(st.step());
    CHECK(st.getInt(0) == 2);
  }
  {
    db::Connection c(file);
    c.migrate({"CREATE TABLE a(x)", "CREATE TABLE b(y)", "INSERT INTO a VALUES (3)"});
    CHECK(count(c, "a") == 1);
  }
  db::Connection c(file);
  try {
    c.migrate(v1);
    FAIL("an older program opened a newer database");
  } catch (const db::DbError& e) {
    std::string what = e.what();
    CHECK(what.find("schema version 3") != std::string::npos);
    CHECK(what.find("newer than this program knows (2)") != std::string::npos);
  }
}

TEST_CASE("a failing migration leaves the version where it was") {
  test::TempDir dir("posture-db-");
  db::Connection c(dir.path() / "f.db");
  CHECK_THROWS_AS(c.migrate({"CREATE TABLE a(x)", "CREATE TABLE a(x)"}), db::DbError);
  auto st = c.prepare("PRAGMA user_version");
  REQUIRE(st.step());
  CHECK(st.getInt(0) == 1);
}

TEST_CASE("errors name the statement and keep SQLite's code") {
  test::TempDir dir("posture-db-");
  db::Connection c(dir.path() / "e.db");
  c.exec("CREATE TABLE u(name TEXT UNIQUE)");
  c.prepare("INSERT INTO u(name) VALUES (?)").bind(1, "a").run();
  try {
    c.prepare("INSERT INTO u(name) VALUES (?)").bind(1, "a").run();
    FAIL("a duplicate was stored");
  } catch (const db::DbError& e) {
    CHECK(e.code() == SQLITE_CONSTRAINT_UNIQUE);  // extended codes are on
    CHECK(std::string(e.what()).find("INSERT INTO u(name)") != std::string::npos);
  }
  try {
    c.prepare("SELECT x FROM nowhere");
    FAIL("a bad statement was prepared");
  } catch (const db::DbError& e) {
    CHECK(std::string(e.what()).find("cannot prepare (SELECT x FROM nowhere)") !=
          std::string::npos);
    CHECK(std::string(e.what()).find("no such table: nowhere") != std::string::npos);
  }
}

TEST_CASE("a reset statement runs again with new values; its old bindings are gone") {
  test::TempDir dir("posture-db-");
  db::Connection c(dir.path() / "r.db");
  c.exec("CREATE TABLE t(k TEXT, v TEXT)");
  auto insert = c.prepare("INSERT INTO t(k, v) VALUES (?, ?)");
  insert.bind(1, "a").bind(2, "1").run();
  insert.reset();
  insert.bind(1, "b").run();  // ?2 left unbound: NULL, not "1"
  auto st = c.prepare("SELECT k, v FROM t ORDER BY k");
  REQUIRE(st.step());
  CHECK(st.getText(0) == "a");
  CHECK(st.getText(1) == "1");
  REQUIRE(st.step());
  CHECK(st.getText(0) == "b");
  CHECK(st.isNull(1));
  CHECK_FALSE(st.step());
}

TEST_CASE("a read-only connection reads and refuses to write") {
  test::TempDir dir("posture-db-");
  auto file = dir.path() / "ro.db";
  {
    db::Connection c(file);
    c.exec("CREATE TABLE t(x)");
    c.exec("INSERT INTO t VALUES (1)");
  }
  db::Connection ro(file, db::Connection::Mode::ReadOnly);
  CHECK(count(ro, "t") == 1);
  CHECK_THROWS_AS(ro.exec("INSERT INTO t VALUES (2)"), db::DbError);
  CHECK(count(ro, "t") == 1);
  CHECK_THROWS_AS(db::Connection(dir.path() / "absent.db", db::Connection::Mode::ReadOnly),
                  db::DbError);
}

TEST_CASE("a connection finding the database locked retries until the lock is released, then up to its timeout") {
  test::TempDir dir("posture-db-");
  auto file = dir.path() / "busy.db";
  db::Connection holder(file);
  holder.exec("CREATE TABLE t(x)");
  db::Connection waiter(file);

  SUBCASE("released after 300 ms: the waiter's transaction goes through") {
    holder.exec("BEGIN IMMEDIATE");
    holder.exec("INSERT INTO t VALUES (1)");
    std::thread release([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      holder.exec("COMMIT");
    });
    {
      db::Transaction tx(waiter);  // BEGIN IMMEDIATE waits for the holder's commit
      waiter.exec("INSERT INTO t VALUES (2)");
      tx.commit();
    }
    release.join();
    CHECK(count(waiter, "t") == 2);
  }
  SUBCASE("held past the timeout: SQLITE_BUSY, and the waiter can go on afterwards") {
    waiter.setBusyTimeout(std::chrono::milliseconds(100));
    holder.exec("BEGIN IMMEDIATE");
    auto start = std::chrono::steady_clock::now();
    int code = 0;
    std::string message;
    try {
      waiter.exec("BEGIN IMMEDIATE");
    } catch (const db::DbError& e) {
      code = e.code() & 0xff;
      message = e.what();
    }
    CHECK(code == SQLITE_BUSY);
    CHECK_MESSAGE(message.find("database is locked") != std::string::npos, message);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
    holder.exec("COMMIT");
    waiter.exec("BEGIN IMMEDIATE");
    waiter.exec("INSERT INTO t VALUES (3)");
    waiter.exec("COMMIT");
    CHECK(count(holder, "t") == 1);
  }
}

// collector/ingest: the single writer, on real SQLite files in a temp dir (no mocks): the
// answers (after commit, duplicate, conflict, refusals, full queue), group commit, jobs in
// their own transactions, the coroutine forms' executor, draining at stop, afterCommit.
#include "collector/ingest/ingest.h"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <future>
#include <map>
#include <set>

#include "collector/enrolment/admin.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
namespace asio = boost::asio;
using Refusal = IngestOutcome::Refusal;

namespace {
// Only a guard against hangs: nothing here asserts on timing.
constexpr auto kHangGuard = std::chrono::seconds(30);

// A report of an enrolled agent, presented with its certificate `serial`; `variant` changes
// the content, not the sequence.
ReportRecord report(const std::string& agent, std::uint64_t seq, const std::string& variant = "",
                    const std::string& serial = "01") {
  posture::v1::Report r;
  r.set_sequence(seq);
  r.mutable_collected_at()->set_seconds(1700000000 + static_cast<std::int64_t>(seq));
  r.mutable_identity()->set_agent_id(agent);
  r.mutable_identity()->set_hostname(agent + "-host" + variant);
  ReportRecord rec;
  rec.agentId = agent;
  rec.unitCode = "BS";
  rec.hostname = agent + "-host";
  rec.sequence = seq;
  rec.collectedAt = r.collected_at().seconds();
  rec.body = r.SerializeAsString();
  rec.certSerial = serial;
  return rec;
}

// What a fresh connection sees of an agent's history: body by sequence.
std::map<std::uint64_t, std::string> stored(const std::filesystem::path& dir,
                                            const std::string& agent) {
  auto db = openExistingDatabase(dir);
  auto st = db->prepare("SELECT sequence, body FROM reports WHERE agent_id = ?");
  st.bind(1, agent);
  std::map<std::uint64_t, std::string> out;
  while (st.step()) out[static_cast<std::uint64_t>(st.getInt(0))] = st.getBlob(1);
  return out;
}

bool inTransaction(db::Connection& db) { return sqlite3_get_autocommit(db.handle()) == 0; }

template <typename T>
T await(std::future<T>& f) {
  REQUIRE(f.wait_for(kHangGuard) == std::future_status::ready);
  return f.get();
}

IngestOutcome storeNow(Ingest& ingest, ReportRecord record) {
  auto answer = std::make_shared<std::promise<IngestOutcome>>();
  auto f = answer->get_future();
  ingest.submit(std::move(record), [answer](IngestOutcome o) { answer->set_value(std::move(o)); });
  return await(f);
}

std::exception_ptr runNow(Ingest& ingest, Ingest::Job job) {
  auto answer = std::make_shared<std::promise<std::exception_ptr>>();
  auto f = answer->get_future();
  ingest.submitJob(std::move(job), [answer](std::exception_ptr e) { answer->set_value(e); });
  return await(f);
}

std::string message(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

// Every answer of the submit() calls made through slot(i), as the writer thread gives them.
struct Answers {
  std::mutex m;
  std::condition_variable cv;
  std::map<std::size_t, std::vector<IngestOutcome>> byIndex;
  std::function<void(IngestOutcome)> slot(std::size_t i) {
    return [this, i](IngestOutcome o) {
      std::lock_guard lock(m);
      byIndex[i].push_back(std::move(o));
      cv.notify_all();
    };
  }
  bool waitFor(std::size_t n) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, kHangGuard, [&] { return byIndex.size() >= n; });
  }
};

// Holds the writer thread inside a job until released (or destroyed), so that what is
// submitted meanwhile queues behind it.
class Gate {
 public:
  explicit Gate(Ingest& ingest) {
    auto entered = std::make_shared<std::promise<void>>();
    auto inside = entered->get_future();
    ingest.submitJob(
        [entered, open = open_](db::Connection&) {
          entered->set_value();
          open.wait_for(kHangGuard);
        },
        [](std::exception_ptr) {});
    REQUIRE(inside.wait_for(kHangGuard) == std::future_status::ready);
  }
  ~Gate() { release(); }
  void release() {
    if (!released_) opened_.set_value();
    released_ = true;
  }

 private:
  std::promise<void> opened_;
  std::shared_future<void> open_ = opened_.get_future().share();
  bool released_ = false;
};

// A data directory with agents a, b and c enrolled (certificate serial "01").
struct Fixture {
  test::TempDir dir{"posture-ingest-"};
  Fixture() {
    auto db = openDatabase(dir.path());
    for (std::string id : {"a", "b", "c"}) insertAgent(*db, {id, "BS", id + "-host", "01", 1, 2});
  }
  std::unique_ptr<db::Connection> writer() { return openDatabase(dir.path()); }
};
}  // namespace

TEST_CASE("ingest: a report is answered ok only once committed; a fresh connection sees it") {
  Fixture f;
  Ingest ingest(f.writer(), {});
  auto rec = report("a", 1);
  auto answer = std::make_shared<std::promise<std::pair<IngestOutcome, std::size_t>>>();
  auto fut = answer->get_future();
  ingest.submit(rec, [&f, answer](IngestOutcome o) {
    // Another connection, at the moment of the answer: the row must already be there.
    answer->set_value({std::move(o), stored(f.dir.path(), "a").size()});
  });
  auto [o, seenAtAnswer] = await(fut);
  CHECK(o.ok);
  CHECK_FALSE(o.duplicate);
  CHECK(o.refusal == Refusal::None);
  CHECK(o.committedAt > 0);
  CHECK(seenAtAnswer == 1);
  CHECK(stored(f.dir.path(), "a") == std::map<std::uint64_t, std::string>{{1, rec.body}});
  auto endpoints = loadEndpoints(*openExistingDatabase(f.dir.path()));
  REQUIRE(endpoints.size() == 1);
  CHECK(endpoints[0].lastSequence == 1);
}

TEST_CASE("ingest: a resend is ok and a duplicate, stored once; other content is a conflict") {
  Fixture f;
  Ingest ingest(f.writer(), {});
  auto first = report("a", 2);
  REQUIRE(storeNow(ingest, report("a", 1)).ok);
  REQUIRE(storeNow(ingest, report("a", 5)).ok);
  CHECK_FALSE(storeNow(ingest, first).duplicate);
  auto o = storeNow(ingest, first);
  CHECK(o.ok);
  CHECK(o.duplicate);
  CHECK(o.refusal == Refusal::None);
  CHECK(stored(f.dir.path(), "a").size() == 3);

  o = storeNow(ingest, report("a", 2, "-other"));
  CHECK(o.ok);  // answered after the storing transaction, which refused it
  CHECK_FALSE(o.duplicate);
  CHECK(o.refusal == Refusal::SequenceConflict);
  CHECK(o.lastSequence == 5);
  CHECK(stored(f.dir.path(), "a").at(2) == first.body);
  CHECK(stored(f.dir.path(), "a").size() == 3);
}

TEST_CASE("ingest: unknown, revoked and superseded agents are refused and nothing is stored") {
  Fixture f;
  Ingest ingest(f.writer(), {});
  auto o = storeNow(ingest, report("zz", 1));
  CHECK(o.ok);
  CHECK(o.refusal == Refusal::UnknownAgent);
  CHECK(stored(f.dir.path(), "zz").empty());

  // Revoked by another connection while the writer runs: seen by the storing transaction.
  REQUIRE(storeNow(ingest, report("b", 1)).refusal == Refusal::None);
  revokeAgent(*openExistingDatabase(f.dir.path()), "b", "test", 3);
  o = storeNow(ingest, report("b", 2));
  CHECK(o.refusal == Refusal::Revoked);
  CHECK(stored(f.dir.path(), "b").size() == 1);

  // Renewed (as the renewal job does): the previous certificate is accepted until the new
  // one is first used, then superseded.
  openExistingDatabase(f.dir.path())
      ->prepare(
          "UPDATE agents SET cert_serial = '02', previous_cert_serial = '01' WHERE agent_id = 'c'")
      .run();
  CHECK(storeNow(ingest, report("c", 1, "", "01")).refusal == Refusal::None);
  CHECK(storeNow(ingest, report("c", 2, "", "02")).refusal == Refusal::None);
  CHECK(storeNow(ingest, report("c", 3, "", "01")).refusal == Refusal::Superseded);
  CHECK(storeNow(ingest, report("c", 4, "", "ff")).refusal == Refusal::Superseded);
  CHECK(stored(f.dir.path(), "c").size() == 2);
}

TEST_CASE(
    "ingest: queued reports commit in batches within maxBatch; onCommitted gets only new ones") {
  Fixture f;
  std::mutex m;
  std::vector<std::size_t> sizes;
  std::multiset<std::pair<std::string, std::uint64_t>> fresh;
  bool outsideTransaction = true;
  IngestOptions options;
  options.maxBatch = 4;
  options.onCommitted = [&](db::Connection& db, const std::vector<const ReportRecord*>& reports,
                            std::int64_t) {
    std::lock_guard lock(m);
    outsideTransaction = outsideTransaction && !inTransaction(db);
    sizes.push_back(reports.size());
    for (const auto* r : reports) fresh.insert({r->agentId, r->sequence});
  };
  {
    Ingest earlier(f.writer(), {});
    REQUIRE(storeNow(earlier, report("a", 1)).ok);
  }
  Answers answers;
  Ingest ingest(f.writer(), options);
  std::vector<ReportRecord> sent;
  for (std::string id : {"a", "b"}) {
    for (std::uint64_t seq = 1; seq <= 12; ++seq) sent.push_back(report(id, seq));
  }
  sent.push_back(report("b", 3));  // a resend within the same queue
  {
    Gate gate(ingest);
    for (std::size_t i = 0; i < sent.size(); ++i) ingest.submit(sent[i], answers.slot(i));
  }
  REQUIRE(answers.waitFor(sent.size()));
  ingest.stop();  // onCommitted of the last batch has run

  std::set<std::size_t> duplicates;
  for (auto& [i, outcomes] : answers.byIndex) {
    REQUIRE(outcomes.size() == 1);  // every done fires exactly once
    CHECK(outcomes[0].ok);
    CHECK(outcomes[0].refusal == Refusal::None);
    if (outcomes[0].duplicate) duplicates.insert(i);
  }
  CHECK(duplicates == std::set<std::size_t>{0, sent.size() - 1});  // a:1 and the second b:3

  std::multiset<std::pair<std::string, std::uint64_t>> expected;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (!duplicates.count(i)) expected.insert({sent[i].agentId, sent[i].sequence});
  }
  std::lock_guard lock(m);
  CHECK(fresh == expected);
  std::size_t largest = 0;
  for (auto s : sizes) largest = std::max(largest, s);
  CHECK(largest == 4);  // grouped, and no batch beyond maxBatch
  CHECK(outsideTransaction);
  CHECK(stored(f.dir.path(), "a").size() == 12);
  CHECK(stored(f.dir.path(), "b").size() == 12);
}

TEST_CASE("ingest: beyond maxQueue a report is refused at once; what was queued is kept") {
  Fixture f;
  IngestOptions options;
  options.maxQueue = 2;
  Answers answers;
  Ingest ingest(f.writer(), options);
  {
    Gate gate(ingest);  // the writer is busy; the queue is empty
    for (std::uint64_t seq = 1; seq <= 4; ++seq) ingest.submit(report("a", seq), answers.slot(seq));
    std::lock_guard lock(answers.m);
    CHECK(answers.byIndex.count(1) == 0);  // queued, not answered before its commit
    CHECK(answers.byIndex.count(2) == 0);
    for (std::size_t refused : {3, 4}) {  // answered inline, in this thread
      REQUIRE(answers.byIndex.count(refused) == 1);
      const auto& o = answers.byIndex[refused][0];
      CHECK_FALSE(o.ok);
      CHECK(o.error.find("queue is full") != std::string::npos);
    }
  }
  REQUIRE(answers.waitFor(4));  // all answered: byIndex is no longer written
  CHECK(answers.byIndex[1].at(0).ok);
  CHECK(answers.byIndex[2].at(0).ok);
  CHECK(stored(f.dir.path(), "a").size() == 2);
  CHECK(storeNow(ingest, report("a", 3)).ok);  // room again: the agent's resend is taken
  CHECK(stored(f.dir.path(), "a").size() == 3);
}

TEST_CASE("ingest: a job runs in its own transaction; one that throws leaves nothing") {
  Fixture f;
  std::atomic<int> afterJobs{0};
  std::atomic<bool> afterJobsInTransaction{false};
  IngestOptions options;
  options.afterJobs = [&](db::Connection& db) {
    if (inTransaction(db)) afterJobsInTransaction = true;
    ++afterJobs;
  };
  Answers answers;
  std::promise<std::exception_ptr> failed;
  Ingest ingest(f.writer(), options);
  bool jobInTransaction = false;
  auto e = runNow(ingest, [&](db::Connection& db) {
    jobInTransaction = inTransaction(db);
    insertAgent(db, {"j1", "BS", "j1-host", "01", 1, 2});
    throw std::runtime_error("console change failed");
  });
  REQUIRE(e);
  CHECK(message(e) == "console change failed");
  CHECK(jobInTransaction);
  CHECK_FALSE(findAgent(*openExistingDatabase(f.dir.path()), "j1"));

  CHECK_FALSE(runNow(ingest, [](db::Connection& db) {
    insertAgent(db, {"j2", "BS", "j2-host", "01", 1, 2});
  }));
  CHECK(findAgent(*openExistingDatabase(f.dir.path()), "j2"));

  // A failing job queued with a report does not undo the report.
  {
    Gate gate(ingest);
    ingest.submitJob([](db::Connection&) { throw std::runtime_error("no"); },
                     [&](std::exception_ptr x) { failed.set_value(x); });
    ingest.submit(report("a", 1), answers.slot(0));
  }
  auto failure = failed.get_future();
  CHECK(await(failure));
  REQUIRE(answers.waitFor(1));
  CHECK(answers.byIndex[0].at(0).ok);
  CHECK(stored(f.dir.path(), "a").size() == 1);
  ingest.stop();
  CHECK(afterJobs >= 3);
  CHECK_FALSE(afterJobsInTransaction);
}

namespace {
struct Resumed {
  IngestOutcome outcome;
  Ingest::JobOutcome job;
  std::thread::id writer;
  bool onExecutorAfterStore = false, onExecutorAfterRun = false, finished = false;
};

asio::awaitable<void> storeThenRun(Ingest& ingest, asio::io_context& ctx, ReportRecord record,
                                   Resumed& out) {
  // Awaitables built outside the co_await expression, as agent_api does (GCC 12).
  auto pending = ingest.store(std::move(record));
  out.outcome = co_await std::move(pending);
  out.onExecutorAfterStore = ctx.get_executor().running_in_this_thread();
  Ingest::Job job = [&out](db::Connection&) {
    out.writer = std::this_thread::get_id();
    throw std::runtime_error("job failed");
  };
  auto ran = ingest.run(std::move(job));
  out.job = co_await std::move(ran);
  out.onExecutorAfterRun = ctx.get_executor().running_in_this_thread();
  out.finished = true;
}
}  // namespace

TEST_CASE("ingest: store() and run() resume on the caller's executor, not the writer thread") {
  Fixture f;
  Ingest ingest(f.writer(), {});
  asio::io_context ctx;
  Resumed r;
  std::exception_ptr failure;
  asio::co_spawn(ctx, storeThenRun(ingest, ctx, report("a", 1), r),
                 [&](std::exception_ptr e) { failure = e; });
  ctx.run_for(kHangGuard);
  REQUIRE_FALSE(failure);
  REQUIRE(r.finished);
  CHECK((r.outcome.ok && r.outcome.refusal == Refusal::None));
  REQUIRE(r.job.error);
  CHECK(message(r.job.error) == "job failed");
  CHECK(r.writer != std::this_thread::get_id());  // completed on the writer thread
  CHECK(r.onExecutorAfterStore);
  CHECK(r.onExecutorAfterRun);
  CHECK(stored(f.dir.path(), "a").size() == 1);
}

TEST_CASE("ingest: stop and destruction drain what is queued and refuse what comes after") {
  Fixture f;
  std::atomic<int> afterCommit{0};
  IngestOptions options;
  options.afterCommitInterval = std::chrono::hours(1);
  options.afterCommit = [&](db::Connection&) { ++afterCommit; };
  Answers answers, more;
  Ingest ingest(f.writer(), options);
  {
    Gate gate(ingest);
    for (std::uint64_t seq = 1; seq <= 20; ++seq)
      ingest.submit(report("a", seq), answers.slot(seq));
    std::thread stopper([&] { ingest.stop(); });
    // Released only once stop() has begun (it then refuses new work), so that the writer
    // finds the queue full of work with stopping set.
    auto refused = std::make_shared<std::atomic<bool>>(false);
    auto deadline = std::chrono::steady_clock::now() + kHangGuard;
    while (!*refused && std::chrono::steady_clock::now() < deadline) {
      ingest.submitJob([](db::Connection&) {},
                       [refused](std::exception_ptr e) {
                         if (e && message(e) == "collector is shutting down") *refused = true;
                       });
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(*refused);
    gate.release();
    stopper.join();
  }
  REQUIRE(answers.byIndex.size() == 20);  // the writer has stopped: no wait
  for (auto& [seq, outcomes] : answers.byIndex) {
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].ok);
  }
  CHECK(stored(f.dir.path(), "a").size() == 20);
  CHECK(afterCommit == 1);  // the final evaluation at stop
  auto late = storeNow(ingest, report("a", 21));
  CHECK_FALSE(late.ok);
  CHECK(late.error == "collector is shutting down");
  CHECK(stored(f.dir.path(), "a").size() == 20);

  // The destructor drains as well (some of these are still queued when it starts).
  {
    Ingest again(f.writer(), {});
    for (std::uint64_t seq = 1; seq <= 200; ++seq) again.submit(report("b", seq), more.slot(seq));
  }
  REQUIRE(more.byIndex.size() == 200);
  for (auto& [seq, outcomes] : more.byIndex) CHECK((outcomes.size() == 1 && outcomes[0].ok));
  CHECK(stored(f.dir.path(), "b").size() == 200);
}

TEST_CASE("ingest: afterCommit runs periodically outside any transaction, with nothing committed") {
  Fixture f;
  std::atomic<int> calls{0};
  std::atomic<bool> inTx{false};
  std::promise<void> thirdCall;
  auto third = thirdCall.get_future();
  IngestOptions options;
  options.afterCommitInterval = std::chrono::milliseconds(10);
  options.afterCommit = [&](db::Connection& db) {
    if (inTransaction(db)) inTx = true;
    if (++calls == 3) thirdCall.set_value();
  };
  Ingest ingest(f.writer(), options);  // stopped before the locals it calls go away
  REQUIRE(third.wait_for(kHangGuard) == std::future_status::ready);
  CHECK(ingest.committedReports() == 0);
  CHECK_FALSE(inTx);
}

#pragma once
// The collector's single writer. Requests queue here; one thread commits them in batches
// (group commit) and completes each only after its batch is durably committed, which is
// when the agent may forget the report.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "collector/storage/storage.h"
#include "common/db/sqlite.h"

namespace posture::collector {

struct IngestOutcome {
  // Refused in the storing transaction (nothing stored): the agent is unknown or revoked,
  // its certificate was superseded by a renewal, or the sequence is stored with another
  // body (lastSequence: the agent's highest stored sequence).
  enum class Refusal { None, UnknownAgent, Revoked, Superseded, SequenceConflict };
  bool ok = false;              // false: a storage failure, nothing stored; retry later
  bool duplicate = false;       // (agent, sequence) was already stored: counted once
  std::int64_t committedAt = 0;
  std::string error;            // when !ok
  Refusal refusal = Refusal::None;
  std::uint64_t lastSequence = 0;
  bool overloaded = false;      // !ok because the queue was full (503, retry later)
};

struct IngestOptions {
  std::size_t maxBatch = 2048;
  std::size_t maxQueue = 200000;  // beyond this, requests are refused (503) not queued
  // Called on the writer connection, outside any transaction, once per interval whether
  // or not anything was committed (stale sweeps, periodic full evaluation).
  std::function<void(db::Connection&)> afterCommit;
  std::chrono::milliseconds afterCommitInterval{2000};
  // Called on the writer connection, outside any transaction, after each committed batch
  // (and after its agents were answered) with the reports that were new: incremental
  // evaluation. committedAt is the batch's commit time.
  std::function<void(db::Connection&, const std::vector<const ReportRecord*>&, std::int64_t)>
      onCommitted;
  // Called on the writer connection, outside any transaction, after the jobs of a batch
  // (console changes) ran: the alert events they wrote are delivered without waiting for
  // the next interval.
  std::function<void(db::Connection&)> afterJobs;
};

class Ingest {
 public:
  using Job = std::function<void(db::Connection&)>;

  Ingest(std::unique_ptr<db::Connection> db, IngestOptions options);
  ~Ingest();  // drains what is queued, then stops

  void submit(ReportRecord record, std::function<void(IngestOutcome)> done);
  // Runs job inside its own transaction on the writer; done gets its exception, if any.
  void submitJob(Job job, std::function<void(std::exception_ptr)> done);
  void stop();

  // Coroutine forms: resume on the caller's executor once committed.
  boost::asio::awaitable<IngestOutcome> store(ReportRecord record);
  // Asio reserves a bare exception_ptr completion for errors, hence the wrapper.
  struct JobOutcome {
    std::exception_ptr error;
  };
  boost::asio::awaitable<JobOutcome> run(Job job);

  std::uint64_t committedReports() const { return committed_.load(); }
  // Why the last batch of reports could not be committed (a full disk, a locked
  // database); nullopt once a later batch committed. Any thread (the readiness check).
  std::optional<std::string> lastCommitError() const;

 private:
  struct Item {
    ReportRecord record;
    std::function<void(IngestOutcome)> done;
    Job job;
    std::function<void(std::exception_ptr)> jobDone;
  };
  void loop();
  void commitBatch(std::deque<Item>& batch);

  std::unique_ptr<db::Connection> db_;
  std::unique_ptr<ReportWriter> writer_;  // statements prepared once, used by the writer thread
  IngestOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> committed_{0};
  std::atomic<bool> commitFailing_{false};
  mutable std::mutex errorMutex_;
  std::string commitError_;  // under errorMutex_, set when commitFailing_ turns true
  std::thread thread_;
};

// Resumes a coroutine when a callback-style operation completes, on the coroutine's own
// executor (the completion may run on any thread).
template <typename T>
boost::asio::awaitable<T> awaitCallback(std::function<void(std::function<void(T)>)> start) {
  namespace asio = boost::asio;
  return asio::async_initiate<const asio::use_awaitable_t<>, void(T)>(
      [start = std::move(start)](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([shared](T value) {
          auto executor = asio::get_associated_executor(*shared);
          asio::post(executor, [shared, value = std::move(value)]() mutable {
            (*shared)(std::move(value));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace posture::collector

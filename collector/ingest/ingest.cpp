#include "collector/ingest/ingest.h"

#include "collector/metrics/instruments.h"
#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::collector {

Ingest::Ingest(std::unique_ptr<db::Connection> db, IngestOptions options)
    : db_(std::move(db)), writer_(std::make_unique<ReportWriter>(*db_)), options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

Ingest::~Ingest() { stop(); }

void Ingest::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Ingest::submit(ReportRecord record, std::function<void(IngestOutcome)> done) {
  bool stopping;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;  // read under the lock: stop() may be setting it
    if (!stopping && queue_.size() < options_.maxQueue) {
      queue_.push_back(Item{std::move(record), std::move(done), {}, {}});
      metrics::instruments().ingestQueueDepth.set(static_cast<double>(queue_.size()));
      wake_.notify_one();
      return;
    }
  }
  IngestOutcome refused{false, false, 0,
                        stopping ? "collector is shutting down" : "collector ingest queue is full"};
  refused.overloaded = !stopping;
  done(std::move(refused));
}

void Ingest::submitJob(Job job, std::function<void(std::exception_ptr)> done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Item{{}, {}, std::move(job), std::move(done)});
      metrics::instruments().ingestQueueDepth.set(static_cast<double>(queue_.size()));
      wake_.notify_one();
      return;
    }
  }
  done(std::make_exception_ptr(std::runtime_error("collector is shutting down")));
}

// Not coroutines themselves: GCC 12 destroys lambda temporaries inside a co_await
// expression twice, so the callables are built outside any coroutine frame.
boost::asio::awaitable<IngestOutcome> Ingest::store(ReportRecord record) {
  auto shared = std::make_shared<ReportRecord>(std::move(record));
  return awaitCallback<IngestOutcome>([this, shared](std::function<void(IngestOutcome)> done) {
    submit(std::move(*shared), std::move(done));
  });
}

boost::asio::awaitable<Ingest::JobOutcome> Ingest::run(Job job) {
  return awaitCallback<JobOutcome>([this, job](std::function<void(JobOutcome)> done) {
    submitJob(job, [done](std::exception_ptr e) { done(JobOutcome{e}); });
  });
}

std::optional<std::string> Ingest::lastCommitError() const {
  if (!commitFailing_.load()) return std::nullopt;
  std::lock_guard lock(errorMutex_);
  return commitError_;
}

void Ingest::loop() {
  auto lastAfterCommit = std::chrono::steady_clock::now();
  auto runAfterCommit = [&](const char* what) {
    if (!options_.afterCommit) return;
    try {
      options_.afterCommit(*db_);
    } catch (const std::exception& e) {
      log::error(what, " failed: ", e.what());
    }
  };
  for (;;) {
    std::deque<Item> batch;
    {
      std::unique_lock lock(mutex_);
      auto until = lastAfterCommit + options_.afterCommitInterval;
      wake_.wait_until(lock, until, [&] { return stopping_ || !queue_.empty(); });
      std::size_t n = std::min(queue_.size(), options_.maxBatch);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      metrics::instruments().ingestQueueDepth.set(static_cast<double>(queue_.size()));
      if (batch.empty() && stopping_) break;
    }
    if (!batch.empty()) commitBatch(batch);
    auto now = std::chrono::steady_clock::now();
    if (now - lastAfterCommit >= options_.afterCommitInterval) {
      runAfterCommit("periodic evaluation");
      lastAfterCommit = now;
    }
  }
  runAfterCommit("final evaluation");
}

void Ingest::commitBatch(std::deque<Item>& batch) {
  // Jobs run one by one in their own transactions so one failing job cannot undo reports.
  std::vector<Item*> reports;
  bool ranJobs = false;
  for (auto& item : batch) {
    if (!item.job) {
      reports.push_back(&item);
      continue;
    }
    std::exception_ptr failure;
    try {
      db::Transaction tx(*db_);
      item.job(*db_);
      tx.commit();
    } catch (...) {
      failure = std::current_exception();
    }
    item.jobDone(failure);
    ranJobs = true;
  }
  if (ranJobs && options_.afterJobs) {
    try {
      options_.afterJobs(*db_);
    } catch (const std::exception& e) {
      log::error("after console changes: ", e.what());
    }
  }
  if (reports.empty()) return;

  std::vector<IngestOutcome> outcomes(reports.size());
  std::int64_t now = util::unixNow();
  auto started = std::chrono::steady_clock::now();
  try {
    db::Transaction tx(*db_);
    using Refusal = IngestOutcome::Refusal;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const auto& record = reports[i]->record;
      auto& o = outcomes[i];
      switch (writer_->admit(record)) {
        case ReportWriter::Admission::Accepted:
          break;
        case ReportWriter::Admission::UnknownAgent:
          o.refusal = Refusal::UnknownAgent;
          continue;
        case ReportWriter::Admission::Revoked:
          o.refusal = Refusal::Revoked;
          continue;
        case ReportWriter::Admission::Superseded:
          o.refusal = Refusal::Superseded;
          continue;
      }
      o.duplicate = !writer_->insert(record, now);
      if (o.duplicate) {
        if (auto last = writer_->conflict(record)) {
          o.duplicate = false;
          o.refusal = Refusal::SequenceConflict;
          o.lastSequence = *last;
        }
      }
    }
    tx.commit();
    metrics::instruments().batchCommitSeconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    commitFailing_.store(false, std::memory_order_relaxed);
    for (auto& o : outcomes) {
      o.ok = true;
      o.committedAt = now;
      if (o.refusal == Refusal::None) ++committed_;
    }
  } catch (const std::exception& e) {
    // Nothing of this batch is stored; the agents keep their reports and resend.
    log::error("cannot commit ", reports.size(), " reports: ", e.what());
    {
      std::lock_guard lock(errorMutex_);
      commitError_ = e.what();
    }
    commitFailing_.store(true);
    for (auto& o : outcomes) {
      o = IngestOutcome{false, false, 0, std::string("storage failure: ") + e.what()};
    }
  }
  std::vector<const ReportRecord*> fresh;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (outcomes[i].ok && !outcomes[i].duplicate &&
        outcomes[i].refusal == IngestOutcome::Refusal::None) {
      fresh.push_back(&reports[i]->record);
    }
  }
  for (std::size_t i = 0; i < reports.size(); ++i) reports[i]->done(std::move(outcomes[i]));
  if (!fresh.empty() && options_.onCommitted) {
    try {
      options_.onCommitted(*db_, fresh, now);
    } catch (const std::exception& e) {
      log::error("evaluation of ", fresh.size(), " new reports failed: ", e.what());
    }
  }
}

}  // namespace posture::collector

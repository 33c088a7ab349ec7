#include "collector/console/db_pool.h"

#include <algorithm>
#include <memory>

#include "collector/console/http_util.h"
#include "collector/ingest/ingest.h"
#include "collector/storage/storage.h"
#include "common/log/log.h"

namespace posture::collector::console {

DbPool::DbPool(std::filesystem::path dataDir, unsigned threads, std::size_t maxQueue,
               std::string name)
    : dataDir_(std::move(dataDir)), maxQueue_(maxQueue), name_(std::move(name)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { loop(); });
}

DbPool::~DbPool() { stop(); }

bool DbPool::post(Job job, Done done) {
  std::lock_guard lock(mutex_);
  if (stopping_ || queue_.size() >= maxQueue_) return false;
  queue_.push_back({std::move(job), std::move(done)});
  wake_.notify_one();
  return true;
}

void DbPool::stop() {
  std::deque<Item> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    dropped.swap(queue_);
    wake_.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void DbPool::loop() {
  std::unique_ptr<db::Connection> db;
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    net::Response response;
    try {
      if (!db) db = openDatabase(dataDir_);
      response = item.job(*db);
    } catch (const std::exception& e) {
      log::error("console ", name_, " job failed: ", e.what());
      response = apiError(500, "internal", "Lỗi máy chủ", "internal error");
      db.reset();  // a fresh connection for the next job
    }
    item.done(std::move(response));
  }
}

boost::asio::awaitable<net::Response> onPool(DbPool& pool, DbPool::Job job) {
  std::function<void(std::function<void(net::Response)>)> start =
      [&pool, job = std::move(job)](std::function<void(net::Response)> done) {
        if (!pool.post(job, done)) {
          net::Response busy = apiError(503, "busy", "Máy chủ đang bận, hãy thử lại",
                                        "the console is busy, try again");
          busy.headers.emplace_back("Retry-After", "1");
          done(std::move(busy));
        }
      };
  auto op = awaitCallback<net::Response>(std::move(start));
  net::Response r = co_await std::move(op);
  co_return r;
}

}  // namespace posture::collector::console

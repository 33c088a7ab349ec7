#pragma once
// Internal to collector/console/: a small pool of database threads, each with its own
// connection, so the I/O threads never touch SQLite. A bounded queue: when it is full the
// job is not queued and the caller is told so (the API answers 503 busy).
#include <boost/asio/awaitable.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/db/sqlite.h"
#include "common/net/http_server.h"

namespace posture::collector::console {

class DbPool {
 public:
  using Job = std::function<net::Response(db::Connection&)>;
  using Done = std::function<void(net::Response)>;

  DbPool(std::filesystem::path dataDir, unsigned threads, std::size_t maxQueue, std::string name);
  ~DbPool();  // stop()

  // false when the queue is full or the pool stopped (nothing queued).
  bool post(Job job, Done done);
  // Finishes the jobs running, drops the queued ones (their Done is never called).
  void stop();

 private:
  struct Item {
    Job job;
    Done done;
  };
  void loop();

  std::filesystem::path dataDir_;
  std::size_t maxQueue_;
  std::string name_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Runs `job` on the pool and resumes with its response on the coroutine's executor; 503
// busy (Retry-After: 1) when the queue is full.
boost::asio::awaitable<net::Response> onPool(DbPool& pool, DbPool::Job job);

}  // namespace posture::collector::console

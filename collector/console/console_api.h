#pragma once
// The SOC console's HTTP side, on its own HTTPS listener (`serve --console-listen`): the
// embedded browser files and the JSON API of collector/console/openapi.yaml, behind the
// login, sessions, CSRF tokens and role table of collector/auth/.
//
// Threads: the I/O threads never touch the database. Requests run on a small pool of
// database threads with their own connections (like the CLI, every change goes through
// the library's own transaction with its audit entry); logins run on a separate pool whose
// admission is auth::Logins (locks and the Argon2 budget, decided on the I/O thread), and
// export builds on a third, admitted by ExportGate. A housekeeping thread purges expired
// sessions and writes the failed-login counts. The overview reads the live evaluation,
// which only the single writer thread may touch, through an Ingest job.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collector/evaluation/stale.h"
#include "collector/ingest/ingest.h"
#include "collector/policy/policy.h"
#include "common/net/http_server.h"

namespace posture::collector {
class FleetModel;
}

namespace posture::collector::console {

struct ConsoleContext {
  std::filesystem::path dataDir;
  std::int64_t staleAfterSeconds = kDefaultStaleAfterSeconds;
  std::string caFingerprint;
  std::function<std::shared_ptr<const std::vector<policy::Policy>>()> policies;
  Ingest* ingest = nullptr;
  // The live evaluation; called on the writer thread only (inside an Ingest job). May
  // return null before the first evaluation.
  std::function<const FleetModel*()> model;
  // Any thread: moves whenever the model's figures or its alerts may have changed. Empty:
  // the overview is rebuilt for every request.
  std::function<std::uint64_t()> generation;
  unsigned workers = 2;        // database threads for the API
  unsigned loginWorkers = 2;   // Argon2 checks at once (64 MiB each)
  unsigned loginQueue = 32;    // logins admitted to wait for those (auth::Argon2Limits)
  unsigned exportWorkers = 2;  // export builds at once (ExportGate's total; one per user)
};

class ConsoleApi {
 public:
  explicit ConsoleApi(ConsoleContext context);
  ~ConsoleApi();  // finishes the jobs running, drops the queued ones
  boost::asio::awaitable<net::Response> handle(net::Request& request);
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace posture::collector::console

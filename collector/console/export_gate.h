#pragma once
// Internal to collector/console/: how many exports may be built at once. A build reads every
// endpoint of the subtree and holds the whole file in memory (tens of MiB for a district of
// 100,000 endpoints), so the work is bounded: one build in progress per user, `total` at once
// for everybody; beyond either, the request is refused at once (429 with Retry-After) rather
// than queued behind the others. Thread-safe; no HTTP.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "common/util/lease.h"

namespace posture::collector::console {

struct ExportLimits {
  unsigned perUser = 1;
  unsigned total = 2;
  std::int64_t retryAfter = 5;  // seconds: a small export takes well under that
};

class ExportGate {
 public:
  explicit ExportGate(ExportLimits limits = {});

  // A build's place; given back when destroyed (it keeps the counters alive, so a ticket
  // may even outlive the gate, e.g. in a request abandoned at shutdown).
  using Ticket = util::Lease;
  struct Refused {
    bool ownExport = false;  // true: this user's own export is still being built
    std::int64_t retryAfter = 0;
  };
  std::variant<Ticket, Refused> admit(const std::string& user);

  unsigned inProgress() const;
  unsigned inProgress(const std::string& user) const;
  const ExportLimits& limits() const { return limits_; }

 private:
  struct State {
    std::mutex mutex;
    std::map<std::string, unsigned> perUser;
    unsigned total = 0;
    void release(const std::string& user);
  };

  ExportLimits limits_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace posture::collector::console

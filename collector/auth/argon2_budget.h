#pragma once
// The global budget of Argon2 work that logins may cause (collector/auth/README.md). One
// verification takes 64 MiB for ~0.2 s, so a burst of logins is a memory and CPU attack
// unless bounded: at most `concurrent` hashes run at once, at most `queued` more attempts
// wait for them, and one source group holds at most `perSource` of those places, so a flood
// from one place cannot take the queue from everyone else. An attempt that finds no place is
// refused at once (the HTTP layer answers 429 with Retry-After) and costs no hash.
//
// Thread-safe. admit() never blocks; hash() blocks its (database) thread until a slot is free.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/util/lease.h"

namespace posture::collector::auth {

struct Argon2Limits {
  unsigned concurrent = 2;  // hashes at once (2 × 64 MiB)
  unsigned queued = 32;     // admitted attempts waiting beyond those
  unsigned perSource = 2;   // admitted attempts (running or waiting) per source group
};

class Argon2Budget {
 public:
  explicit Argon2Budget(Argon2Limits limits = {});

  // A place in the budget; given back when destroyed (it keeps the counters alive, so a
  // ticket may even outlive the budget, e.g. in a request abandoned at shutdown).
  using Ticket = util::Lease;
  // nullopt when the budget or the group's share is used up.
  std::optional<Ticket> admit(std::string_view group);

  // Runs `work` (one Argon2 hash or verify) once fewer than `concurrent` run. The caller
  // holds a Ticket, so at most concurrent + queued threads ever wait here.
  template <typename F>
  auto hash(const Ticket&, F&& work) {
    Slot slot(*state_, limits_.concurrent);
    return work();
  }

  struct Stats {
    unsigned admitted = 0;      // tickets held now
    unsigned running = 0;       // hashes running now
    unsigned peakRunning = 0;   // most hashes ever running at once
    std::uint64_t refused = 0;  // admit() calls refused
  };
  Stats stats() const;
  const Argon2Limits& limits() const { return limits_; }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable slotFree;
    std::map<std::string, unsigned> perSource;
    Stats stats;
    void release(const std::string& group);
  };
  struct Slot {
    Slot(State& s, unsigned concurrent);
    ~Slot();
    State& state;
  };

  Argon2Limits limits_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace posture::collector::auth

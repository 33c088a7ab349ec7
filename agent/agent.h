#pragma once
#include <atomic>
#include <chrono>
#include <filesystem>

#include "agent/probes/report_builder.h"
#include "agent/spool.h"
#include "agent/state.h"

namespace posture::agent {

struct RunOptions {
  std::filesystem::path stateDir;
  bool once = false;
  std::chrono::seconds interval{3600};
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds firstBackoff{1000};
  std::chrono::seconds maxBackoff{600};
  SpoolLimits spool;
};

// Collection options for an enrolled agent (its id, unit and collector for the IPv6 checks).
CollectOptions collectOptionsFor(const AgentState& state);

// Collects on its interval into the spool and drains the spool in order, until `stop`.
// Collection never waits for the collector: while it is unreachable, reports queue up and
// the agent retries with jittered exponential back-off, so a fleet whose collector comes
// back does not reconnect in the same second. With once: collects one report, sends
// everything queued, returns 0 only when all of it was acknowledged (else 1, and what was
// not sent stays in the spool).
int runAgent(const RunOptions& options, const std::atomic<bool>& stop);

}  // namespace posture::agent

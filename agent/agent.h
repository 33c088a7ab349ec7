#pragma once
#include <atomic>
#include <chrono>
#include <filesystem>

#include "agent/probes/report_builder.h"
#include "agent/state.h"

namespace posture::agent {

struct RunOptions {
  std::filesystem::path stateDir;
  bool once = false;
  std::chrono::seconds interval{3600};
  std::chrono::milliseconds timeout{30000};
  std::chrono::seconds maxBackoff{600};
};

// Collection options for an enrolled agent (its id, unit and collector for the IPv6 checks).
CollectOptions collectOptionsFor(const AgentState& state);

// Collects, numbers and sends reports until `stop` becomes true. With once: one report,
// returns 0 only after the collector acknowledged it. Failed sends are retried with
// jittered exponential back-off so a fleet does not reconnect in the same second.
int runAgent(const RunOptions& options, const std::atomic<bool>& stop);

}  // namespace posture::agent

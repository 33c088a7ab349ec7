#pragma once
// The agent service is two processes, as in osquery's watchdog design:
//  - the supervisor (`posture-agent run`) only keeps time: it holds the single-instance
//    lock, sleeps between cycles, and applies the jittered back-off. It never collects,
//    opens the spool or speaks TLS, so it stays small while idle (the target is < 10 MB).
//  - each cycle runs in a fresh worker process (`posture-agent cycle`, internal): collect
//    one report into the spool, then drain the spool in order. When it exits, everything
//    a probe or TLS session allocated goes back to the system, and a probe that crashes
//    costs one cycle, not the service.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include "agent/probes/report_builder.h"
#include "agent/spool.h"
#include "common/uplink/enrol.h"
#include "common/uplink/renew.h"
#include "common/uplink/state.h"
#include "common/uplink/uplink.h"

namespace posture::agent {
// The agent talks to its collector through common/uplink (shared with a district's
// collector pushing to its province); these are the names the agent uses.
using uplink::AgentState;
using uplink::CycleLock;
using uplink::enrol;
using uplink::EnrolOptions;
using uplink::ensureStateDir;
using uplink::InstanceLock;
using uplink::isEnrolled;
using uplink::loadState;
using uplink::ReportChannel;
using uplink::replaceCredentials;
using uplink::saveState;
using uplink::sendEnrolment;
using uplink::sendRenewal;
using uplink::sendReport;
using uplink::UplinkError;

using uplink::kRenewBefore;
using uplink::renewIfDue;

struct CycleOptions {
  std::filesystem::path stateDir;
  bool collect = true;  // false: only send what the spool holds
  std::chrono::milliseconds timeout{30000};
  // The certificate is renewed (new key, /v1/renew) when it expires within this.
  std::chrono::seconds renewBefore = kRenewBefore;
  SpoolLimits spool;
};

// How a cycle ended; the worker's exit status.
enum class CycleResult : int {
  Drained = 0,   // everything queued was acknowledged
  Retry = 10,    // the collector could not be reached or failed; try again later
  Refused = 11,  // the collector refused in a way resending cannot fix (revoked, unknown)
  Failed = 12,   // the cycle itself failed (state unreadable, spool error)
};

// One cycle in this process. Takes the cycle lock (state.h); never throws. A report the
// collector refuses with "sequence_conflict" (this agent's spool was lost, its numbers
// restarted) makes the queue renumbered after the collector's last_sequence
// (Spool::renumberAfter) and sent again.
CycleResult runCycle(const CycleOptions& options, const std::atomic<bool>& stop);

struct RunOptions {
  std::filesystem::path stateDir;
  bool once = false;
  std::chrono::seconds interval = std::chrono::hours{1};
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds firstBackoff{1000};
  std::chrono::seconds maxBackoff{600};
  SpoolLimits spool;
  std::string logLevel = "info";  // passed on to the workers
  std::string logFile;            // passed on to the workers; empty: stderr only
  std::chrono::seconds renewBefore = kRenewBefore;
};

// Collection options for an enrolled agent (its id, unit and collector for the IPv6 checks).
CollectOptions collectOptionsFor(const AgentState& state);

// The supervisor: starts a worker on the collection interval, and between collections
// whenever reports wait to be sent, until `stop` (then stops the running worker with
// SIGTERM and waits for it). Collection never waits for the collector: while it is
// unreachable, reports queue up in the spool and sending is retried with jittered
// exponential back-off, so a fleet whose collector comes back does not reconnect in the
// same second. With once: one worker collects and sends everything queued; returns 0
// only when all of it was acknowledged (else 1; what was not sent stays in the spool).
int runAgent(const RunOptions& options, const std::atomic<bool>& stop);

}  // namespace posture::agent

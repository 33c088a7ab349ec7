#include "agent/agent.h"

#include <random>
#include <thread>

#include "agent/uplink.h"
#include "common/log/log.h"
#include "common/net/http_server.h"

namespace posture::agent {

CollectOptions collectOptionsFor(const AgentState& state) {
  CollectOptions c;
  c.agentId = state.agentId;
  c.unitCode = state.unitCode;
  auto [host, port] = net::splitHostPort(state.collector);
  c.collectorHost = host;
  c.collectorPort = static_cast<std::uint16_t>(std::stoul(port));
  return c;
}

namespace {
using Clock = std::chrono::steady_clock;

// Sleeps in short steps so SIGTERM is honoured promptly.
void sleepUntil(Clock::time_point until, const std::atomic<bool>& stop) {
  while (!stop.load() && Clock::now() < until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(200)));
  }
}
}  // namespace

int runAgent(const RunOptions& o, const std::atomic<bool>& stop) {
  AgentState state = loadState(o.stateDir);
  InstanceLock lock(o.stateDir);
  Spool spool(o.stateDir, o.spool);
  CollectOptions collect = collectOptionsFor(state);
  std::mt19937_64 rng(std::random_device{}());

  auto nextCollect = Clock::now();
  auto nextSend = Clock::now();
  auto backoff = o.firstBackoff;
  bool collected = false;
  if (std::size_t waiting = spool.size()) log::info(waiting, " report(s) waiting in the spool");

  while (!stop.load()) {
    if (Clock::now() >= nextCollect && !(o.once && collected)) {
      posture::v1::Report report = collectReport(collect);
      std::uint64_t seq = spool.push([&](std::uint64_t s) {
        report.set_sequence(s);
        return report.SerializeAsString();
      });
      log::info("collected report ", seq, " (", spool.size(), " waiting)");
      collected = true;
      nextCollect = Clock::now() + o.interval;
    }
    bool failed = false;
    while (!stop.load() && Clock::now() >= nextSend) {
      auto next = spool.oldest();
      if (!next) break;
      try {
        auto ack = sendReport(state, next->body, next->sequence, o.timeout);
        spool.remove(next->sequence);
        backoff = o.firstBackoff;
        log::info("report ", next->sequence, " acknowledged", ack.duplicate() ? " (already stored)" : "");
      } catch (const UplinkError& e) {
        log::warn("report ", next->sequence, " not delivered: ", e.what());
        failed = true;
        if (o.once) return 1;
        // Equal jitter: wait a random time in [backoff/2, backoff], then double it. A
        // refusal that resending cannot fix (revoked, unknown agent) waits the longest.
        if (!e.retryable()) backoff = o.maxBackoff;
        std::uniform_int_distribution<long long> jitter(backoff.count() / 2, backoff.count());
        nextSend = Clock::now() + std::chrono::milliseconds(jitter(rng));
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, o.maxBackoff);
        break;
      }
    }
    if (o.once && collected && !failed && spool.size() == 0) return 0;
    auto wake = nextCollect;
    if (spool.size() > 0) wake = std::min(wake, nextSend);
    sleepUntil(wake, stop);
  }
  log::info("agent stopped (", spool.size(), " report(s) kept in the spool)");
  return 0;
}

}  // namespace posture::agent

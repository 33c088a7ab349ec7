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
// Sleeps in short steps so SIGTERM is honoured promptly.
bool sleepFor(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(200),
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now())));
  }
  return !stop.load();
}
}  // namespace

int runAgent(const RunOptions& o, const std::atomic<bool>& stop) {
  AgentState state = loadState(o.stateDir);
  CollectOptions collect = collectOptionsFor(state);
  std::mt19937_64 rng(std::random_device{}());

  while (!stop.load()) {
    auto started = std::chrono::steady_clock::now();
    posture::v1::Report report = collectReport(collect);
    report.set_sequence(nextSequence(o.stateDir));
    std::chrono::milliseconds backoff(1000);
    for (;;) {
      try {
        auto ack = sendReport(state, report, o.timeout);
        log::info("report ", report.sequence(), " acknowledged",
                  ack.duplicate() ? " (already stored)" : "");
        break;
      } catch (const UplinkError& e) {
        log::warn("report ", report.sequence(), " not delivered: ", e.what());
        if (o.once || !e.retryable()) return 1;
      }
      // Full jitter: a random wait in [backoff/2, backoff], doubling up to the cap.
      std::uniform_int_distribution<long long> jitter(backoff.count() / 2, backoff.count());
      if (!sleepFor(std::chrono::milliseconds(jitter(rng)), stop)) return 0;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, o.maxBackoff);
    }
    if (o.once) return 0;
    auto elapsed = std::chrono::steady_clock::now() - started;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(o.interval - elapsed);
    if (wait.count() > 0 && !sleepFor(wait, stop)) break;
  }
  log::info("agent stopped");
  return 0;
}

}  // namespace posture::agent

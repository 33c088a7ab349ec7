// Alert delivery, the queue: AlertDelivery's bounded queue (drop-oldest), per-target order,
// exponential back-off, stats, the worker thread and a bounded shutdown. The formats are in
// delivery_format, the target URLs in delivery_target, the network in delivery_transport.
#include "collector/alerts/delivery.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "collector/alerts/delivery_transport.h"
#include "common/log/log.h"

namespace posture::collector {
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kShutdownGrace{2000};

std::string defaultHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "-";
  return buf;
}

}  // namespace

// ---------------------------------------------------------------- delivery

struct AlertDelivery::Impl {
  struct Entry {
    std::uint64_t seq = 0;
    AlertNotice notice;
    std::vector<std::size_t> routed;  // the routed (not global) targets it goes to, sorted
  };
  struct Target {
    DeliveryTarget target;
    std::string url;
    bool global = true;  // every notice; else only those routed to it
    // Guarded by mu:
    std::uint64_t next = 0;              // sequence number of the next notice to send here
    SteadyClock::time_point retryAt{};   // not before (back-off)
    std::chrono::milliseconds delay{0};  // the next back-off
    bool failing = false;
    std::uint64_t failedAttempts = 0;  // in the current failing spell
  };

  DeliveryOptions options;

  mutable std::mutex mu;
  std::condition_variable wake;  // worker: new notice or stop
  std::condition_variable idle;  // waitIdle: queue empty
  std::deque<Entry> queue;
  // A deque: routed targets are added while the worker holds a reference to another.
  std::deque<Target> targets;
  std::size_t globalTargets = 0;
  bool warnedNoSmtp = false;
  std::uint64_t nextSeq = 0;
  DeliveryStats stats;
  bool stopping = false;
  bool overflowing = false;
  std::uint64_t droppedThisSpell = 0;
  SteadyClock::time_point stopDeadline = SteadyClock::time_point::max();
  std::unique_ptr<DeliveryTransport> transport;  // the worker's alone
  std::thread worker;

  // ------------------------------------------------------------ queue (mu held)

  void dropOldest() {
    std::uint64_t seq = queue.front().seq;
    queue.pop_front();
    ++stats.dropped;
    ++droppedThisSpell;
    for (auto& t : targets) {
      if (t.next <= seq) t.next = seq + 1;
    }
    if (!overflowing) {
      overflowing = true;
      log::warn("alert delivery: queue full (", options.maxQueue,
                " notices), dropping the oldest until targets catch up");
    }
  }

  bool wants(const Target& t, std::size_t index, const Entry& e) const {
    return t.global || std::binary_search(e.routed.begin(), e.routed.end(), index);
  }

  // Moves a target past the queued notices that are not for it.
  void skipUnwanted(std::size_t index) {
    Target& t = targets[index];
    while (t.next < nextSeq && !queue.empty() && t.next >= queue.front().seq &&
           !wants(t, index, queue[static_cast<std::size_t>(t.next - queue.front().seq)])) {
      ++t.next;
    }
  }

  // The index of the target with this URL, added (as a routed target) when new.
  std::size_t routedTarget(const DeliveryTarget& target) {
    std::string url = deliveryTargetUrl(target);
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (targets[i].url == url) return i;
    }
    Target t;
    t.target = target;
    t.url = url;
    t.global = false;
    t.delay = options.firstRetry;
    t.next = nextSeq;
    std::size_t index = transport->addTarget(target);
    targets.push_back(std::move(t));
    log::info("alert delivery: notices of a unit's contacts also go to ", url);
    return index;
  }

  // Forgets notices every target has passed.
  void trim() {
    for (std::size_t i = 0; i < targets.size(); ++i) skipUnwanted(i);
    std::uint64_t low = nextSeq;
    for (const auto& t : targets) low = std::min(low, t.next);
    while (!queue.empty() && queue.front().seq < low) queue.pop_front();
    if (overflowing && queue.size() <= options.maxQueue / 2) {
      overflowing = false;
      log::info("alert delivery: queue has room again; ", droppedThisSpell,
                " notices were dropped");
      droppedThisSpell = 0;
    }
    if (queue.empty()) idle.notify_all();
  }

  // ------------------------------------------------------------ worker

  void run() {
    std::unique_lock lock(mu);
    std::size_t roundRobin = 0;
    for (;;) {
      if (queue.empty()) {
        idle.notify_all();
        if (stopping) break;
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        continue;
      }
      auto now = SteadyClock::now();
      if (stopping && now >= stopDeadline) break;
      std::optional<std::size_t> pick;
      auto earliest = SteadyClock::time_point::max();
      for (std::size_t k = 0; k < targets.size(); ++k) {
        std::size_t i = (roundRobin + k) % targets.size();
        skipUnwanted(i);
        const Target& t = targets[i];
        if (t.next >= nextSeq) continue;  // nothing waiting for this one
        if (t.retryAt <= now) {
          pick = i;
          break;
        }
        earliest = std::min(earliest, t.retryAt);
      }
      if (!pick) {
        if (stopping) {
          if (earliest >= stopDeadline) break;  // nothing more can go out in time
          wake.wait_until(lock, std::min(earliest, stopDeadline));
        } else {
          wake.wait_until(lock, earliest);
        }
        continue;
      }
      roundRobin = *pick + 1;
      Target& t = targets[*pick];
      std::uint64_t seq = t.next;
      AlertNotice notice = queue[static_cast<std::size_t>(seq - queue.front().seq)].notice;
      lock.unlock();
      std::string error;
      bool ok = transport->send(*pick, notice, error);
      lock.lock();
      bool stillWanted = t.next == seq;  // else an overflow dropped it meanwhile
      if (ok) {
        ++stats.delivered;
        if (stillWanted) t.next = seq + 1;
        t.retryAt = {};
        t.delay = options.firstRetry;
        if (t.failing) {
          log::info("alert delivery to ", t.url, " works again after ", t.failedAttempts,
                    " failed attempts");
        }
        t.failing = false;
        t.failedAttempts = 0;
      } else {
        if (stillWanted) ++stats.retried;
        ++t.failedAttempts;
        t.retryAt = SteadyClock::now() + t.delay;
        if (!t.failing) {
          log::warn("alert delivery to ", t.url, " failed: ", error, "; retrying with back-off (",
                    t.delay.count(), " ms up to ", options.maxRetry.count(), " ms)");
        }
        t.failing = true;
        t.delay = std::min(t.delay * 2, options.maxRetry);
      }
      trim();
    }
    if (!queue.empty()) {
      log::warn("alert delivery: ", queue.size(), " notices not delivered at shutdown");
      stats.dropped += queue.size();
      queue.clear();
    }
    idle.notify_all();
  }
};

AlertDelivery::AlertDelivery(DeliveryOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  if (d.options.maxQueue == 0) d.options.maxQueue = 1;
  if (d.options.firstRetry.count() <= 0) d.options.firstRetry = std::chrono::milliseconds(1);
  if (d.options.maxRetry < d.options.firstRetry) d.options.maxRetry = d.options.firstRetry;
  if (d.options.hostname.empty()) d.options.hostname = defaultHostname();
  for (const auto& target : d.options.targets) {
    Impl::Target t;
    t.target = target;
    t.url = deliveryTargetUrl(target);
    t.delay = d.options.firstRetry;
    d.targets.push_back(std::move(t));
  }
  d.globalTargets = d.targets.size();
  d.transport = std::make_unique<DeliveryTransport>(d.options.targets, d.options.hostname,
                                                    d.options.caFile, d.options.smtp);
  d.worker = std::thread([&d] { d.run(); });
}

AlertDelivery::~AlertDelivery() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->stopDeadline = SteadyClock::now() + kShutdownGrace;
    impl_->transport->setHardStop(impl_->stopDeadline);
  }
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

void AlertDelivery::publish(const AlertNotice& notice, const std::vector<DeliveryTarget>& routed) {
  Impl& d = *impl_;
  try {
    Impl::Entry entry{0, notice, {}};
    {
      std::lock_guard lock(d.mu);
      if (d.stopping) return;
      std::set<std::size_t> indexes;
      for (const auto& target : routed) {
        if (target.kind == DeliveryTarget::Kind::Email && d.options.smtp.host.empty()) {
          if (!d.warnedNoSmtp) {
            log::warn("alert delivery: a unit has an e-mail contact but no --smtp server is "
                      "configured; e-mail contacts are skipped");
            d.warnedNoSmtp = true;
          }
          continue;
        }
        std::size_t i = d.routedTarget(target);
        if (!d.targets[i].global) indexes.insert(i);
      }
      if (d.globalTargets == 0 && indexes.empty()) return;
      entry.routed.assign(indexes.begin(), indexes.end());
      while (d.queue.size() >= d.options.maxQueue) d.dropOldest();
      entry.seq = d.nextSeq++;
      d.queue.push_back(std::move(entry));
    }
    d.wake.notify_one();
  } catch (...) {
    // Out of memory copying the notice: count it and carry on.
    try {
      std::lock_guard lock(d.mu);
      ++d.stats.dropped;
    } catch (...) {
    }
  }
}

DeliveryStats AlertDelivery::stats() const {
  std::lock_guard lock(impl_->mu);
  DeliveryStats out = impl_->stats;
  out.queued = impl_->queue.size();
  return out;
}

bool AlertDelivery::waitIdle(std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mu);
  return impl_->idle.wait_for(lock, limit, [&] { return impl_->queue.empty(); });
}

}  // namespace posture::collector

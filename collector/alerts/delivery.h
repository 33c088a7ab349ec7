#pragma once
// Alert delivery to a SOC: every alert transition (AlertEvent) becomes an AlertNotice that
// goes, in order, to each configured target:
//   udp://HOST:PORT        syslog, RFC 5424, one message per datagram (≤ 2048 bytes)
//   tcp://HOST:PORT        syslog, RFC 5424, octet-counting framing (RFC 6587 §3.4.1)
//   http(s)://HOST:PORT/P  JSON webhook, HTTP/1.1 POST; a 2xx answer is success
//   an e-mail address      one message per notice through the `--smtp` server (smtp.h)
// The global targets (DeliveryOptions::targets) get every notice; a notice may also be
// routed to more targets (its unit's contacts and its ancestors', contacts.h), which are
// added on first use and then kept, with the same order, back-off and queue rules.
// One worker thread does all network work; publish() only enqueues. Per target a notice is
// sent only after the previous one succeeded there; failures are retried with exponential
// back-off, and a bounded queue drops the oldest notice when a target stays down.
// See collector/alerts/README.md for the formats.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/alerts/delivery_format.h"  // AlertNotice, the formats
#include "collector/alerts/delivery_target.h"  // DeliveryTarget, parseDeliveryTarget
#include "collector/alerts/smtp.h"             // SmtpSettings

namespace posture::collector {

struct DeliveryOptions {
  std::vector<DeliveryTarget> targets;
  std::size_t maxQueue = 10000;  // notices waiting for at least one target (0 counts as 1)
  std::chrono::milliseconds firstRetry{1000};
  std::chrono::milliseconds maxRetry{60000};
  std::string hostname;  // syslog HOSTNAME; default gethostname()
  std::string caFile;    // webhook https: an extra PEM CA to trust besides the system's
  // The submission server for e-mail targets (`serve --smtp`); without it (host empty)
  // e-mail targets are skipped with a warning.
  SmtpSettings smtp;
};

struct DeliveryStats {
  std::uint64_t delivered = 0;  // successful sends, one per notice and target
  std::uint64_t retried = 0;    // failed attempts that will be tried again
  std::uint64_t dropped = 0;    // notices given up (queue overflow, or left at shutdown)
  std::uint64_t queued = 0;     // notices not yet delivered to every target
};

class AlertDelivery {
 public:
  // Throws std::invalid_argument when options.caFile cannot be loaded. Starts the worker.
  explicit AlertDelivery(DeliveryOptions options);
  // Stops the worker; queued notices get a bounded chance (≤ 2 s) to go out first.
  ~AlertDelivery();
  AlertDelivery(const AlertDelivery&) = delete;
  AlertDelivery& operator=(const AlertDelivery&) = delete;

  // Never blocks on the network and never throws: enqueues the notice for every global
  // target and for each of `routed` (a target named twice, or equal to a global one by
  // deliveryTargetUrl, gets it once). When the queue is full the oldest notice is dropped
  // and counted. Without any target it does nothing.
  void publish(const AlertNotice& notice, const std::vector<DeliveryTarget>& routed = {});
  DeliveryStats stats() const;
  // For tests: true when the queue drained (every notice delivered to every target)
  // within limit.
  bool waitIdle(std::chrono::milliseconds limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posture::collector

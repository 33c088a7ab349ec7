#pragma once
// Alert delivery to a SOC: every alert transition (AlertEvent) becomes an AlertNotice that
// goes, in order, to each configured target:
//   udp://HOST:PORT        syslog, RFC 5424, one message per datagram (≤ 2048 bytes)
//   tcp://HOST:PORT        syslog, RFC 5424, octet-counting framing (RFC 6587 §3.4.1)
//   http(s)://HOST:PORT/P  JSON webhook, HTTP/1.1 POST; a 2xx answer is success
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

namespace posture::collector {

struct AlertNotice {
  std::int64_t alertId = 0;
  std::string event;  // "opened", "reopened", "acknowledged", "assigned", "commented", "resolved"
  std::string rule, subject, unitCode;
  std::string severity;  // low | medium | high | critical
  std::string status;
  std::string titleVi, titleEn, detail, actor;
  std::int64_t at = 0;  // Unix seconds
};

struct DeliveryTarget {
  enum class Kind { SyslogUdp, SyslogTcp, Webhook };
  Kind kind = Kind::SyslogUdp;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;  // webhook only: "/..." (may carry a query)
  bool tls = false;  // webhook over https
};

// Parses "udp://HOST:PORT", "tcp://HOST:PORT", "http://HOST:PORT/PATH" and
// "https://HOST:PORT/PATH" (IPv6 as [::1]). Without a port: 514 for udp/tcp, 80 for http,
// 443 for https. Throws std::invalid_argument naming what is wrong.
DeliveryTarget parseDeliveryTarget(const std::string& url);
// "tcp://[::1]:6514", "https://soc.example:443/hook": for log lines.
std::string deliveryTargetUrl(const DeliveryTarget& target);

struct DeliveryOptions {
  std::vector<DeliveryTarget> targets;
  std::size_t maxQueue = 10000;  // notices waiting for at least one target (0 counts as 1)
  std::chrono::milliseconds firstRetry{1000};
  std::chrono::milliseconds maxRetry{60000};
  std::string hostname;  // syslog HOSTNAME; default gethostname()
  std::string caFile;    // webhook https: an extra PEM CA to trust besides the system's
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

  // Never blocks on the network and never throws: enqueues the notice. When the queue is
  // full the oldest notice is dropped and counted. Without targets it does nothing.
  void publish(const AlertNotice& notice);
  DeliveryStats stats() const;
  // For tests: true when the queue drained (every notice delivered to every target)
  // within limit.
  bool waitIdle(std::chrono::milliseconds limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Syslog facility of every message: local4 (20), the one SIEM rules for security
// appliances usually listen on. PRI = 20 * 8 + severity (critical 2, high 3, medium 4,
// low 5; anything else 4).
inline constexpr int kSyslogFacility = 20;
// Structured-data ID: "posture@32473" (32473 is the private enterprise number RFC 5612
// reserves for documentation and examples).
inline constexpr const char* kSyslogSdId = "posture@32473";
// Largest UDP datagram we send (RFC 5424 §6.1: receivers SHOULD accept 2048 octets).
inline constexpr std::size_t kSyslogUdpMaxBytes = 2048;
// Largest message we frame over TCP (rsyslog's default maxMessageSize is 8 KiB).
inline constexpr std::size_t kSyslogTcpMaxBytes = 8192;

// One RFC 5424 message without framing:
// <PRI>1 TIMESTAMP HOSTNAME posture-collector PROCID MSGID [posture@32473 ...] BOM MSG
// With maxBytes > 0 the result is at most maxBytes long: MSG is cut on a UTF-8 boundary
// (with "…" appended), and if that is not enough the SD-PARAM values are shortened too.
std::string formatSyslog5424(const AlertNotice& n, const std::string& hostname,
                             std::size_t maxBytes = 0);
// RFC 6587 §3.4.1 octet counting: "LEN SP MSG".
std::string frameOctetCounted(const std::string& message);
// The webhook body: one JSON object with every field of the notice.
std::string formatWebhookJson(const AlertNotice& n);

}  // namespace posture::collector

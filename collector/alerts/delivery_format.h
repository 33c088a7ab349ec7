#pragma once
// Alert delivery, the formats: an AlertNotice as an RFC 5424 syslog message (with its
// structured data and size caps), RFC 6587 octet-counting framing, and the webhook JSON
// body. Pure functions of the notice (and the hostname): no I/O, no clock.
// See collector/alerts/README.md for the formats.
#include <cstddef>
#include <cstdint>
#include <string>

namespace posture::collector {

// One alert group's transition (collector/alerts/groups.h): alertId is the group's id,
// subject its key "RULE@UNIT", status the group's, members its active members.
struct AlertNotice {
  std::int64_t alertId = 0;
  std::string event;  // "opened", "reopened", "acknowledged", "assigned", "commented", "resolved"
  std::string rule, subject, unitCode;
  std::string severity;  // low | medium | high | critical
  std::string status;
  std::string titleVi, titleEn, detail, actor;
  std::int64_t at = 0;  // Unix seconds
  std::int64_t members = 0;  // active members: membersOpen + membersAcknowledged
  std::int64_t membersOpen = 0, membersAcknowledged = 0;
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

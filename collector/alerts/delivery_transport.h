#pragma once
// Alert delivery, the transports: one attempt to send one notice to one target. Syslog over
// UDP (one datagram, at most 2048 bytes) or TCP (octet counting on one kept-alive
// connection, at most 8192 bytes), or the JSON webhook as an HTTP/1.1 POST over HTTP or
// HTTPS (TLS 1.2 minimum, SNI, certificate checked against the system CAs plus caFile),
// through the shared client of common/net/https_client.h on a kept-alive connection, or
// an e-mail through the SMTP server (smtp.h), one session per notice.
// Resolve, connect, TLS handshake, write and read each time out after 5 s, and all stop
// at the shutdown cut-off. Only AlertDelivery's worker thread calls send().
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "collector/alerts/delivery_format.h"
#include "collector/alerts/delivery_target.h"
#include "collector/alerts/smtp.h"

namespace posture::collector {

class DeliveryTransport {
 public:
  // hostname: the syslog HOSTNAME. caFile: an extra PEM CA for https targets (empty: the
  // system's only). smtp: the server of e-mail targets. Throws std::invalid_argument when
  // caFile or smtp.caFile cannot be loaded.
  DeliveryTransport(const std::vector<DeliveryTarget>& targets, std::string hostname,
                    const std::string& caFile, const SmtpSettings& smtp = {});
  ~DeliveryTransport();
  DeliveryTransport(const DeliveryTransport&) = delete;
  DeliveryTransport& operator=(const DeliveryTransport&) = delete;

  // Past this moment every network operation is cancelled (shutdown). Any thread.
  void setHardStop(std::chrono::steady_clock::time_point at);
  // Adds a target (a unit's contact) and returns its index. Any thread.
  std::size_t addTarget(const DeliveryTarget& target);
  // One attempt to send `notice` to targets[index]. False, with `error` saying why, when
  // it failed. Never throws; a failed connection is dropped and made again next time.
  bool send(std::size_t index, const AlertNotice& notice, std::string& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posture::collector

#pragma once
// Sending to the collector: enrolment (before the agent has a certificate) and reports
// over mTLS. Every failure throws UplinkError with a message meant for IT staff.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/uplink/state.h"
#include "common/net/pinned_trust.h"
#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"

namespace posture::uplink {

class UplinkError : public std::runtime_error {
 public:
  UplinkError(const std::string& message, std::string code = {}, bool retryable = true,
              std::uint64_t lastSequence = 0)
      : std::runtime_error(message), code_(std::move(code)), retryable_(retryable),
        lastSequence_(lastSequence) {}
  const std::string& code() const { return code_; }  // the collector's error code, if any
  bool retryable() const { return retryable_; }      // false: resending cannot help
  // With code "sequence_conflict": the highest sequence the collector holds for this agent.
  std::uint64_t lastSequence() const { return lastSequence_; }

 private:
  std::string code_;
  bool retryable_;
  std::uint64_t lastSequence_;
};

// Reports over one kept-alive mTLS connection: the agent drains its spool with one
// handshake, not one per report. The connection opens at the first send; when the
// collector closed it while idle, the next send reconnects (once, before anything of it
// was sent). Throws UplinkError (not retryable) when the agent's credentials are unusable.
class ReportChannel {
 public:
  explicit ReportChannel(const AgentState& state);
  ~ReportChannel();
  ReportChannel(const ReportChannel&) = delete;
  ReportChannel& operator=(const ReportChannel&) = delete;

  // Posts a serialized report with that sequence number and returns the collector's
  // acknowledgement, which it sends only after the report is committed.
  posture::v1::ReportAck send(const std::string& body, std::uint64_t sequence,
                              std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One report on a connection of its own (ReportChannel for several).
posture::v1::ReportAck sendReport(const AgentState& state, const posture::v1::Report& report,
                                  std::chrono::milliseconds timeout);
// The same for a report already serialized (from the spool) with that sequence number.
posture::v1::ReportAck sendReport(const AgentState& state, const std::string& body,
                                  std::uint64_t sequence, std::chrono::milliseconds timeout);

// Checks this machine's clock against the collector's, then posts an enrolment request
// without a client certificate. Both go over connections whose handshake verified the
// server against `trust` (the pinned CA, or on first use the CA it sent; see
// common/net/pinned_trust.h): a server that fails gets nothing, and the error has code
// "ca_mismatch" and is not retryable. *verifiedCaFingerprint receives the SHA-256 of the
// CA the handshake verified.
posture::v1::EnrolResponse sendEnrolment(const std::string& collector,
                                         const posture::v1::EnrolRequest& request,
                                         const net::EnrolmentTrust& trust,
                                         std::chrono::milliseconds timeout,
                                         std::string* verifiedCaFingerprint);

// Posts a renewal request over mTLS with the agent's current certificate.
posture::v1::EnrolResponse sendRenewal(const AgentState& state, const std::string& csrPem,
                                       std::chrono::milliseconds timeout);

}  // namespace posture::uplink

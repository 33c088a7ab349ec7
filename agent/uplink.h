#pragma once
// Sending to the collector: enrolment (before the agent has a certificate) and reports
// over mTLS. Every failure throws UplinkError with a message meant for IT staff.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "agent/state.h"
#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"

namespace posture::agent {

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

// Posts the report and returns the collector's acknowledgement, which it sends only after
// the report is committed.
posture::v1::ReportAck sendReport(const AgentState& state, const posture::v1::Report& report,
                                  std::chrono::milliseconds timeout);
// The same for a report already serialized (from the spool) with that sequence number.
posture::v1::ReportAck sendReport(const AgentState& state, const std::string& body,
                                  std::uint64_t sequence, std::chrono::milliseconds timeout);

// Posts an enrolment request without a client certificate and without verifying the
// server (the CA is not known yet); *serverCertPem receives what the server presented.
posture::v1::EnrolResponse sendEnrolment(const std::string& collector,
                                         const posture::v1::EnrolRequest& request,
                                         std::chrono::milliseconds timeout,
                                         std::string* serverCertPem);

// Posts a renewal request over mTLS with the agent's current certificate.
posture::v1::EnrolResponse sendRenewal(const AgentState& state, const std::string& csrPem,
                                       std::chrono::milliseconds timeout);

}  // namespace posture::agent

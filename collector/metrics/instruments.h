#pragma once
// The collector's own metrics, in the one registry of the process: what the agent API,
// ingest and the listeners bump as they go. Gauges read from elsewhere (the fleet's
// figures, the database's size, process figures) are added by `serve` as callbacks.
#include <array>
#include <string_view>

#include "collector/metrics/registry.h"

namespace posture::collector::metrics {

// Why a report was not stored: a fixed set, the `cause` label of
// posture_reports_refused_total (the agent API's error codes, grouped).
enum class Refusal {
  CertificateRequired,  // 401: no verified client certificate
  UnknownAgent,         // 403 agent_unknown
  Revoked,              // 403 agent_revoked
  Superseded,           // 403 certificate_superseded
  CollectorIdentity,    // 403: a child collector's certificate on the report route
  BadContentType,       // 415
  TooLarge,             // 413: Content-Length above --max-body
  Malformed,            // 400: not a Report, no sequence, another agent's id
  SequenceConflict,     // 409
  Overloaded,           // 503: the ingest queue is full
  StorageError,         // 503: the batch could not be committed
  kCount
};
std::string_view refusalLabel(Refusal r);

struct Instruments {
  Instruments();
  Registry registry;
  Counter& reportsReceived;
  Counter& reportsAcknowledged;
  Counter& reportsDuplicate;
  std::array<Counter*, static_cast<std::size_t>(Refusal::kCount)> refused;
  Histogram& batchCommitSeconds;
  Gauge& ingestQueueDepth;

  void refuse(Refusal r) { refused[static_cast<std::size_t>(r)]->inc(); }
};

// The process's instruments (created on first use).
Instruments& instruments();

}  // namespace posture::collector::metrics

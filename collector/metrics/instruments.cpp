#include "collector/metrics/instruments.h"

namespace posture::collector::metrics {

std::string_view refusalLabel(Refusal r) {
  switch (r) {
    case Refusal::CertificateRequired: return "certificate_required";
    case Refusal::UnknownAgent: return "unknown_agent";
    case Refusal::Revoked: return "revoked";
    case Refusal::Superseded: return "superseded";
    case Refusal::CollectorIdentity: return "collector_identity";
    case Refusal::BadContentType: return "bad_content_type";
    case Refusal::TooLarge: return "too_large";
    case Refusal::Malformed: return "malformed";
    case Refusal::SequenceConflict: return "sequence_conflict";
    case Refusal::Overloaded: return "overloaded";
    case Refusal::StorageError: return "storage_error";
    case Refusal::kCount: break;
  }
  return "other";
}

Instruments::Instruments()
    : reportsReceived(registry.counter("posture_reports_received_total",
                                       "Report requests that reached the agent API.")),
      reportsAcknowledged(registry.counter(
          "posture_reports_acknowledged_total",
          "Reports stored and acknowledged (committed before the answer), duplicates excluded.")),
      reportsDuplicate(registry.counter(
          "posture_reports_duplicate_total",
          "Reports acknowledged again without being stored: that agent and sequence were stored.")),
      refused{},
      batchCommitSeconds(registry.histogram("posture_ingest_batch_commit_seconds",
                                            "Time to store and commit one batch of reports.",
                                            latencyBuckets())),
      ingestQueueDepth(registry.gauge("posture_ingest_queue_depth",
                                      "Reports and jobs waiting for the writer.")) {
  // Every cause from the start: a cause that never happened reads 0, not absent.
  for (std::size_t i = 0; i < refused.size(); ++i) {
    refused[i] = &registry.counter(
        "posture_reports_refused_total", "Reports refused, by cause; nothing of them was stored.",
        {{"cause", std::string(refusalLabel(static_cast<Refusal>(i)))}});
  }
}

Instruments& instruments() {
  static Instruments the;
  return the;
}

}  // namespace posture::collector::metrics

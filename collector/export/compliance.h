#pragma once
// The compliance list (danh sách tuân thủ): one row per endpoint, the observed value of
// every fact the checks read, and each check's result. The full auditor export (filters,
// metadata, targets, XLSX and JSON) is collector/export/export.h; this is its endpoint
// table for a plain fleet evaluation.
#include <string>

#include "collector/evaluation/fleet.h"

namespace posture::collector {

// CSV text (UTF-8 BOM, RFC 4180). Headers are bilingual ("Đơn vị / Unit"); values are
// Vietnamese unless vietnamese is false.
std::string complianceCsv(const FleetEvaluation& fleet, bool vietnamese);

}  // namespace posture::collector

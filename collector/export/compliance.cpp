#include "collector/export/compliance.h"

#include "collector/export/export.h"

namespace posture::collector {

std::string complianceCsv(const FleetEvaluation& fleet, bool vi) {
  return renderCsv(exportFromFleet(fleet, vi));
}

}  // namespace posture::collector

#pragma once
// `posture-collector remediation` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> remediationCommands();
extern const char* const kRemediationUsage;

}  // namespace posture::collector

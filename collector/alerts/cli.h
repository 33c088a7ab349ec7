#pragma once
// `posture-collector alerts …` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> alertsCommands();
extern const char* const kAlertsUsage;

}  // namespace posture::collector

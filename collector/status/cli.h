#pragma once
// `posture-collector status` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> statusCommands();
extern const char* const kStatusUsage;

}  // namespace posture::collector

#pragma once
// `posture-collector serve` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> serveCommands();
extern const char* const kServeUsage;

}  // namespace posture::collector

#pragma once
// `posture-collector user …` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> userCommands();
extern const char* const kUserUsage;

}  // namespace posture::collector

#pragma once
// The organization model's commands for posture-collector (registered in main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector::org {

std::vector<util::Command> orgCommands();
extern const char* const kOrgUsage;

}  // namespace posture::collector::org

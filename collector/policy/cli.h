#pragma once
// `posture-collector policy check` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> policyCommands();
extern const char* const kPolicyUsage;

}  // namespace posture::collector

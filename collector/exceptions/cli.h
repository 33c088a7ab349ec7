#pragma once
// `exceptions add|list|revoke` for posture-collector (registered in main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector::exceptions {

std::vector<util::Command> exceptionsCommands();
extern const char* const kExceptionsUsage;

}  // namespace posture::collector::exceptions

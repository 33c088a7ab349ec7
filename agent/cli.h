#pragma once
// posture-agent's commands and their usage text (the table main.cpp runs).
#include <vector>

#include "common/util/args.h"

namespace posture::agent {

std::vector<util::Command> agentCommands();
extern const char* const kAgentUsage;

}  // namespace posture::agent

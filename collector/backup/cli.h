#pragma once
// `posture-collector backup`, `backup verify` and `restore` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector::backup {

std::vector<util::Command> backupCommands();
extern const char* const kBackupUsage;

}  // namespace posture::collector::backup

#pragma once
// `posture-collector export` and `export verify` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> exportCommands();
extern const char* const kExportUsage;

}  // namespace posture::collector

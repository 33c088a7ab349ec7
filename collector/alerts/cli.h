#pragma once
// `posture-collector alerts …` and `contacts …` (registered in collector/main.cpp).
#include <vector>

#include "common/util/args.h"

namespace posture::collector {

std::vector<util::Command> alertsCommands();
extern const char* const kAlertsUsage;
// `posture-collector contacts …` (contacts_cli.cpp): the units' notice contacts.
std::vector<util::Command> contactsCommands();
extern const char* const kContactsUsage;

}  // namespace posture::collector

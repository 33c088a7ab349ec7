// posture-collector: the command table; each command lives in its module's cli.cpp.
#include "collector/alerts/cli.h"
#include "collector/auth/cli.h"
#include "collector/backup/cli.h"
#include "collector/enrolment/admin.h"
#include "collector/exceptions/cli.h"
#include "collector/export/cli.h"
#include "collector/org/cli.h"
#include "collector/policy/cli.h"
#include "collector/remediation/cli.h"
#include "collector/serve/cli.h"
#include "collector/status/cli.h"
#include "common/util/args.h"

int main(int argc, char** argv) {
  using namespace posture;
  using namespace posture::collector;
  std::vector<util::Command> commands;
  for (auto* module : {serveCommands, statusCommands, exportCommands, remediationCommands,
                       policyCommands, alertsCommands, contactsCommands, userCommands, enrolmentCommands,
                       org::orgCommands, exceptions::exceptionsCommands,
                       backup::backupCommands}) {
    for (auto& c : module()) commands.push_back(std::move(c));
  }
  static const std::string usage =
      std::string("posture-collector — máy chủ thu thập tình trạng an toàn thông tin\nUsage:\n") +
      kServeUsage + kStatusUsage + kExportUsage + kRemediationUsage + kPolicyUsage +
      kAlertsUsage + kContactsUsage + kUserUsage + kEnrolmentUsage + org::kOrgUsage +
      exceptions::kExceptionsUsage + backup::kBackupUsage;
  return util::runCommands("posture-collector", usage.c_str(), argc, argv, commands);
}

// `exceptions add|list|revoke`: risk acceptances recorded from the command line, as the
// console's admins record them (collector/exceptions/README.md).
#include "collector/exceptions/cli.h"

#include <cstdio>
#include <cstdlib>

#include "collector/audit/audit.h"
#include "collector/cli/options.h"
#include "collector/exceptions/exceptions.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"

namespace posture::collector::exceptions {
using cli::vietnamese;

const char* const kExceptionsUsage =
    R"(  posture-collector exceptions add --data-dir DIR (--endpoint AGENT_ID|HOSTNAME | --unit CODE)
                          --rule POLICY/CHECK|POLICY/TARGET --justification TEXT --approver NAME
                          --document NUMBER --expires YYYY-MM-DD [--policies DIR] [--lang vi|en]
  posture-collector exceptions list --data-dir DIR [--all] [--lang vi|en]
  posture-collector exceptions revoke ID --data-dir DIR [--lang vi|en]
)";

namespace {

std::string stateText(std::string_view state, bool vi) {
  if (!vi) return std::string(state);
  if (state == "active") return "còn hiệu lực";
  if (state == "expired") return "hết hạn";
  return "đã thu hồi";
}

void print(const RiskException& x, std::int64_t now, bool vi) {
  std::string who =
      x.scope == Scope::Unit
          ? "unit:" + x.subject
          : "endpoint:" + x.subject + (x.hostname.empty() ? "" : " (" + x.hostname + ")");
  std::printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(x.id),
              stateText(stateName(x, now), vi).c_str(), util::formatDate(x.expiresDay).c_str(),
              who.c_str(), x.rule.c_str(), x.document.c_str(), x.approver.c_str(),
              x.justification.c_str());
}

// Input errors exit 2 (util::runCommands) and name the field, like every other option.
template <typename F>
auto refusingInput(F&& f) {
  try {
    return f();
  } catch (const ExceptionError& e) {
    throw util::ArgsError(std::string("--") + e.what());  // "--expires: ..."
  }
}

int add(const std::vector<std::string>& argv) {
  util::Args a(argv,
               {"data-dir", "lang", "endpoint", "unit", "rule", "justification", "approver",
                "document", "expires", "policies"},
               {});
  bool vi = vietnamese(a);
  NewException r;
  r.endpoint = a.getOr("endpoint", "");
  r.unit = a.getOr("unit", "");
  r.rule = a.getOr("rule", "");
  r.justification = a.getOr("justification", "");
  r.approver = a.getOr("approver", "");
  r.document = a.getOr("document", "");
  r.expires = a.getOr("expires", "");
  auto db = openExistingDatabase(a.require("data-dir"));
  auto policies = policy::loadPolicyDirectory(cli::policyDir(a));
  std::int64_t now = util::unixNow();
  auto x = refusingInput([&] { return addException(*db, r, policies, cliActor(), now); });
  std::printf("%s %lld: %s\n", vi ? "Đã ghi ngoại lệ" : "Recorded exception",
              static_cast<long long>(x.id), reference(x, vi).c_str());
  return 0;
}

int list(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang"}, {"all"});
  bool vi = vietnamese(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  std::int64_t now = util::unixNow();
  for (const auto& x : listExceptions(*db)) {
    if (!a.flag("all") && stateName(x, now) != "active") continue;
    print(x, now, vi);
  }
  return 0;
}

int revoke(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang"}, {});
  bool vi = vietnamese(a);
  const auto& pos = a.positional();
  if (pos.size() != 1) throw util::ArgsError("give exactly one exception ID");
  char* end = nullptr;
  long long id = std::strtoll(pos[0].c_str(), &end, 10);
  if (pos[0].empty() || *end != '\0' || id <= 0)
    throw util::ArgsError("exception ID must be a positive number, got '" + pos[0] + "'");
  auto db = openExistingDatabase(a.require("data-dir"));
  auto x = refusingInput([&] { return revokeException(*db, id, cliActor(), util::unixNow()); });
  std::printf("%s %lld\n", vi ? "Đã thu hồi ngoại lệ" : "Revoked exception",
              static_cast<long long>(x.id));
  return 0;
}
}  // namespace

std::vector<util::Command> exceptionsCommands() {
  return {{{"exceptions", "add"}, add},
          {{"exceptions", "list"}, list},
          {{"exceptions", "revoke"}, revoke}};
}

}  // namespace posture::collector::exceptions

// `posture-collector contacts add|list|remove`: the units' own notice contacts.
#include <cstdio>

#include "collector/alerts/cli.h"
#include "collector/alerts/contacts.h"
#include "collector/audit/audit.h"
#include "collector/cli/options.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/time.h"

namespace posture::collector {
using cli::vietnamese;
using cli::when;

const char* const kContactsUsage =
    R"(  posture-collector contacts add --data-dir DIR --unit CODE --webhook URL|--syslog URL|--email ADDR
  posture-collector contacts remove --data-dir DIR --unit CODE --webhook URL|--syslog URL|--email ADDR
  posture-collector contacts list --data-dir DIR [--unit CODE] [--lang vi|en]
                          (a unit's notices go to its contacts and to its ancestors')
)";

namespace {

// Exactly one of --webhook, --syslog, --email.
std::pair<std::string, std::string> contactOption(const util::Args& a) {
  std::pair<std::string, std::string> out;
  int given = 0;
  for (const char* kind : {"webhook", "syslog", "email"}) {
    if (auto v = a.get(kind)) {
      out = {kind, *v};
      ++given;
    }
  }
  if (given != 1) {
    throw util::ArgsError(
        "cần đúng một trong --webhook URL, --syslog URL, --email ADDR / "
        "exactly one of --webhook URL, --syslog URL, --email ADDR is needed");
  }
  return out;
}

int contactsChange(const std::vector<std::string>& argv, bool add) {
  util::Args a(argv, {"data-dir", "unit", "webhook", "syslog", "email", "lang"}, {});
  bool vi = vietnamese(a);
  std::string unit = a.require("unit");
  auto [kind, address] = contactOption(a);
  auto db = openDatabase(a.require("data-dir"));
  try {
    if (add) {
      addContact(*db, unit, kind, address, cliActor(), util::unixNow());
      std::printf("%s %s: %s %s\n", vi ? "Đã thêm liên hệ cho đơn vị" : "Contact added to unit",
                  unit.c_str(), kind.c_str(), address.c_str());
      return 0;
    }
    if (!removeContact(*db, unit, kind, address, cliActor(), util::unixNow())) {
      throw util::ArgsError("--" + kind + ": đơn vị " + unit + " không có liên hệ này / unit " +
                            unit + " has no such contact: " + address);
    }
    std::printf("%s %s: %s %s\n", vi ? "Đã xoá liên hệ của đơn vị" : "Contact removed from unit",
                unit.c_str(), kind.c_str(), address.c_str());
    return 0;
  } catch (const ContactError& e) {
    throw util::ArgsError(e.what());
  }
}

int contactsList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "unit", "lang"}, {});
  bool vi = vietnamese(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  auto contacts = listContacts(*db, a.getOr("unit", ""));
  if (contacts.empty()) {
    std::printf("%s\n", vi ? "Chưa có liên hệ nào." : "No contacts yet.");
    return 0;
  }
  for (const auto& c : contacts) {
    std::printf("%s\t%s\t%s\t%s\t%s\n", c.unitCode.c_str(), c.kind.c_str(), c.address.c_str(),
                c.addedBy.c_str(), when(c.addedAt).c_str());
  }
  return 0;
}

}  // namespace

std::vector<util::Command> contactsCommands() {
  return {{{"contacts", "add"}, [](const auto& v) { return contactsChange(v, true); }},
          {{"contacts", "remove"}, [](const auto& v) { return contactsChange(v, false); }},
          {{"contacts", "list"}, contactsList}};
}

}  // namespace posture::collector

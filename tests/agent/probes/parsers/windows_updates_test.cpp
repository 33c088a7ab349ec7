#include "agent/probes/parsers/windows_updates.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace posture::agent;
using namespace posture::agent::parsers;

TEST_CASE("parseQfeInstalledOn reads the forms Win32_QuickFixEngineering returns") {
  CHECK(parseQfeInstalledOn("10/15/2023") == 1697328000);  // 2023-10-15
  CHECK(parseQfeInstalledOn("3/5/2024") == 1709596800);    // 2024-03-05, M/D without zeros
  CHECK(parseQfeInstalledOn("2023-10-15") == 1697328000);
  CHECK(parseQfeInstalledOn("20231015") == 1697328000);
  CHECK(parseQfeInstalledOn(" 10/15/2023 ") == 1697328000);
  // FILETIME in hex, as older systems report it.
  CHECK(parseQfeInstalledOn("01d9ff0a1b2c3d4e") == 1697334685);
  CHECK(parseQfeInstalledOn("01D9FF0A1B2C3D4E") == 1697334685);
  CHECK_FALSE(parseQfeInstalledOn(""));
  CHECK_FALSE(parseQfeInstalledOn("15/10/2023"));  // not M/D/Y
  CHECK_FALSE(parseQfeInstalledOn("2/30/2023"));
  CHECK_FALSE(parseQfeInstalledOn("10/15/23"));
  CHECK_FALSE(parseQfeInstalledOn("0000000000000000"));
  CHECK_FALSE(parseQfeInstalledOn("7fffffffffffffff"));  // year 30828
  CHECK_FALSE(parseQfeInstalledOn("yesterday"));
}

TEST_CASE("normaliseHotFixId keeps KB numbers only") {
  CHECK(normaliseHotFixId("KB5031356") == "KB5031356");
  CHECK(normaliseHotFixId(" kb5031356 ") == "KB5031356");
  CHECK(normaliseHotFixId("5031356") == "KB5031356");
  CHECK_FALSE(normaliseHotFixId("File 1"));
  CHECK_FALSE(normaliseHotFixId(""));
  CHECK_FALSE(normaliseHotFixId("KB"));
  CHECK_FALSE(normaliseHotFixId("Q123456"));
  CHECK_FALSE(normaliseHotFixId("KB5031356-v2"));
}

TEST_CASE("normaliseHotFixIds sorts numerically and drops duplicates") {
  // A recorded Windows 10 22H2 list, with the duplicates QFE shows after a reset history.
  std::vector<std::string> ids = {"KB5031356", "KB5028951", "kb5031356", "File 1",
                                  "KB890830",  "KB5011048", "KB5028951"};
  CHECK(normaliseHotFixIds(ids) ==
        std::vector<std::string>{"KB890830", "KB5011048", "KB5028951", "KB5031356"});
  CHECK(normaliseHotFixIds({}).empty());
}

TEST_CASE("classifyUpdate uses classification GUIDs and MSRC severity") {
  // 2023-10 Cumulative Update for Windows 11: Security Updates + product category.
  auto cu = classifyUpdate(
      {{"0fa1201d-4330-4fa8-8ae9-b877473b6441", "Security Updates", "UpdateClassification"},
       {"72e7624a-5b00-45d2-b92f-e561c0a6a160", "Windows 11", "Product"}},
      "Critical");
  CHECK(cu.security);
  CHECK(cu.critical);
  CHECK(cu.classification == "Security Updates");

  // Braces and upper case, severity Important: security but not critical.
  auto important = classifyUpdate(
      {{"{0FA1201D-4330-4FA8-8AE9-B877473B6441}", "Sicherheitsupdates", "UpdateClassification"}},
      "Important");
  CHECK(important.security);
  CHECK_FALSE(important.critical);

  // Defender definitions: not security, not critical.
  auto defs = classifyUpdate(
      {{"E0789628-CE08-4437-BE74-2495B842F43B", "Definition Updates", "UpdateClassification"},
       {"8c3fcc84-7410-4a95-8b89-a166a0190486", "Microsoft Defender Antivirus", "Product"}},
      "");
  CHECK(defs.definition);
  CHECK_FALSE(defs.security);
  CHECK(defs.classification == "Definition Updates");

  // "Critical Updates" are non-security fixes: critical classification, not MSRC Critical.
  auto crit = classifyUpdate(
      {{"e6cf1350-c01b-414d-a61f-263d14d133b4", "Critical Updates", "UpdateClassification"}}, "");
  CHECK(crit.criticalClassification);
  CHECK_FALSE(crit.critical);
  CHECK_FALSE(crit.security);

  auto rollup = classifyUpdate(
      {{"28BC880E-0592-4CBF-8F95-C79B17911D5F", "Update Rollups", "UpdateClassification"}}, "");
  CHECK(rollup.rollup);
  auto driver = classifyUpdate(
      {{"ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0", "Drivers", "UpdateClassification"}}, "");
  CHECK(driver.driver);
  auto upgrade = classifyUpdate(
      {{"3689BDC8-B205-4AF4-8D4A-A63924C5E9D5", "Upgrades", "UpdateClassification"}}, "");
  CHECK(upgrade.upgrade);

  // Without an ID the English name decides; a localised name alone does not.
  CHECK(classifyUpdate({{"", "Security Updates", ""}}, "").security);
  CHECK_FALSE(classifyUpdate({{"", "Mises à jour de la sécurité", ""}}, "").security);
  // A severity alone (security bulletin without classification) is security.
  CHECK(classifyUpdate({}, "Moderate").security);
  CHECK(classifyUpdate({}, "critical").critical);
}

TEST_CASE("summarisePending counts") {
  std::vector<UpdateClass> u(4);
  u[0].security = true;
  u[0].critical = true;
  u[1].security = true;
  u[2].definition = true;
  auto s = summarisePending(u);
  CHECK(s.total == 4);
  CHECK(s.security == 2);
  CHECK(s.critical == 1);
  CHECK(s.definition == 1);
}

TEST_CASE("lastSuccessfulInstall reads WUA history") {
  std::vector<HistoryEntry> h = {
      {1, 2, 45214.0625},  // installation succeeded 2023-10-15 01:30 UTC
      {1, 4, 45220.0},     // a later failure
      {2, 2, 45230.0},     // a later uninstallation
      {1, 3, 45210.5},     // earlier, succeeded with errors
  };
  CHECK(lastSuccessfulInstall(h) == 1697333400);
  CHECK_FALSE(lastSuccessfulInstall({{1, 4, 45220.0}}));
  CHECK_FALSE(lastSuccessfulInstall({}));
}

TEST_CASE("decodeAutomaticUpdates reads the Windows Update policy") {
  CHECK(decodeAutomaticUpdates(std::nullopt, std::nullopt, std::nullopt, false, false).state ==
        Tristate::On);
  auto server = decodeAutomaticUpdates(std::nullopt, std::nullopt, std::nullopt, false, true);
  CHECK(server.state == Tristate::Unknown);
  CHECK(server.reason == "no Windows Update policy or AUOptions set on this server");

  auto off = decodeAutomaticUpdates(1u, 4u, std::nullopt, false, false);
  CHECK(off.state == Tristate::Off);
  CHECK(off.reason == "Group Policy turns automatic updates off (NoAutoUpdate=1)");
  CHECK(decodeAutomaticUpdates(0u, 4u, std::nullopt, false, false).state == Tristate::On);
  auto notify = decodeAutomaticUpdates(0u, 3u, std::nullopt, false, false);
  CHECK(notify.state == Tristate::Off);
  CHECK(notify.reason == "policy AUOptions=3: download and notify to install");
  CHECK(decodeAutomaticUpdates(std::nullopt, 2u, std::nullopt, false, false).state ==
        Tristate::Off);
  CHECK(decodeAutomaticUpdates(std::nullopt, 7u, std::nullopt, false, true).state == Tristate::Off);
  CHECK(decodeAutomaticUpdates(std::nullopt, 5u, std::nullopt, false, false).state ==
        Tristate::Unknown);
  CHECK(decodeAutomaticUpdates(std::nullopt, 9u, std::nullopt, false, false).reason ==
        "unrecognised policy AUOptions=9");
  // sconfig on a server writes the local value.
  CHECK(decodeAutomaticUpdates(std::nullopt, std::nullopt, 4u, false, true).state == Tristate::On);
  auto never = decodeAutomaticUpdates(std::nullopt, std::nullopt, 1u, false, true);
  CHECK(never.state == Tristate::Off);
  CHECK(never.reason == "local AUOptions=1: never check for updates");
  // The policy wins over the local value.
  CHECK(decodeAutomaticUpdates(std::nullopt, 3u, 4u, false, true).state == Tristate::Off);
  auto disabled = decodeAutomaticUpdates(std::nullopt, 4u, std::nullopt, true, false);
  CHECK(disabled.state == Tristate::Off);
  CHECK(disabled.reason == "the Windows Update service (wuauserv) is disabled");
}

TEST_CASE("decodeRebootRequired") {
  RebootMarks none;
  CHECK(decodeRebootRequired(none).state == Tristate::Off);
  CHECK(decodeRebootRequired(none).reason.empty());

  RebootMarks cbs;
  cbs.cbsRebootPending = true;
  cbs.wuaRebootRequired = true;
  auto r = decodeRebootRequired(cbs);
  CHECK(r.state == Tristate::On);
  CHECK(r.reason ==
        "reboot pending: Component Based Servicing RebootPending, Windows Update Agent "
        "RebootRequired");

  RebootMarks wu;
  wu.wuRebootRequired = true;
  CHECK(decodeRebootRequired(wu).state == Tristate::On);

  RebootMarks rename;
  rename.pendingFileRenameOperations = true;
  auto noise = decodeRebootRequired(rename);
  CHECK(noise.state == Tristate::Off);
  CHECK(noise.reason ==
        "PendingFileRenameOperations is set (not counted: installers and anti-malware updates "
        "leave it set)");

  RebootMarks unread;
  unread.registryRead = false;
  CHECK(decodeRebootRequired(unread).state == Tristate::Unknown);
  unread.wuaRebootRequired = false;
  CHECK(decodeRebootRequired(unread).state == Tristate::Off);
}

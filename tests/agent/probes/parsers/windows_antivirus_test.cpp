#include "agent/probes/parsers/windows_antivirus.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace posture::agent;
using namespace posture::agent::parsers;

namespace {

struct Expected {
  std::uint32_t value;
  std::uint8_t providers;
  ScannerState scanner;
  bool microsoft;
  Tristate realTime;
  Tristate upToDate;
};

}  // namespace

TEST_CASE("decodeProductState decodes recorded Security Center values") {
  // Values recorded from root\SecurityCenter2 AntiVirusProduct on real hosts and in the
  // public scripts that tabulate them.
  const std::vector<Expected> table = {
      {266240, 0x04, ScannerState::On, false, Tristate::On,
       Tristate::On},  // 0x041000 third party on
      {262144, 0x04, ScannerState::Off, false, Tristate::Off, Tristate::On},  // 0x040000 off
      {266256, 0x04, ScannerState::On, false, Tristate::On,
       Tristate::Off},  // 0x041010 on, outdated
      {262160, 0x04, ScannerState::Off, false, Tristate::Off,
       Tristate::Off},  // 0x040010 off, outdated
      {397568, 0x06, ScannerState::On, true, Tristate::On,
       Tristate::On},  // 0x061100 healthy Defender
      {397584, 0x06, ScannerState::On, true, Tristate::On,
       Tristate::Off},  // 0x061110 Defender, outdated
      {393472, 0x06, ScannerState::Off, true, Tristate::Off,
       Tristate::On},  // 0x060100 Defender off (another AV)
      {401664, 0x06, ScannerState::Snoozed, true, Tristate::Off,
       Tristate::On},  // 0x062100 Defender snoozed
      {405760, 0x06, ScannerState::Expired, true, Tristate::Off, Tristate::On},  // 0x063100 expired
      {393216, 0x06, ScannerState::Off, false, Tristate::Off,
       Tristate::On},  // 0x060000 Malwarebytes, not primary
      {397312, 0x06, ScannerState::On, false, Tristate::On,
       Tristate::On},  // 0x061000 third party on
  };
  for (const auto& e : table) {
    CAPTURE(e.value);
    auto s = decodeProductState(e.value);
    CHECK(s.providers == e.providers);
    CHECK(s.scanner == e.scanner);
    CHECK(s.microsoftProduct == e.microsoft);
    CHECK(s.realTimeProtection == e.realTime);
    CHECK(s.upToDate == e.upToDate);
  }
  CHECK((decodeProductState(397568).providers & kWscProviderAntivirus) != 0);
  CHECK((decodeProductState(397568).providers & kWscProviderAutoUpdate) != 0);
}

TEST_CASE("decodeProductState leaves undocumented nibbles unknown") {
  auto s = decodeProductState(0x045020);
  CHECK(s.scanner == ScannerState::Unknown);
  CHECK(s.realTimeProtection == Tristate::Unknown);
  CHECK(s.upToDate == Tristate::Unknown);
  CHECK(productStateHex(397568) == "0x061100");
  CHECK(productStateHex(266240) == "0x041000");
  CHECK(scannerStateName(ScannerState::Snoozed) == "snoozed");
}

TEST_CASE("identifyVendor recognises the products the agent knows by their display names") {
  CHECK(identifyVendor("Windows Defender") == AvVendor::Microsoft);
  CHECK(identifyVendor("Microsoft Defender Antivirus") == AvVendor::Microsoft);
  CHECK(identifyVendor("Kaspersky Endpoint Security for Windows") == AvVendor::Kaspersky);
  CHECK(identifyVendor("Kaspersky Small Office Security") == AvVendor::Kaspersky);
  CHECK(identifyVendor("ESET Endpoint Antivirus") == AvVendor::Eset);
  CHECK(identifyVendor("ESET Security") == AvVendor::Eset);
  CHECK(identifyVendor("BKAV Pro Internet Security") == AvVendor::Bkav);
  CHECK(identifyVendor("Bkav Endpoint") == AvVendor::Bkav);
  CHECK(identifyVendor("Malwarebytes") == AvVendor::Other);
  CHECK(vendorName(AvVendor::Eset) == "ESET");
  CHECK(vendorName(AvVendor::Other).empty());
}

TEST_CASE("decodeRunningMode reads AMRunningMode") {
  CHECK(decodeRunningMode("Normal").passive == Tristate::Off);
  CHECK(decodeRunningMode("Passive").passive == Tristate::On);
  CHECK(decodeRunningMode("Passive Mode").passive == Tristate::On);
  CHECK(decodeRunningMode("SxS Passive Mode").passive == Tristate::On);
  auto edr = decodeRunningMode("EDR Block Mode");
  CHECK(edr.passive == Tristate::On);
  CHECK(edr.edrBlockMode);
  CHECK(decodeRunningMode("").passive == Tristate::Unknown);
  CHECK(decodeRunningMode("Not running").passive == Tristate::Unknown);
}

TEST_CASE("defenderProduct from a healthy Windows 11 MSFT_MpComputerStatus") {
  // Values as Get-MpComputerStatus shows them in Microsoft's documentation example
  // (platform 4.18.24050.7), the time taken at UTC+7.
  DefenderStatus s;
  s.amServiceEnabled = true;
  s.antivirusEnabled = true;
  s.realTimeProtectionEnabled = true;
  s.defenderSignaturesOutOfDate = false;
  s.amProductVersion = "4.18.24050.7";
  s.antivirusSignatureVersion = "1.413.48.0";
  s.amRunningMode = "Normal";
  s.antivirusSignatureLastUpdated = "20240605083000.000000+420";
  s.antivirusSignatureAge = 0;
  std::vector<std::string> notes;
  auto p = defenderProduct(s, 1717551000 + 3600, notes);
  CHECK(p.name == "Microsoft Defender Antivirus");
  CHECK(p.vendor == "Microsoft");
  CHECK(p.realTimeProtection == Tristate::On);
  CHECK(p.upToDate == Tristate::On);
  CHECK(p.passiveMode == Tristate::Off);
  CHECK(p.serviceRunning == Tristate::On);
  CHECK(p.signatureVersion == "1.413.48.0");
  CHECK(p.productVersion == "4.18.24050.7");
  CHECK(p.signatureTime == 1717551000);
  CHECK(p.managed == Tristate::Unknown);
  CHECK(notes.empty());
}

TEST_CASE(
    "defenderProduct in passive mode beside another product, onboarded to Defender for Endpoint") {
  DefenderStatus s;
  s.amServiceEnabled = true;
  s.antivirusEnabled = true;
  s.realTimeProtectionEnabled = true;  // stays true in passive mode with Endpoint DLP
  s.amRunningMode = "Passive Mode";
  s.antivirusSignatureAge = 12;
  s.mdeOnboardingState = 1;
  std::vector<std::string> notes;
  auto p = defenderProduct(s, 1717551000, notes);
  CHECK(p.passiveMode == Tristate::On);
  CHECK(p.realTimeProtection == Tristate::Off);
  CHECK(p.upToDate == Tristate::Off);  // 12 days > 7
  CHECK(p.managed == Tristate::On);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0] == "Microsoft Defender Antivirus is in passive mode");
}

TEST_CASE("defenderProduct without newer properties falls back to the signature time") {
  DefenderStatus s;
  s.amServiceEnabled = false;
  s.antivirusEnabled = true;
  s.realTimeProtectionEnabled = true;
  s.antivirusSignatureAge = 4294967295u;  // never
  s.antivirusSignatureLastUpdated = "20240101000000.000000+000";
  std::vector<std::string> notes;
  auto p = defenderProduct(s, 1704067200 + 8 * 86400, notes);
  CHECK(p.realTimeProtection == Tristate::Off);  // the service is not running
  CHECK(p.serviceRunning == Tristate::Off);
  CHECK(p.passiveMode == Tristate::Unknown);
  CHECK(p.upToDate == Tristate::Off);
  CHECK(notes.empty());

  DefenderStatus bad;
  bad.antivirusSignatureLastUpdated = "yesterday";
  bad.amRunningMode = "Sideways";
  auto q = defenderProduct(bad, 0, notes);
  CHECK(q.upToDate == Tristate::Unknown);
  CHECK(q.realTimeProtection == Tristate::Unknown);
  CHECK(notes == std::vector<std::string>{"unrecognised AntivirusSignatureLastUpdated 'yesterday'",
                                          "unrecognised AMRunningMode 'Sideways'"});
}

TEST_CASE("signaturesFresh allows seven days") {
  CHECK(signaturesFresh(1000, 1000 + 7 * 86400) == Tristate::On);
  CHECK(signaturesFresh(1000, 1000 + 7 * 86400 + 1) == Tristate::Off);
  CHECK(signaturesFresh(std::nullopt, 1000) == Tristate::Unknown);
}

TEST_CASE("parseEsetScannerVersion reads the detection engine version and date") {
  auto v = parseEsetScannerVersion("27105 (20230415)");
  REQUIRE(v);
  CHECK(v->version == "27105");
  CHECK(v->date == 1681516800);  // 2023-04-15 00:00 UTC
  auto old = parseEsetScannerVersion("24246 (20211105)");
  REQUIRE(old);
  CHECK(old->date == 1636070400);
  auto bare = parseEsetScannerVersion("27105");
  REQUIRE(bare);
  CHECK(bare->version == "27105");
  CHECK_FALSE(bare->date);
  auto badDate = parseEsetScannerVersion("27105 (20231345)");
  REQUIRE(badDate);
  CHECK_FALSE(badDate->date);
  CHECK_FALSE(parseEsetScannerVersion(""));
  CHECK_FALSE(parseEsetScannerVersion("(20230415)"));
  CHECK_FALSE(parseEsetScannerVersion("27105 (20230415"));
}

TEST_CASE("kasperskyUpdateTime reads LastSuccessfulUpdate") {
  CHECK(kasperskyUpdateTime(1697333400u) == 1697333400);
  CHECK_FALSE(kasperskyUpdateTime(0xffffffffu));
  CHECK_FALSE(kasperskyUpdateTime(0u));
  CHECK_FALSE(kasperskyUpdateTime(std::nullopt));
}

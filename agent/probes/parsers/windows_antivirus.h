#pragma once
// Anti-malware state on Windows as the Windows probe reads it: Security Center's
// AntiVirusProduct.productState, Microsoft Defender's MSFT_MpComputerStatus values, and
// the registry values of Kaspersky and ESET. Pure functions, tested on Linux.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/probes/antivirus.h"

namespace posture::agent::parsers {

// ---- Security Center (root\SecurityCenter2 AntiVirusProduct.productState) ----
//
// Microsoft does not document the productState bit layout; what follows is the layout
// every public decoder converged on and that recorded values confirm (a healthy Defender
// reads 397568 = 0x061100 while MSFT_MpComputerStatus says AMRunningMode "Normal" and
// RealTimeProtectionEnabled True; a registered but inactive third party reads 0x060000):
//   bits 16-23  the WSC_SECURITY_PROVIDER flags of the product (documented enum,
//               wscapi.h: FIREWALL 0x01, AUTOUPDATE_SETTINGS 0x02, ANTIVIRUS 0x04,
//               ANTISPYWARE 0x08, INTERNET_SETTINGS 0x10, USER_ACCOUNT_CONTROL 0x20,
//               SERVICE 0x40)
//   bits 12-15  scanner state: 0 off, 1 on, 2 snoozed, 3 expired (the order of the
//               documented WSC_SECURITY_PRODUCT_STATE names, iwscapi.h)
//   bits  8-11  1 when the product is Microsoft's own (Defender), else 0
//   bits  4-7   signatures: 0 up to date, 1 out of date
// The older reading "byte 1: 0x10 on, 0x00 off, 0x01 snoozed, 0x11 expired" is wrong:
// it takes Defender's owner bit for a state and calls every healthy Defender expired.
enum class ScannerState { Off, On, Snoozed, Expired, Unknown };

struct SecurityCenterState {
  std::uint8_t providers = 0;  // WSC_SECURITY_PROVIDER flags
  ScannerState scanner = ScannerState::Unknown;
  bool microsoftProduct = false;
  bool signaturesOutOfDate = false;
  bool signatureStatusKnown = false;                // the nibble was 0 or 1
  Tristate realTimeProtection = Tristate::Unknown;  // On only when the scanner is on
  Tristate upToDate = Tristate::Unknown;
};

constexpr std::uint8_t kWscProviderFirewall = 0x01;
constexpr std::uint8_t kWscProviderAutoUpdate = 0x02;
constexpr std::uint8_t kWscProviderAntivirus = 0x04;
constexpr std::uint8_t kWscProviderAntispyware = 0x08;

SecurityCenterState decodeProductState(std::uint32_t productState);
// "0x061100"
std::string productStateHex(std::uint32_t productState);
// "on", "off", "snoozed", "expired", "unknown"
std::string scannerStateName(ScannerState s);

// ---- Vendors ----
enum class AvVendor { Microsoft, Kaspersky, Eset, Bkav, Other };

// From a product's display name ("Windows Defender", "Kaspersky Endpoint Security for
// Windows", "ESET Endpoint Antivirus", "Bkav Pro Internet Security", ...), case-blind.
AvVendor identifyVendor(std::string_view displayName);
// "Microsoft", "Kaspersky", "ESET", "Bkav", "" for Other.
std::string vendorName(AvVendor v);

// ---- Microsoft Defender Antivirus (root\Microsoft\Windows\Defender) ----
//
// AMRunningMode (MSFT_MpComputerStatus; Microsoft Learn, "Microsoft Defender Antivirus
// compatibility with other security products": "Normal", "Passive" or "EDR Block Mode").
// Recorded hosts also show "Passive Mode" and "SxS Passive Mode" (side by side, limited
// periodic scanning), both passive. EDR in block mode runs only while Defender is not the
// primary antivirus, so it counts as passive too; any other text is Unknown.
struct DefenderRunningMode {
  Tristate passive = Tristate::Unknown;
  bool edrBlockMode = false;
};
DefenderRunningMode decodeRunningMode(std::string_view amRunningMode);

// The values of MSFT_MpComputerStatus the probe reads (names as in the class).
struct DefenderStatus {
  std::optional<bool> amServiceEnabled;
  std::optional<bool> antivirusEnabled;
  std::optional<bool> realTimeProtectionEnabled;
  std::optional<bool> defenderSignaturesOutOfDate;  // newer platforms only
  std::string amProductVersion;
  std::string antivirusSignatureVersion;
  std::string amRunningMode;
  std::string antivirusSignatureLastUpdated;           // CIM DATETIME text
  std::optional<std::uint32_t> antivirusSignatureAge;  // days
  // HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status OnboardingState
  // (1 = onboarded to Microsoft Defender for Endpoint; Microsoft Learn, "Troubleshoot
  // Microsoft Defender for Endpoint onboarding issues"); unset when absent.
  std::optional<std::uint32_t> mdeOnboardingState;
};

// The number of days after which Defender itself calls its signatures out of date unless
// a policy says otherwise (Group Policy "Define the number of days before virus security
// intelligence is considered out of date", default 7), also the agent's ClamAV threshold.
constexpr std::int64_t kSignatureMaxAgeDays = 7;

// Product record of Defender: real-time protection On only when the service, the
// antivirus and real-time protection are all enabled and it is not passive; up to date
// from DefenderSignaturesOutOfDate, else from the signature age or time (at most 7 days);
// managed On when onboarded to Defender for Endpoint, otherwise Unknown (Intune,
// Configuration Manager and Group Policy leave no single mark). Notes explain what was
// not known.
AntivirusProduct defenderProduct(const DefenderStatus& s, std::int64_t now,
                                 std::vector<std::string>& notes);

// Up to date when the newest signature is at most kSignatureMaxAgeDays old at `now`.
Tristate signaturesFresh(std::optional<std::int64_t> signatureTime, std::int64_t now);

// ---- ESET (HKLM\SOFTWARE\ESET\ESET Security\CurrentVersion\Info) ----
// ScannerVersion is "<detection engine version> (<yyyymmdd>)", e.g. "27105 (20230415)",
// the form ESET shows in its About window and that inventory agents (GLPI agent) read.
// The date is the engine's build date, taken as 00:00 UTC. Inferred from observed values:
// ESET documents the window, not the registry value.
struct EsetScannerVersion {
  std::string version;
  std::optional<std::int64_t> date;
};
std::optional<EsetScannerVersion> parseEsetScannerVersion(std::string_view text);

// ---- Kaspersky (HKLM\SOFTWARE\[WOW6432Node\]KasperskyLab\protected\<product>\Data) ----
// LastSuccessfulUpdate is a DWORD of Unix seconds, 0xFFFFFFFF (or 0) when bases were
// never updated. As read by inventory agents (GLPI agent); Kaspersky documents no
// registry interface, so this is inferred, not documented.
std::optional<std::int64_t> kasperskyUpdateTime(std::optional<std::uint32_t> lastSuccessfulUpdate);

}  // namespace posture::agent::parsers

#pragma once
// Windows patch state as the Windows probe reads it: Win32_QuickFixEngineering rows,
// Windows Update Agent (WUA) categories, severities and history, the Windows Update
// policy and the reboot-pending registry marks. Pure functions, tested on Linux.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent::parsers {

// ---- Win32_QuickFixEngineering ----

// InstalledOn as found in the wild: "10/15/2023" (M/D/YYYY, what WMI writes whatever the
// locale), "2023-10-15", "20231015", and on older systems a FILETIME in 16 hex digits
// ("01d9ff0a1b2c3d4e"). Dates are taken as 00:00 UTC. nullopt when empty or unrecognised.
std::optional<std::int64_t> parseQfeInstalledOn(std::string_view text);

// HotFixID to "KB<digits>": trims, upper-cases, adds the missing "KB" to bare digits.
// nullopt for what is not a KB number ("File 1", empty, "Q123456").
std::optional<std::string> normaliseHotFixId(std::string_view id);

// Normalised, without duplicates, in KB number order.
std::vector<std::string> normaliseHotFixIds(const std::vector<std::string>& ids);

// ---- Windows Update Agent: what a pending update is ----

// Update classification GUIDs (Microsoft Learn, WSUS classifications / "Windows Update
// for Business" deferral categories), upper-case.
inline constexpr std::string_view kCategorySecurityUpdates = "0FA1201D-4330-4FA8-8AE9-B877473B6441";
inline constexpr std::string_view kCategoryCriticalUpdates = "E6CF1350-C01B-414D-A61F-263D14D133B4";
inline constexpr std::string_view kCategoryDefinitionUpdates =
    "E0789628-CE08-4437-BE74-2495B842F43B";
inline constexpr std::string_view kCategoryUpdateRollups = "28BC880E-0592-4CBF-8F95-C79B17911D5F";
inline constexpr std::string_view kCategoryUpdates = "CD5FFD1E-E932-4E3A-BF74-18BF0B1BBD83";
inline constexpr std::string_view kCategoryServicePacks = "68C5B0A3-D1A6-4553-AE49-01D3A7827828";
inline constexpr std::string_view kCategoryFeaturePacks = "B54E7D24-7ADD-428F-8B75-90A396FA584F";
inline constexpr std::string_view kCategoryTools = "B4832BD8-E735-4761-8DAF-37F882276DAB";
inline constexpr std::string_view kCategoryDrivers = "EBFC1FC5-71A4-4F7B-9ACA-3B9A503104A0";
inline constexpr std::string_view kCategoryUpgrades = "3689BDC8-B205-4AF4-8D4A-A63924C5E9D5";

// One ICategory of an IUpdate: CategoryID (GUID text, any case, braces allowed), Name
// (localised: used only when the ID is missing) and Type ("UpdateClassification",
// "Product", ...).
struct WuaCategory {
  std::string id;
  std::string name;
  std::string type;
};

struct UpdateClass {
  bool security = false;                // classification Security Updates, or an MSRC severity set
  bool critical = false;                // MsrcSeverity "Critical"
  bool criticalClassification = false;  // "Critical Updates": non-security critical fixes
  bool definition = false;              // anti-malware definitions
  bool rollup = false;
  bool driver = false;
  bool upgrade = false;        // feature update to a new Windows version
  std::string classification;  // English name of the classification found, or ""
};

// MsrcSeverity (IUpdate::MsrcSeverity: "Critical", "Important", "Moderate", "Low", or
// empty for updates that are not security bulletins).
UpdateClass classifyUpdate(const std::vector<WuaCategory>& categories,
                           std::string_view msrcSeverity);

struct PendingSummary {
  std::uint32_t total = 0;
  std::uint32_t security = 0;
  std::uint32_t critical = 0;
  std::uint32_t definition = 0;
};
PendingSummary summarisePending(const std::vector<UpdateClass>& updates);

// ---- Windows Update Agent: history ----

// IUpdateHistoryEntry: Operation (uoInstallation = 1, uoUninstallation = 2), ResultCode
// (orcNotStarted 0, orcInProgress 1, orcSucceeded 2, orcSucceededWithErrors 3,
// orcFailed 4, orcAborted 5) and Date (OLE DATE, UTC).
struct HistoryEntry {
  int operation = 0;
  int resultCode = 0;
  double date = 0;
};
// The newest successful (or succeeded-with-errors) installation, in Unix seconds.
std::optional<std::int64_t> lastSuccessfulInstall(const std::vector<HistoryEntry>& entries);

// ---- Policy and reboot ----

// Whether updates install without a person. Inputs:
//   policy: HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU NoAutoUpdate and
//     AUOptions (Microsoft Learn, "Configure Automatic Updates by using Group Policy" and
//     "Manage additional Windows Update settings"): NoAutoUpdate 1 turns automatic updates
//     off; AUOptions 2 notify before download, 3 download and notify to install, 4
//     download and install on a schedule, 5 local administrator chooses, 7 download,
//     notify to install, notify to restart (Windows Server 2016 and later);
//   local: HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update
//     AUOptions, the same numbers plus 1 "never check" (what sconfig sets on Windows
//     Server), read only when no policy sets AUOptions;
//   wuauservDisabled: the Windows Update service's start type is Disabled;
//   server: InstallationType is not "Client".
// On only for 4; with nothing configured a client is On (Windows 10 and 11 download and
// install by default) and a server Unknown (its default depends on how it was set up).
struct AutomaticUpdates {
  Tristate state = Tristate::Unknown;
  std::string reason;  // says why, for the outcome notes
};
AutomaticUpdates decodeAutomaticUpdates(std::optional<std::uint32_t> noAutoUpdate,
                                        std::optional<std::uint32_t> auOptions,
                                        std::optional<std::uint32_t> localAuOptions,
                                        bool wuauservDisabled, bool server);

// Reboot pending from the marks Windows leaves:
//   HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending
//   HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired
//   ISystemInformation::RebootRequired of the Windows Update Agent (nullopt: not read)
// Session Manager's PendingFileRenameOperations is not counted: installers, drivers and
// anti-malware updates leave it set for days, so on its own it is noise; it is noted.
struct RebootMarks {
  bool cbsRebootPending = false;
  bool wuRebootRequired = false;
  std::optional<bool> wuaRebootRequired;
  bool pendingFileRenameOperations = false;
  bool registryRead = true;  // false: the keys could not be opened (not "absent")
};
struct RebootState {
  Tristate state = Tristate::Unknown;
  std::string reason;
};
RebootState decodeRebootRequired(const RebootMarks& marks);

}  // namespace posture::agent::parsers

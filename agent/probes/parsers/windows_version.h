#pragma once
// Windows name, version and build from the registry values of
// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion, and the processor architecture of
// GetNativeSystemInfo. Pure functions, tested on Linux.
#include <cstdint>
#include <optional>
#include <string>

namespace posture::agent::parsers {

struct WindowsVersionValues {
  std::string productName;           // "Windows 10 Pro" (still "Windows 10" on Windows 11)
  std::string displayVersion;        // "23H2" (Windows 10 20H2 and later)
  std::string releaseId;             // "1809", "2009" (frozen at 2009 since 20H2)
  std::string currentVersion;        // "6.3" (frozen since Windows 8.1)
  std::string currentBuildNumber;    // "22631"
  std::optional<std::uint32_t> ubr;  // update build revision: 2428
  std::string installationType;      // "Client", "Server", "Server Core", "Nano Server"
};

struct WindowsVersion {
  std::string name;     // "Windows 11 Pro", "Windows Server 2022 Standard"
  std::string version;  // "23H2", else ReleaseId, else CurrentVersion
  std::string build;    // "22631.2428"
  std::uint32_t buildNumber = 0;
  bool server = false;
};

// Windows 11 keeps "Windows 10" in ProductName: a client of build 22000 or later is
// named Windows 11. A server whose ProductName has no year (semi-annual channel,
// "Windows Server Datacenter") gets the year of its long-term build: 14393 2016,
// 17763 2019, 20348 2022, 26100 2025 (Microsoft Learn, "Windows Server release
// information"). A leading "Microsoft " is dropped. InstallationType decides client or
// server; without it, a ProductName containing "Server".
WindowsVersion describeWindows(const WindowsVersionValues& v);

// SYSTEM_INFO.wProcessorArchitecture (PROCESSOR_ARCHITECTURE_*: INTEL 0, ARM 5, IA64 6,
// AMD64 9, ARM64 12) in the names uname(2) gives on Linux: "x86", "arm", "ia64",
// "x86_64", "aarch64"; "unknown (<n>)" otherwise.
std::string architectureName(std::uint16_t processorArchitecture);

}  // namespace posture::agent::parsers

// Identity on Windows: the DNS host name, the edition and version from
// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion (named by parsers::describeWindows),
// the kernel version from RtlGetVersion (not subject to the manifest-based version lie of
// GetVersionEx) and the processor architecture from GetNativeSystemInfo.
#include "agent/probes/identity.h"

#include "agent/probes/parsers/windows_version.h"
#include "agent/probes/windows/com.h"

#ifndef POSTURE_VERSION
#error "POSTURE_VERSION must be defined by the build"
#endif

namespace posture::agent {
namespace {

constexpr const wchar_t* kCurrentVersion = L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";

std::string regText(const wchar_t* value) {
  auto s = win::regString(HKEY_LOCAL_MACHINE, kCurrentVersion, value);
  return s ? win::toUtf8(*s) : std::string();
}

// RtlGetVersion's major.minor.build; empty when ntdll does not export it.
std::string kernelVersion() {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (!ntdll) return {};
  FARPROC proc = ::GetProcAddress(ntdll, "RtlGetVersion");
  if (!proc) return {};
  auto fn = reinterpret_cast<RtlGetVersionFn>(reinterpret_cast<void (*)()>(proc));
  OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof info;
  if (fn(&info) != 0) return {};
  return std::to_string(info.dwMajorVersion) + "." + std::to_string(info.dwMinorVersion) + "." +
         std::to_string(info.dwBuildNumber);
}

}  // namespace

IdentityResult probeIdentity(const ProbeContext&) {
  IdentityResult r;
  r.agentVersion = POSTURE_VERSION;

  wchar_t host[256];
  DWORD size = 256;
  if (::GetComputerNameExW(ComputerNameDnsHostname, host, &size)) {
    r.hostname = win::toUtf8(std::wstring_view(host, size));
  } else {
    r.outcome.fail(ProbeStatus::Error,
                   "GetComputerNameExW: " + win::describe(HRESULT_FROM_WIN32(::GetLastError())));
  }

  SYSTEM_INFO si{};
  ::GetNativeSystemInfo(&si);
  r.architecture = parsers::architectureName(si.wProcessorArchitecture);

  parsers::WindowsVersionValues v;
  v.productName = regText(L"ProductName");
  v.displayVersion = regText(L"DisplayVersion");
  v.releaseId = regText(L"ReleaseId");
  v.currentVersion = regText(L"CurrentVersion");
  v.currentBuildNumber = regText(L"CurrentBuildNumber");
  if (v.currentBuildNumber.empty()) v.currentBuildNumber = regText(L"CurrentBuild");
  v.ubr = win::regDword(HKEY_LOCAL_MACHINE, kCurrentVersion, L"UBR");
  v.installationType = regText(L"InstallationType");

  auto kernel = kernelVersion();
  if (v.productName.empty() && v.currentBuildNumber.empty()) {
    r.outcome.fail(ProbeStatus::Unavailable,
                   "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion has no ProductName or "
                   "CurrentBuildNumber" +
                       win::underWine());
    r.kernel = kernel;
    return r;
  }
  auto w = parsers::describeWindows(v);
  r.osName = w.name;
  r.osVersion = w.version;
  r.osBuild = w.build;
  // The kernel is the NT version with the update revision: "10.0.22631.2428".
  r.kernel = kernel.empty() ? w.build : (v.ubr ? kernel + "." + std::to_string(*v.ubr) : kernel);
  if (v.productName.empty()) r.outcome.note("no ProductName in the registry");
  if (w.version.empty())
    r.outcome.note("no DisplayVersion, ReleaseId or CurrentVersion in the registry");
  if (auto wine = win::wineVersion(); !wine.empty()) {
    r.outcome.note("running under " + wine + ": the Windows version is the one Wine imitates");
  }
  return r;
}

}  // namespace posture::agent

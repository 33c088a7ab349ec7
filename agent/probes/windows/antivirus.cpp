// Anti-malware on Windows, through WMI and the registry (never PowerShell):
//   1. Security Center, root\SecurityCenter2 AntiVirusProduct: every registered product
//      with its productState (parsers::decodeProductState). Windows Server has no
//      Security Center, nor does Wine: the namespace is missing there and that is said.
//   2. Microsoft Defender Antivirus, root\Microsoft\Windows\Defender
//      MSFT_MpComputerStatus: real-time protection, signature version, time and age,
//      running mode (passive); on servers too. Onboarding to Defender for Endpoint from
//      HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status.
//   3. Vendors, from the Uninstall registry keys (presence and version), their own keys
//      and services:
//      Kaspersky: KasperskyLab\protected\<product>\Data LastSuccessfulUpdate (signature
//        time), service AVP (the protection service), klnagent (Network Agent, i.e.
//        managed by Kaspersky Security Center) — key layout and service names as
//        inventory tools read them, not documented by Kaspersky;
//      ESET: ESET\ESET Security\CurrentVersion\Info ProductName, ProductVersion,
//        ScannerVersion (engine version and date), service ekrn, EraAgentSvc (ESET
//        Management Agent, i.e. managed by ESET PROTECT);
//      Bkav: presence and version only; nothing about its state is documented.
//      Their real-time state comes from Security Center when they are registered there.
#include "agent/probes/antivirus.h"

#include <chrono>

#include "agent/probes/parsers/windows_antivirus.h"
#include "agent/probes/windows/com.h"

namespace posture::agent {
namespace {

using parsers::AvVendor;

std::int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Tristate serviceRunning(const wchar_t* name) {
  auto s = win::serviceState(name);
  if (!s) return Tristate::Unknown;
  return s->running ? Tristate::On : Tristate::Off;
}

// The first product of a vendor already listed (from Security Center), or a new one.
AntivirusProduct& productFor(AntivirusResult& r, AvVendor vendor, const std::string& name) {
  for (auto& p : r.products) {
    if (parsers::identifyVendor(p.name) == vendor) return p;
  }
  AntivirusProduct p;
  p.name = name;
  p.vendor = parsers::vendorName(vendor);
  r.products.push_back(std::move(p));
  return r.products.back();
}

bool listed(const AntivirusResult& r, AvVendor vendor) {
  for (const auto& p : r.products) {
    if (parsers::identifyVendor(p.name) == vendor) return true;
  }
  return false;
}

void addSource(AntivirusProduct& p, const std::string& source) {
  if (p.source.empty()) {
    p.source = source;
  } else if (p.source.find(source) == std::string::npos) {
    p.source += " + " + source;
  }
}

struct Installed {
  std::string name;
  std::string version;
  std::string key;
};

// The first Uninstall entry (64- and 32-bit views) whose DisplayName is of the vendor and
// is a protection product, not its management agent or server.
std::optional<Installed> findInstalled(AvVendor vendor) {
  for (const wchar_t* root :
       {L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
        L"SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"}) {
    for (const auto& sub : win::regSubkeys(HKEY_LOCAL_MACHINE, root)) {
      std::wstring key = std::wstring(root) + L"\\" + sub;
      auto name = win::regString(HKEY_LOCAL_MACHINE, key.c_str(), L"DisplayName");
      if (!name) continue;
      auto text = win::toUtf8(*name);
      if (parsers::identifyVendor(text) != vendor) continue;
      if (text.find("Agent") != std::string::npos ||
          text.find("Security Center") != std::string::npos ||
          text.find("Administration") != std::string::npos ||
          text.find("PROTECT") != std::string::npos) {
        continue;
      }
      Installed out;
      out.name = text;
      if (auto v = win::regString(HKEY_LOCAL_MACHINE, key.c_str(), L"DisplayVersion"))
        out.version = win::toUtf8(*v);
      out.key = "HKLM\\" + win::toUtf8(key);
      return out;
    }
  }
  return std::nullopt;
}

void readSecurityCenter(AntivirusResult& r, win::Clock::time_point deadline, bool& read) {
  auto wmi = win::connectWmi(L"ROOT\\SecurityCenter2");
  if (!wmi.services) {
    if (wmi.hr == win::kWbemInvalidNamespace) {
      r.outcome.note(
          "root\\SecurityCenter2 does not exist (Windows Server, or Wine): products registered "
          "with Security Center are not listed");
    } else {
      r.outcome.note("Security Center not read: " + wmi.error);
    }
    return;
  }
  auto q = win::wmiQuery(wmi.services.get(),
                         L"SELECT displayName, productState FROM AntiVirusProduct", deadline);
  if (!q.error.empty()) r.outcome.note("Security Center not read completely: " + q.error);
  if (q.error.empty() || !q.rows.empty()) read = true;
  for (const auto& row : q.rows) {
    AntivirusProduct p;
    p.name = row.string(L"displayName").value_or("");
    if (p.name.empty()) continue;
    p.vendor = parsers::vendorName(parsers::identifyVendor(p.name));
    p.source = "root\\SecurityCenter2 AntiVirusProduct";
    if (auto state = row.integer(L"productState")) {
      auto v = static_cast<std::uint32_t>(*state);
      auto s = parsers::decodeProductState(v);
      p.realTimeProtection = s.realTimeProtection;
      p.upToDate = s.upToDate;
      p.source += " (productState " + parsers::productStateHex(v) + ": scanner " +
                  parsers::scannerStateName(s.scanner) +
                  (s.signatureStatusKnown ? s.signaturesOutOfDate ? ", signatures out of date"
                                                                  : ", signatures up to date"
                                          : "") +
                  ")";
    }
    r.products.push_back(std::move(p));
  }
}

void readDefender(AntivirusResult& r, win::Clock::time_point deadline, std::int64_t now,
                  bool& read) {
  auto wmi = win::connectWmi(L"ROOT\\Microsoft\\Windows\\Defender");
  if (!wmi.services) {
    if (wmi.hr == win::kWbemInvalidNamespace) {
      r.outcome.note(
          "root\\Microsoft\\Windows\\Defender does not exist (Microsoft Defender Antivirus is not "
          "installed, or Wine)");
    } else {
      r.outcome.note("Microsoft Defender not read: " + wmi.error);
    }
    return;
  }
  // SELECT *: naming a property an older platform lacks (DefenderSignaturesOutOfDate,
  // AMRunningMode) would fail the whole query.
  auto q = win::wmiQuery(wmi.services.get(), L"SELECT * FROM MSFT_MpComputerStatus", deadline);
  if (q.rows.empty()) {
    r.outcome.note(
        q.error.empty()
            ? "MSFT_MpComputerStatus has no instance (Microsoft Defender Antivirus is not running)"
            : "Microsoft Defender not read: " + q.error);
    return;
  }
  read = true;
  const auto& row = q.rows.front();
  parsers::DefenderStatus s;
  s.amServiceEnabled = row.boolean(L"AMServiceEnabled");
  s.antivirusEnabled = row.boolean(L"AntivirusEnabled");
  s.realTimeProtectionEnabled = row.boolean(L"RealTimeProtectionEnabled");
  s.defenderSignaturesOutOfDate = row.boolean(L"DefenderSignaturesOutOfDate");
  s.amProductVersion = row.string(L"AMProductVersion").value_or("");
  s.antivirusSignatureVersion = row.string(L"AntivirusSignatureVersion").value_or("");
  s.amRunningMode = row.string(L"AMRunningMode").value_or("");
  s.antivirusSignatureLastUpdated = row.string(L"AntivirusSignatureLastUpdated").value_or("");
  if (auto age = row.integer(L"AntivirusSignatureAge"); age && *age >= 0) {
    s.antivirusSignatureAge = static_cast<std::uint32_t>(*age);
  }
  s.mdeOnboardingState = win::regDword(
      HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows Advanced Threat Protection\\Status",
      L"OnboardingState");
  std::vector<std::string> notes;
  auto d = parsers::defenderProduct(s, now, notes);
  for (const auto& n : notes) r.outcome.note(n);

  // Security Center lists Defender as "Windows Defender": one product, Defender's own
  // values winning (they tell passive mode and the signature time).
  for (auto& p : r.products) {
    if (parsers::identifyVendor(p.name) != AvVendor::Microsoft) continue;
    auto wscSource = p.source;
    p = d;
    p.source = d.source + " + " + wscSource;
    return;
  }
  r.products.push_back(std::move(d));
}

void readKaspersky(AntivirusResult& r, std::int64_t now) {
  auto installed = findInstalled(AvVendor::Kaspersky);
  if (!installed && !listed(r, AvVendor::Kaspersky)) return;
  bool fromWsc = listed(r, AvVendor::Kaspersky);
  auto& p = productFor(r, AvVendor::Kaspersky, installed ? installed->name : "Kaspersky");
  p.vendor = "Kaspersky";
  if (installed) {
    if (p.productVersion.empty()) p.productVersion = installed->version;
    addSource(p, installed->key);
  }
  std::optional<std::int64_t> newest;
  for (const wchar_t* root :
       {L"SOFTWARE\\WOW6432Node\\KasperskyLab\\protected", L"SOFTWARE\\KasperskyLab\\protected"}) {
    for (const auto& sub : win::regSubkeys(HKEY_LOCAL_MACHINE, root)) {
      std::wstring key = std::wstring(root) + L"\\" + sub + L"\\Data";
      auto t = parsers::kasperskyUpdateTime(
          win::regDword(HKEY_LOCAL_MACHINE, key.c_str(), L"LastSuccessfulUpdate"));
      if (t && (!newest || *t > *newest)) newest = t;
    }
  }
  if (newest) {
    p.signatureTime = newest;
    if (p.upToDate == Tristate::Unknown) p.upToDate = parsers::signaturesFresh(newest, now);
    addSource(p, "KasperskyLab\\protected LastSuccessfulUpdate");
  }
  p.serviceRunning = serviceRunning(L"AVP");
  auto agent = win::serviceState(L"klnagent");
  p.managed = agent && agent->running ? Tristate::On : Tristate::Off;
  if (agent && !agent->running)
    r.outcome.note("Kaspersky Network Agent (klnagent) is installed but not running");
  if (!fromWsc) {
    r.outcome.note(
        p.name +
        " found; its real-time protection state is known only through Security Center, which "
        "does not list it here");
  }
}

void readEset(AntivirusResult& r, std::int64_t now) {
  constexpr const wchar_t* kInfo = L"SOFTWARE\\ESET\\ESET Security\\CurrentVersion\\Info";
  auto productName = win::regString(HKEY_LOCAL_MACHINE, kInfo, L"ProductName");
  auto installed = findInstalled(AvVendor::Eset);
  bool fromWsc = listed(r, AvVendor::Eset);
  if (!productName && !installed && !fromWsc) return;
  std::string name = productName ? win::toUtf8(*productName) : installed ? installed->name : "ESET";
  auto& p = productFor(r, AvVendor::Eset, name);
  p.vendor = "ESET";
  if (auto v = win::regString(HKEY_LOCAL_MACHINE, kInfo, L"ProductVersion");
      v && p.productVersion.empty()) {
    p.productVersion = win::toUtf8(*v);
  }
  if (p.productVersion.empty() && installed) p.productVersion = installed->version;
  if (auto sv = win::regString(HKEY_LOCAL_MACHINE, kInfo, L"ScannerVersion")) {
    if (auto parsed = parsers::parseEsetScannerVersion(win::toUtf8(*sv))) {
      p.signatureVersion = parsed->version;
      if (parsed->date) {
        p.signatureTime = parsed->date;
        if (p.upToDate == Tristate::Unknown)
          p.upToDate = parsers::signaturesFresh(parsed->date, now);
      }
    } else {
      r.outcome.note("unrecognised ESET ScannerVersion '" + win::toUtf8(*sv) + "'");
    }
  }
  if (productName)
    addSource(p, "HKLM\\SOFTWARE\\ESET\\ESET Security\\CurrentVersion\\Info");
  else if (installed)
    addSource(p, installed->key);
  p.serviceRunning = serviceRunning(L"ekrn");
  auto agent = win::serviceState(L"EraAgentSvc");
  p.managed = agent && agent->running ? Tristate::On : Tristate::Off;
  if (agent && !agent->running)
    r.outcome.note("ESET Management Agent (EraAgentSvc) is installed but not running");
  if (!fromWsc) {
    r.outcome.note(
        p.name +
        " found; its real-time protection state is known only through Security Center, which "
        "does not list it here");
  }
}

void readBkav(AntivirusResult& r) {
  auto installed = findInstalled(AvVendor::Bkav);
  bool fromWsc = listed(r, AvVendor::Bkav);
  if (!installed && !fromWsc) return;
  auto& p = productFor(r, AvVendor::Bkav, installed ? installed->name : "Bkav");
  p.vendor = "Bkav";
  if (installed) {
    if (p.productVersion.empty()) p.productVersion = installed->version;
    addSource(p, installed->key);
  }
  if (!fromWsc) {
    r.outcome.note(
        p.name + " found (" + p.source +
        "); Bkav documents no interface for its state, and Security Center does not list it here");
  }
}

}  // namespace

AntivirusResult probeAntivirus(const ProbeContext& context) {
  return probeAntivirus(context, AntivirusOptions{});
}

AntivirusResult probeAntivirus(const ProbeContext& context, const AntivirusOptions& options) {
  const auto deadline = win::Clock::now() + context.budget;
  AntivirusResult r;
  win::ComApartment com;
  if (!com.ok()) {
    r.outcome.fail(ProbeStatus::Error, com.error());
    return r;
  }
  const auto now = unixNow();
  bool wscRead = false, defenderRead = false;
  readSecurityCenter(r, deadline, wscRead);
  readDefender(r, deadline, now, defenderRead);
  if (options.otherProducts) {
    readKaspersky(r, now);
    readEset(r, now);
    readBkav(r);
  }
  if (r.products.empty()) {
    if (!wscRead && !defenderRead && !win::wineVersion().empty()) {
      r.outcome.fail(ProbeStatus::Unavailable,
                     "neither Security Center nor Microsoft Defender exists under " +
                         win::wineVersion() + ": anti-malware state cannot be read");
    } else {
      r.outcome.note("no known anti-malware product found");
    }
  }
  return r;
}

}  // namespace posture::agent

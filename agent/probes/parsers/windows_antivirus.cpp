#include "agent/probes/parsers/windows_antivirus.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "agent/probes/parsers/text.h"
#include "agent/probes/parsers/windows_time.h"
#include "common/util/time.h"

namespace posture::agent::parsers {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

Tristate fromBool(std::optional<bool> b) {
  if (!b) return Tristate::Unknown;
  return *b ? Tristate::On : Tristate::Off;
}

}  // namespace

SecurityCenterState decodeProductState(std::uint32_t v) {
  SecurityCenterState s;
  s.providers = static_cast<std::uint8_t>((v >> 16) & 0xff);
  switch ((v >> 12) & 0xf) {
    case 0:
      s.scanner = ScannerState::Off;
      break;
    case 1:
      s.scanner = ScannerState::On;
      break;
    case 2:
      s.scanner = ScannerState::Snoozed;
      break;
    case 3:
      s.scanner = ScannerState::Expired;
      break;
    default:
      s.scanner = ScannerState::Unknown;
      break;
  }
  s.microsoftProduct = ((v >> 8) & 0xf) == 1;
  auto sig = (v >> 4) & 0xf;
  s.signatureStatusKnown = sig <= 1;
  s.signaturesOutOfDate = sig == 1;
  s.realTimeProtection = s.scanner == ScannerState::On        ? Tristate::On
                         : s.scanner == ScannerState::Unknown ? Tristate::Unknown
                                                              : Tristate::Off;
  s.upToDate = !s.signatureStatusKnown ? Tristate::Unknown
               : s.signaturesOutOfDate ? Tristate::Off
                                       : Tristate::On;
  return s;
}

std::string productStateHex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%06x", static_cast<unsigned>(v));
  return buf;
}

std::string scannerStateName(ScannerState s) {
  switch (s) {
    case ScannerState::Off:
      return "off";
    case ScannerState::On:
      return "on";
    case ScannerState::Snoozed:
      return "snoozed";
    case ScannerState::Expired:
      return "expired";
    case ScannerState::Unknown:
      break;
  }
  return "unknown";
}

AvVendor identifyVendor(std::string_view displayName) {
  auto n = lower(displayName);
  if (contains(n, "kaspersky")) return AvVendor::Kaspersky;
  if (contains(n, "eset") || contains(n, "nod32")) return AvVendor::Eset;
  if (contains(n, "bkav")) return AvVendor::Bkav;
  if (contains(n, "windows defender") || contains(n, "microsoft defender") ||
      contains(n, "microsoft security essentials") ||
      contains(n, "system center endpoint protection")) {
    return AvVendor::Microsoft;
  }
  return AvVendor::Other;
}

std::string vendorName(AvVendor v) {
  switch (v) {
    case AvVendor::Microsoft:
      return "Microsoft";
    case AvVendor::Kaspersky:
      return "Kaspersky";
    case AvVendor::Eset:
      return "ESET";
    case AvVendor::Bkav:
      return "Bkav";
    case AvVendor::Other:
      break;
  }
  return "";
}

DefenderRunningMode decodeRunningMode(std::string_view mode) {
  DefenderRunningMode m;
  auto t = lower(trim(mode));
  if (t == "normal") {
    m.passive = Tristate::Off;
  } else if (t == "edr block mode") {
    m.passive = Tristate::On;
    m.edrBlockMode = true;
  } else if (t == "passive" || t == "passive mode" || t == "sxs passive mode") {
    m.passive = Tristate::On;
  }
  return m;
}

Tristate signaturesFresh(std::optional<std::int64_t> signatureTime, std::int64_t now) {
  if (!signatureTime) return Tristate::Unknown;
  return now - *signatureTime <= kSignatureMaxAgeDays * util::kSecondsPerDay ? Tristate::On
                                                                              : Tristate::Off;
}

AntivirusProduct defenderProduct(const DefenderStatus& s, std::int64_t now,
                                 std::vector<std::string>& notes) {
  AntivirusProduct p;
  p.name = "Microsoft Defender Antivirus";
  p.vendor = "Microsoft";
  p.source = "root\\Microsoft\\Windows\\Defender MSFT_MpComputerStatus";
  p.productVersion = s.amProductVersion;
  p.signatureVersion = s.antivirusSignatureVersion;
  p.serviceRunning = fromBool(s.amServiceEnabled);

  if (!s.antivirusSignatureLastUpdated.empty()) {
    p.signatureTime = parseCimDateTime(s.antivirusSignatureLastUpdated);
    if (!p.signatureTime) {
      notes.push_back("unrecognised AntivirusSignatureLastUpdated '" +
                      s.antivirusSignatureLastUpdated + "'");
    }
  }

  auto mode = decodeRunningMode(s.amRunningMode);
  p.passiveMode = mode.passive;
  if (s.amRunningMode.empty()) {
    // AMRunningMode came with platform 4.18.2003; older platforms only run actively.
  } else if (mode.passive == Tristate::Unknown) {
    notes.push_back("unrecognised AMRunningMode '" + s.amRunningMode + "'");
  }

  if (mode.passive == Tristate::On) {
    p.realTimeProtection = Tristate::Off;
    notes.push_back(mode.edrBlockMode
                        ? "Microsoft Defender Antivirus is in passive mode (EDR in block mode)"
                        : "Microsoft Defender Antivirus is in passive mode");
  } else if (s.amServiceEnabled == false || s.antivirusEnabled == false) {
    p.realTimeProtection = Tristate::Off;
  } else {
    p.realTimeProtection = fromBool(s.realTimeProtectionEnabled);
  }

  // Ages of 4294967295 (and 65535 on some builds) mean "never".
  bool ageKnown = s.antivirusSignatureAge && *s.antivirusSignatureAge != 0xffffffffu &&
                  *s.antivirusSignatureAge != 0xffffu;
  if (s.defenderSignaturesOutOfDate) {
    p.upToDate = *s.defenderSignaturesOutOfDate ? Tristate::Off : Tristate::On;
  } else if (ageKnown) {
    p.upToDate = *s.antivirusSignatureAge <= kSignatureMaxAgeDays ? Tristate::On : Tristate::Off;
  } else {
    p.upToDate = signaturesFresh(p.signatureTime, now);
  }

  if (s.mdeOnboardingState && *s.mdeOnboardingState == 1) p.managed = Tristate::On;
  return p;
}

std::optional<EsetScannerVersion> parseEsetScannerVersion(std::string_view text) {
  auto t = trim(text);
  if (t.empty()) return std::nullopt;
  EsetScannerVersion out;
  auto open = t.find('(');
  out.version = std::string(trim(t.substr(0, open)));
  if (out.version.empty()) return std::nullopt;
  if (open != std::string_view::npos) {
    auto close = t.find(')', open);
    if (close == std::string_view::npos) return std::nullopt;
    auto date = trim(t.substr(open + 1, close - open - 1));
    if (date.size() == 8) {
      auto y = parseUnsigned(date.substr(0, 4));
      auto m = parseUnsigned(date.substr(4, 2));
      auto d = parseUnsigned(date.substr(6, 2));
      if (y && m && d) {
        out.date = util::unixFromCivil(static_cast<std::int64_t>(*y), static_cast<std::int64_t>(*m),
                                       static_cast<std::int64_t>(*d));
      }
    }
  }
  return out;
}

std::optional<std::int64_t> kasperskyUpdateTime(std::optional<std::uint32_t> v) {
  if (!v || *v == 0 || *v == 0xffffffffu) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

}  // namespace posture::agent::parsers

// The Windows probes' decoders (agent/probes/parsers/windows_*.h): what WMI, the registry,
// the Windows Update Agent, the IP Helper API and INetFwPolicy2 return, decoded by pure
// functions that the Linux build compiles too. The values come from the system and from
// third-party products writing to WMI and the registry, so any value must decode without
// undefined behaviour. The first byte picks the decoder (an index into kDecoders,
// append-only); the rest is its text, or raw values read with FuzzedDataProvider.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/parsers/windows_antivirus.h"
#include "agent/probes/parsers/windows_firewall.h"
#include "agent/probes/parsers/windows_network.h"
#include "agent/probes/parsers/windows_time.h"
#include "common/util/time.h"
#include "agent/probes/parsers/windows_updates.h"
#include "agent/probes/parsers/windows_version.h"
#include "tests/fuzz/invariant.h"

using namespace posture::agent;
using namespace posture::agent::parsers;

namespace {
constexpr std::int64_t kNow = 1748736000;  // 2025-06-01

// Any 64-bit pattern, NaN, infinities and subnormals included (a VARIANT's VT_DATE).
double rawDouble(FuzzedDataProvider& in) {
  auto bytes = in.ConsumeBytes<std::uint8_t>(sizeof(double));
  bytes.resize(sizeof(double));
  double d;
  std::memcpy(&d, bytes.data(), sizeof d);
  return d;
}
template <typename T>
std::optional<T> maybe(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  return in.ConsumeIntegral<T>();
}
std::string text(FuzzedDataProvider& in) { return in.ConsumeRandomLengthString(256); }

void cimDateTime(FuzzedDataProvider& in) { parseCimDateTime(in.ConsumeRemainingBytesAsString()); }
void oleDate(FuzzedDataProvider& in) { oleDateToUnix(rawDouble(in)); }
void fileTime(FuzzedDataProvider& in) { fileTimeToUnix(in.ConsumeIntegral<std::uint64_t>()); }
// Consecutive days of one month are consecutive numbers.
void civilDays(FuzzedDataProvider& in) {
  int y = in.ConsumeIntegral<int>(), m = in.ConsumeIntegral<int>(), d = in.ConsumeIntegral<int>();
  auto day = posture::util::daysFromCivil(y, m, d);
  auto next = d < INT32_MAX ? posture::util::daysFromCivil(y, m, d + 1) : std::nullopt;
  if (day && next) FUZZ_CHECK(*next == *day + 1);
}
void qfeInstalledOn(FuzzedDataProvider& in) {
  parseQfeInstalledOn(in.ConsumeRemainingBytesAsString());
}
void hotFixIds(FuzzedDataProvider& in) {
  std::vector<std::string> ids;
  while (in.remaining_bytes() > 0 && ids.size() < 64) ids.push_back(text(in));
  for (const auto& id : ids) normaliseHotFixId(id);
  auto out = normaliseHotFixIds(ids);
  for (const auto& kb : out) FUZZ_CHECK(kb.size() > 2 && kb.starts_with("KB"));
  FUZZ_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end());
}
void classifyUpdates(FuzzedDataProvider& in) {
  std::vector<UpdateClass> updates;
  while (in.remaining_bytes() > 0 && updates.size() < 16) {
    std::vector<WuaCategory> categories(in.ConsumeIntegralInRange<std::size_t>(0, 4));
    for (auto& c : categories) c = {text(in), text(in), text(in)};
    updates.push_back(classifyUpdate(categories, text(in)));
  }
  auto sum = summarisePending(updates);
  FUZZ_CHECK(sum.total == updates.size());
  FUZZ_CHECK(sum.security <= sum.total && sum.critical <= sum.total);
}
void updateHistory(FuzzedDataProvider& in) {
  std::vector<HistoryEntry> entries;
  while (in.remaining_bytes() > 0 && entries.size() < 32) {
    entries.push_back({in.ConsumeIntegral<int>(), in.ConsumeIntegral<int>(), rawDouble(in)});
  }
  lastSuccessfulInstall(entries);
}
void automaticUpdates(FuzzedDataProvider& in) {
  auto noAuto = maybe<std::uint32_t>(in), au = maybe<std::uint32_t>(in),
       local = maybe<std::uint32_t>(in);
  bool disabled = in.ConsumeBool(), server = in.ConsumeBool();
  auto r = decodeAutomaticUpdates(noAuto, au, local, disabled, server);
  FUZZ_CHECK(r.state == Tristate::On || !r.reason.empty());  // says why when not on
}
void rebootMarks(FuzzedDataProvider& in) {
  RebootMarks m;
  m.cbsRebootPending = in.ConsumeBool();
  m.wuRebootRequired = in.ConsumeBool();
  if (in.ConsumeBool()) m.wuaRebootRequired = in.ConsumeBool();
  m.pendingFileRenameOperations = in.ConsumeBool();
  m.registryRead = in.ConsumeBool();
  decodeRebootRequired(m);
}
void productState(FuzzedDataProvider& in) {
  auto value = in.ConsumeIntegral<std::uint32_t>();
  auto state = decodeProductState(value);
  scannerStateName(state.scanner);
  FUZZ_CHECK(productStateHex(value).starts_with("0x"));
}
void vendor(FuzzedDataProvider& in) {
  vendorName(identifyVendor(in.ConsumeRemainingBytesAsString()));
}
void runningMode(FuzzedDataProvider& in) { decodeRunningMode(in.ConsumeRemainingBytesAsString()); }
void defender(FuzzedDataProvider& in) {
  DefenderStatus s;
  auto flag = [&]() -> std::optional<bool> {
    if (!in.ConsumeBool()) return std::nullopt;
    return in.ConsumeBool();
  };
  s.amServiceEnabled = flag();
  s.antivirusEnabled = flag();
  s.realTimeProtectionEnabled = flag();
  s.defenderSignaturesOutOfDate = flag();
  s.antivirusSignatureAge = maybe<std::uint32_t>(in);
  s.mdeOnboardingState = maybe<std::uint32_t>(in);
  s.amProductVersion = text(in);
  s.antivirusSignatureVersion = text(in);
  s.amRunningMode = text(in);
  s.antivirusSignatureLastUpdated = in.ConsumeRemainingBytesAsString();
  std::vector<std::string> notes;
  auto product = defenderProduct(s, kNow, notes);
  signaturesFresh(product.signatureTime, kNow);
}
void esetVersion(FuzzedDataProvider& in) {
  parseEsetScannerVersion(in.ConsumeRemainingBytesAsString());
}
void kasperskyUpdate(FuzzedDataProvider& in) { kasperskyUpdateTime(maybe<std::uint32_t>(in)); }
void addressState(FuzzedDataProvider& in) {
  auto scope = static_cast<AddressScope>(
      in.ConsumeIntegralInRange<int>(0, static_cast<int>(AddressScope::Other)));
  windowsAddressOrigin(scope, in.ConsumeIntegral<int>(), in.ConsumeIntegral<int>());
  decodeDadState(in.ConsumeIntegral<int>());
  finiteLifetime(in.ConsumeIntegral<std::uint32_t>());
  routeOriginName(in.ConsumeIntegral<int>());
}
void defaultRoute(FuzzedDataProvider& in) {
  std::vector<RouteRow> rows;
  while (in.remaining_bytes() > 0 && rows.size() < 32) {
    RouteRow r;
    auto dst = in.ConsumeBytes<std::uint8_t>(16), hop = in.ConsumeBytes<std::uint8_t>(16);
    std::copy(dst.begin(), dst.end(), r.destination.begin());
    std::copy(hop.begin(), hop.end(), r.nextHop.begin());
    r.prefixLength = in.ConsumeIntegral<std::uint8_t>();
    r.interfaceIndex = in.ConsumeIntegral<std::uint32_t>();
    r.metric = in.ConsumeIntegral<std::uint32_t>();
    r.loopback = in.ConsumeBool();
    r.origin = in.ConsumeIntegral<int>();
    rows.push_back(r);
  }
  if (auto i = pickDefaultRoute(rows)) FUZZ_CHECK(*i < rows.size());
}
void disabledComponents(FuzzedDataProvider& in) {
  decodeDisabledComponents(maybe<std::uint32_t>(in));
}
void placeholderDns(FuzzedDataProvider& in) {
  Ipv6Bytes address{};
  auto bytes = in.ConsumeBytes<std::uint8_t>(16);
  std::copy(bytes.begin(), bytes.end(), address.begin());
  isWindowsPlaceholderDns(address);
}
void windowsVersion(FuzzedDataProvider& in) {
  WindowsVersionValues v;
  v.ubr = maybe<std::uint32_t>(in);
  architectureName(in.ConsumeIntegral<std::uint16_t>());
  v.productName = text(in);
  v.displayVersion = text(in);
  v.releaseId = text(in);
  v.currentVersion = text(in);
  v.currentBuildNumber = text(in);
  v.installationType = in.ConsumeRemainingBytesAsString();
  describeWindows(v);
}
void firewallProfiles(FuzzedDataProvider& in) {
  auto current = maybe<std::uint32_t>(in);
  std::vector<FwProfileReading> readings;
  while (in.remaining_bytes() > 0 && readings.size() < 8) {
    FwProfileReading r;
    r.profile = in.ConsumeIntegral<std::uint32_t>();
    if (in.ConsumeBool()) r.enabled = in.ConsumeBool();
    if (in.ConsumeBool()) r.defaultInboundAction = in.ConsumeIntegral<int>();
    readings.push_back(r);
  }
  FirewallResult out;
  combineFirewallProfiles(readings, current, out);
  FUZZ_CHECK(out.backend == "windows");
}

struct Decoder {
  const char* name;
  void (*run)(FuzzedDataProvider&);
};
// Append only (see above).
constexpr Decoder kDecoders[] = {
    {"cim-datetime", cimDateTime},
    {"ole-date", oleDate},
    {"filetime", fileTime},
    {"civil-days", civilDays},
    {"qfe-installed-on", qfeInstalledOn},
    {"hotfix-ids", hotFixIds},
    {"classify-updates", classifyUpdates},
    {"update-history", updateHistory},
    {"automatic-updates", automaticUpdates},
    {"reboot-marks", rebootMarks},
    {"product-state", productState},
    {"vendor", vendor},
    {"running-mode", runningMode},
    {"defender", defender},
    {"eset-version", esetVersion},
    {"kaspersky-update", kasperskyUpdate},
    {"address-state", addressState},
    {"default-route", defaultRoute},
    {"disabled-components", disabledComponents},
    {"placeholder-dns", placeholderDns},
    {"windows-version", windowsVersion},
    {"firewall-profiles", firewallProfiles},
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || data[0] >= std::size(kDecoders)) return 0;
  FuzzedDataProvider in(data + 1, size - 1);
  kDecoders[data[0]].run(in);
  return 0;
}

// Firewall on Windows: Windows Defender Firewall through INetFwPolicy2, per profile
// (domain, private, public): enabled, default inbound action, whether a connected network
// is in it, and the number of rules. When a profile is off, firewalls registered with
// Security Center (root\SecurityCenter2 FirewallProduct) are named in the message, since
// a third-party firewall is the usual reason.
#include "agent/probes/firewall.h"

#include <netfw.h>

#include "agent/probes/parsers/windows_antivirus.h"
#include "agent/probes/parsers/windows_firewall.h"
#include "agent/probes/windows/com.h"

namespace posture::agent {
namespace {

void noteThirdPartyFirewalls(FirewallResult& r, win::Clock::time_point deadline) {
  auto wmi = win::connectWmi(L"ROOT\\SecurityCenter2");
  if (!wmi.services) return;  // Windows Server and Wine have no Security Center: nothing to add
  auto q = win::wmiQuery(wmi.services.get(),
                         L"SELECT displayName, productState FROM FirewallProduct", deadline);
  for (const auto& row : q.rows) {
    auto name = row.string(L"displayName").value_or("");
    auto state = row.integer(L"productState");
    if (name.empty()) continue;
    std::string text = "firewall registered with Security Center: " + name;
    if (state) {
      auto s = parsers::decodeProductState(static_cast<std::uint32_t>(*state));
      text += " (" + parsers::scannerStateName(s.scanner) + ", productState " +
              parsers::productStateHex(static_cast<std::uint32_t>(*state)) + ")";
    }
    r.outcome.note(text);
  }
}

}  // namespace

FirewallResult probeFirewall(const ProbeContext& context) {
  const auto deadline = win::Clock::now() + context.budget;
  FirewallResult r;
  r.backend = "windows";
  win::ComApartment com;
  if (!com.ok()) {
    r.outcome.fail(ProbeStatus::Error, com.error());
    return r;
  }
  win::ComPtr<INetFwPolicy2> policy;
  HRESULT hr = ::CoCreateInstance(__uuidof(NetFwPolicy2), nullptr, CLSCTX_INPROC_SERVER,
                                  __uuidof(INetFwPolicy2), policy.putVoid());
  if (FAILED(hr)) {
    auto status = hr == REGDB_E_CLASSNOTREG ? ProbeStatus::Unavailable : ProbeStatus::Error;
    r.outcome.fail(status, "Windows Defender Firewall policy (INetFwPolicy2) cannot be created: " +
                               win::describe(hr) + win::underWine());
    return r;
  }

  std::optional<std::uint32_t> current;
  long types = 0;
  HRESULT currentHr = policy->get_CurrentProfileTypes(&types);
  if (SUCCEEDED(currentHr)) current = static_cast<std::uint32_t>(types);

  // Failures are gathered: when every call fails alike (Wine implements none of them),
  // one sentence says so instead of seven.
  std::vector<std::string> failures;
  std::optional<HRESULT> firstFailure;
  auto failed = [&](const std::string& call, HRESULT h) {
    failures.push_back(call + " failed: " + win::describe(h));
    if (!firstFailure) firstFailure = h;
  };
  if (FAILED(currentHr)) failed("INetFwPolicy2::get_CurrentProfileTypes", currentHr);

  std::vector<parsers::FwProfileReading> readings;
  int enabledRead = 0;
  for (auto profile :
       {parsers::kFwProfileDomain, parsers::kFwProfilePrivate, parsers::kFwProfilePublic}) {
    parsers::FwProfileReading reading;
    reading.profile = profile;
    auto type = static_cast<NET_FW_PROFILE_TYPE2>(profile);
    VARIANT_BOOL enabled = VARIANT_FALSE;
    hr = policy->get_FirewallEnabled(type, &enabled);
    if (SUCCEEDED(hr)) {
      reading.enabled = enabled != VARIANT_FALSE;
      ++enabledRead;
    } else {
      failed("INetFwPolicy2::get_FirewallEnabled(" + parsers::profileName(profile) + ")", hr);
    }
    NET_FW_ACTION action = NET_FW_ACTION_ALLOW;
    hr = policy->get_DefaultInboundAction(type, &action);
    if (SUCCEEDED(hr)) {
      reading.defaultInboundAction = static_cast<int>(action);
    } else {
      failed("INetFwPolicy2::get_DefaultInboundAction(" + parsers::profileName(profile) + ")", hr);
    }
    readings.push_back(reading);
  }
  parsers::combineFirewallProfiles(readings, current, r);
  if (enabledRead == 0) {
    auto status = firstFailure == E_NOTIMPL ? ProbeStatus::Unavailable : ProbeStatus::Error;
    r.outcome.fail(
        status,
        "Windows Defender Firewall state cannot be read: INetFwPolicy2 profile queries failed: " +
            win::describe(*firstFailure) + win::underWine());
    return r;
  }
  for (const auto& f : failures) r.outcome.note(f);

  win::ComPtr<INetFwRules> rules;
  hr = policy->get_Rules(rules.put());
  long count = 0;
  if (SUCCEEDED(hr) && rules && SUCCEEDED(hr = rules->get_Count(&count)) && count >= 0) {
    r.ruleCount = static_cast<std::uint32_t>(count);
  } else {
    r.outcome.note("firewall rules not counted: " + win::describe(hr));
  }

  if (auto svc = win::serviceState(L"mpssvc"); svc && !svc->running) {
    r.outcome.note("the Windows Defender Firewall service (mpssvc) is not running");
  }
  if (r.enabled != Tristate::On) noteThirdPartyFirewalls(r, deadline);
  return r;
}

}  // namespace posture::agent

#include "agent/probes/report_builder.h"

#include <exception>

#include "agent/probes/antivirus.h"
#include "agent/probes/firewall.h"
#include "agent/probes/identity.h"
#include "agent/probes/ipv6.h"
#include "agent/probes/patches.h"
#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::agent {
namespace {

namespace pb = posture::v1;

pb::ProbeStatus toProto(ProbeStatus s) {
  switch (s) {
    case ProbeStatus::Ok: return pb::PROBE_STATUS_OK;
    case ProbeStatus::Unavailable: return pb::PROBE_STATUS_UNAVAILABLE;
    case ProbeStatus::Error: return pb::PROBE_STATUS_ERROR;
  }
  return pb::PROBE_STATUS_ERROR;
}

pb::Tristate toProto(Tristate t) {
  switch (t) {
    case Tristate::On: return pb::TRISTATE_ON;
    case Tristate::Off: return pb::TRISTATE_OFF;
    case Tristate::Unknown: return pb::TRISTATE_UNKNOWN;
  }
  return pb::TRISTATE_UNKNOWN;
}

pb::AddressScope toProto(AddressScope s) {
  switch (s) {
    case AddressScope::Unspecified: return pb::ADDRESS_SCOPE_UNSPECIFIED;
    case AddressScope::Loopback: return pb::ADDRESS_SCOPE_LOOPBACK;
    case AddressScope::LinkLocal: return pb::ADDRESS_SCOPE_LINK_LOCAL;
    case AddressScope::UniqueLocal: return pb::ADDRESS_SCOPE_UNIQUE_LOCAL;
    case AddressScope::Global: return pb::ADDRESS_SCOPE_GLOBAL;
    case AddressScope::Other: return pb::ADDRESS_SCOPE_OTHER;
  }
  return pb::ADDRESS_SCOPE_UNSPECIFIED;
}

pb::AddressOrigin toProto(AddressOrigin o) {
  switch (o) {
    case AddressOrigin::Unknown: return pb::ADDRESS_ORIGIN_UNKNOWN;
    case AddressOrigin::LinkLayer: return pb::ADDRESS_ORIGIN_LINK_LAYER;
    case AddressOrigin::Slaac: return pb::ADDRESS_ORIGIN_SLAAC;
    case AddressOrigin::Dhcpv6: return pb::ADDRESS_ORIGIN_DHCPV6;
    case AddressOrigin::Static: return pb::ADDRESS_ORIGIN_STATIC;
    case AddressOrigin::Temporary: return pb::ADDRESS_ORIGIN_TEMPORARY;
    case AddressOrigin::Dynamic: return pb::ADDRESS_ORIGIN_DYNAMIC;
  }
  return pb::ADDRESS_ORIGIN_UNKNOWN;
}

void setTime(google::protobuf::Timestamp* ts, std::int64_t unixSeconds) {
  ts->set_seconds(unixSeconds);
  ts->set_nanos(0);
}

void fillProbe(pb::ProbeResult* out, const ProbeOutcome& o, std::uint32_t ms) {
  out->set_status(toProto(o.status));
  out->set_message(o.message);
  out->set_duration_ms(ms);
}

void fill(pb::Identity* out, const IdentityResult& r) {
  out->set_hostname(r.hostname);
  out->set_os_name(r.osName);
  out->set_os_version(r.osVersion);
  out->set_os_build(r.osBuild);
  out->set_kernel(r.kernel);
  out->set_architecture(r.architecture);
  out->set_agent_version(r.agentVersion);
}

void fill(pb::Antivirus* out, const AntivirusResult& r) {
  for (const auto& p : r.products) {
    auto* q = out->add_products();
    q->set_name(p.name);
    q->set_vendor(p.vendor);
    q->set_real_time_protection(toProto(p.realTimeProtection));
    q->set_signature_version(p.signatureVersion);
    if (p.signatureTime) setTime(q->mutable_signature_time(), *p.signatureTime);
    q->set_up_to_date(toProto(p.upToDate));
    q->set_managed(toProto(p.managed));
    q->set_source(p.source);
    q->set_product_version(p.productVersion);
    q->set_service_running(toProto(p.serviceRunning));
    q->set_updates_scheduled(toProto(p.updatesScheduled));
    q->set_passive_mode(toProto(p.passiveMode));
  }
}

void fill(pb::Patches* out, const PatchesResult& r) {
  if (r.pendingUpdates) out->set_pending_updates(*r.pendingUpdates);
  if (r.pendingSecurityUpdates) out->set_pending_security_updates(*r.pendingSecurityUpdates);
  if (r.lastInstallTime) setTime(out->mutable_last_install_time(), *r.lastInstallTime);
  if (r.lastCheckTime) setTime(out->mutable_last_check_time(), *r.lastCheckTime);
  out->set_reboot_required(toProto(r.rebootRequired));
  out->set_automatic_updates(toProto(r.automaticUpdates));
  out->set_source(r.source);
  out->set_running_kernel(r.runningKernel);
  out->set_newest_kernel(r.newestKernel);
  if (r.pendingCriticalUpdates) out->set_pending_critical_updates(*r.pendingCriticalUpdates);
  for (const auto& kb : r.installedUpdates) out->add_installed_updates(kb);
}

void fill(pb::LookupResult* out, const LookupCheck& c) {
  out->set_status(toProto(c.status));
  out->set_name(c.name);
  for (const auto& a : c.addresses) out->add_addresses(a);
  out->set_message(c.message);
}

void fill(pb::Ipv6* out, const Ipv6Result& r) {
  out->set_enabled(toProto(r.enabled));
  for (const auto& i : r.interfaces) {
    auto* qi = out->add_interfaces();
    qi->set_name(i.name);
    for (const auto& a : i.addresses) {
      auto* qa = qi->add_addresses();
      qa->set_address(a.address);
      qa->set_prefix_length(a.prefixLength);
      qa->set_scope(toProto(a.scope));
      qa->set_origin(toProto(a.origin));
      qa->set_deprecated(a.deprecated);
      qa->set_tentative(a.tentative);
      qa->set_dad_failed(a.dadFailed);
      if (a.validLifetime) qa->set_valid_lifetime_sec(*a.validLifetime);
      if (a.preferredLifetime) qa->set_preferred_lifetime_sec(*a.preferredLifetime);
      qa->set_kernel_flags(a.kernelFlags);
      if (a.kernelProto >= 0) qa->set_kernel_proto(static_cast<std::uint32_t>(a.kernelProto));
    }
    qi->set_enabled(toProto(i.enabled));
  }
  out->set_default_route(toProto(r.defaultRoute));
  out->set_default_gateway(r.defaultGateway);
  out->set_default_route_device(r.defaultRouteDevice);
  out->set_default_route_origin(r.defaultRouteOrigin);
  out->set_source(r.source);
  for (const auto& s : r.resolvers) out->add_resolvers(s);
  fill(out->mutable_collector_aaaa(), r.collectorAaaa);
  fill(out->mutable_collector_connect(), r.collectorConnect);
  out->set_readiness_level(r.readiness.level);
  for (const auto& s : r.readiness.reasons) out->add_readiness_reasons(s);
  out->set_best_scope(toProto(r.readiness.bestScope));
}

void fill(pb::Firewall* out, const FirewallResult& r) {
  out->set_enabled(toProto(r.enabled));
  out->set_backend(r.backend);
  out->set_default_deny_input(toProto(r.defaultDenyInput));
  if (r.ruleCount) out->set_rule_count(*r.ruleCount);
  for (const auto& p : r.profiles) {
    auto* q = out->add_profiles();
    q->set_name(p.name);
    q->set_enabled(toProto(p.enabled));
    q->set_default_deny_input(toProto(p.defaultDenyInput));
    q->set_active(p.active);
  }
}

// Runs one probe; an exception (e.g. std::bad_alloc, a filesystem error) becomes an
// ERROR result so one broken probe never costs the whole report.
template <typename Result, typename Message>
void run(const char* name, Result (*probe)(const ProbeContext&), const ProbeContext& context,
         Message* out) {
  auto start = std::chrono::steady_clock::now();
  Result result;
  try {
    result = probe(context);
  } catch (const std::exception& e) {
    result = Result{};
    result.outcome.fail(ProbeStatus::Error, std::string(name) + " probe failed: " + e.what());
  } catch (...) {
    result = Result{};
    result.outcome.fail(ProbeStatus::Error, std::string(name) + " probe failed with an unknown exception");
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  try {
    fill(out, result);
  } catch (const std::exception& e) {
    out->Clear();
    result = Result{};
    result.outcome.fail(ProbeStatus::Error, std::string(name) + " result could not be encoded: " + e.what());
  }
  fillProbe(out->mutable_probe(), result.outcome, static_cast<std::uint32_t>(ms.count()));
  // Said in the log too, so whoever runs the agent sees what it could not measure and why.
  if (result.outcome.status == ProbeStatus::Unavailable) {
    log::info(name, " probe unavailable: ", result.outcome.message);
  } else if (result.outcome.status == ProbeStatus::Error) {
    log::warn(name, " probe error: ", result.outcome.message);
  } else if (!result.outcome.message.empty()) {
    log::debug(name, " probe: ", result.outcome.message);
  }
}

}  // namespace

posture::v1::Report collectReport(const CollectOptions& options) {
  pb::Report report;
  setTime(report.mutable_collected_at(), util::unixNow());
  ProbeContext context;
  context.budget = options.probeBudget;
  context.collectorHost = options.collectorHost;
  context.collectorPort = options.collectorPort;
  context.cacheDir = options.cacheDir;

  run("identity", &probeIdentity, context, report.mutable_identity());
  report.mutable_identity()->set_agent_id(options.agentId);
  report.mutable_identity()->set_unit_code(options.unitCode);
  run("antivirus", &probeAntivirus, context, report.mutable_antivirus());
  run("patches", &probePatches, context, report.mutable_patches());
  run("ipv6", &probeIpv6, context, report.mutable_ipv6());
  run("firewall", &probeFirewall, context, report.mutable_firewall());
  return report;
}

}  // namespace posture::agent

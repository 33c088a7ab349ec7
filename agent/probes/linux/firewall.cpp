#include "agent/probes/firewall.h"

#include <algorithm>

#include "agent/probes/parsers/firewall_rules.h"
#include "agent/probes/parsers/key_value.h"
#include "agent/probes/parsers/text.h"
#include "common/util/deadline.h"
#include "common/util/files.h"
#include "common/util/process.h"

namespace posture::agent {
namespace {

using util::failureReason;
using util::succeeded;

using Clock = std::chrono::steady_clock;

void noteMalformed(const parsers::RulesetSummary& s, const std::string& tool, FirewallResult& r) {
  if (!s.malformed.empty()) {
    r.outcome.note(std::to_string(s.malformed.size()) + " unrecognised " + tool +
                   " line(s), first '" + s.malformed.front() + "'");
  }
}

// IPv6 traffic needs no filter when the stack is off; /proc/sys/net follows the reader's
// network namespace.
bool ipv6Enabled() {
  auto v = util::readFile("/proc/sys/net/ipv6/conf/all/disable_ipv6", 64);
  if (!v) return false;  // no IPv6 in this kernel
  return parsers::trim(*v) != "1";
}

struct KernelState {
  bool read = false;
  std::uint32_t ruleCount = 0;
  bool denyIpv4 = false;
  bool denyIpv6 = false;
};

// iptables-save and ip6tables-save (or their -legacy variants): one address family each.
bool readIptables(const std::string& v4Tool, const std::string& v6Tool, Clock::time_point deadline,
                  FirewallResult& r, KernelState& k) {
  auto p = util::runProcess({v4Tool}, util::remaining(deadline));
  if (!succeeded(p)) {
    r.outcome.fail(ProbeStatus::Error, v4Tool + " failed (root is required): " + failureReason(p));
    return false;
  }
  auto v4 = parsers::parseIptablesSave(p.out);
  noteMalformed(v4, v4Tool, r);
  k = {true, v4.ruleCount, v4.defaultDenyInput, false};
  if (util::findExecutable(v6Tool).empty()) return true;
  auto p6 = util::runProcess({v6Tool}, util::remaining(deadline));
  if (succeeded(p6)) {
    auto v6 = parsers::parseIptablesSave(p6.out);
    noteMalformed(v6, v6Tool, r);
    k.ruleCount += v6.ruleCount;
    k.denyIpv6 = v6.defaultDenyInput;
  } else {
    r.outcome.note(v6Tool + " failed: " + failureReason(p6));
  }
  return true;
}

// The kernel's tables are the truth: ufw and firewalld only write them. Both tools need
// root (CAP_NET_ADMIN) to read them.
KernelState readKernel(Clock::time_point deadline, FirewallResult& r) {
  KernelState k;
  if (!util::findExecutable("nft").empty()) {
    r.backend = "nftables";
    auto p = util::runProcess({"nft", "list", "ruleset"}, util::remaining(deadline));
    if (!succeeded(p)) {
      r.outcome.fail(ProbeStatus::Error,
                     "nft list ruleset failed (root is required): " + failureReason(p));
      return k;
    }
    auto s = parsers::parseNftRuleset(p.out);
    noteMalformed(s, "nft", r);
    k = {true, s.ruleCount, s.denyIpv4, s.denyIpv6};
    // Rules loaded through the legacy x_tables interface (iptables-legacy, older ufw) are
    // invisible to nft; an empty nft rule set is confirmed there.
    if (s.ruleCount == 0 && !s.denyIpv4 && !s.denyIpv6 &&
        !util::findExecutable("iptables-legacy-save").empty()) {
      KernelState legacy;
      FirewallResult scratch;
      if (readIptables("iptables-legacy-save", "ip6tables-legacy-save", deadline, scratch,
                       legacy) &&
          (legacy.ruleCount > 0 || legacy.denyIpv4 || legacy.denyIpv6)) {
        r.backend = "iptables-legacy";
        r.outcome.note(scratch.outcome.message);
        k = legacy;
      }
    }
    return k;
  }
  if (!util::findExecutable("iptables-save").empty()) {
    r.backend = "iptables";
    readIptables("iptables-save", "ip6tables-save", deadline, r, k);
    return k;
  }
  r.outcome.fail(ProbeStatus::Unavailable, "no nftables or iptables tooling found");
  return k;
}

struct Firewalld {
  bool running = false;
  std::string zone;
  std::optional<std::string> target;
};

Firewalld readFirewalld(Clock::time_point deadline, FirewallResult& r) {
  Firewalld f;
  if (util::findExecutable("firewall-cmd").empty()) return f;
  // --state prints "running" and exits 0, or "not running" and exits 252.
  auto state = util::runProcess({"firewall-cmd", "--state"}, util::remaining(deadline));
  f.running = succeeded(state) && parsers::trim(state.out) == "running";
  if (!f.running) return f;
  auto zone = util::runProcess({"firewall-cmd", "--get-default-zone"}, util::remaining(deadline));
  if (!succeeded(zone)) {
    r.outcome.note("firewalld default zone unknown: " + failureReason(zone));
    return f;
  }
  f.zone = std::string(parsers::trim(zone.out));
  auto info = util::runProcess({"firewall-cmd", "--info-zone=" + f.zone}, util::remaining(deadline));
  if (succeeded(info)) f.target = parsers::parseFirewalldZoneTarget(info.out);
  if (!f.target) r.outcome.note("firewalld zone " + f.zone + " target unknown");
  return f;
}

}  // namespace

FirewallResult probeFirewall(const ProbeContext& context) {
  FirewallResult r;
  auto deadline = util::deadlineIn(context.budget);

  bool ufwConfigured = false;
  if (auto conf = util::readFile("/etc/ufw/ufw.conf", 64 * 1024)) {
    auto kv = parsers::parseKeyValue(*conf);
    auto it = kv.find("ENABLED");
    ufwConfigured = it != kv.end() && it->second == "yes";
  }

  auto kernel = readKernel(deadline, r);
  std::string tables = r.backend;
  bool v6 = ipv6Enabled();
  if (kernel.read) {
    r.ruleCount = kernel.ruleCount;
    // A drop policy with no rules still filters every packet: the firewall is on.
    bool anyDeny = kernel.denyIpv4 || kernel.denyIpv6;
    r.enabled = kernel.ruleCount > 0 || anyDeny ? Tristate::On : Tristate::Off;
    bool deny = kernel.denyIpv4 && (kernel.denyIpv6 || !v6);
    r.defaultDenyInput = deny ? Tristate::On : Tristate::Off;
    if (anyDeny && !deny) {
      r.outcome.note(std::string("input is default-deny for ") +
                     (kernel.denyIpv4 ? "IPv4" : "IPv6") + " only");
    }
  }

  // Front-ends: named as the backend because that is what an administrator manages.
  auto firewalld = readFirewalld(deadline, r);
  if (firewalld.running) {
    r.backend = "firewalld";
    if (!tables.empty()) r.outcome.note("firewalld is running; rules read through " + tables);
    // firewalld ends its input chain with a reject, but an ACCEPT zone accepts before it,
    // so the zone target, not the last rule, says whether input is denied by default.
    if (kernel.read && firewalld.target) {
      bool deny = parsers::firewalldTargetDenies(*firewalld.target) && r.enabled == Tristate::On;
      r.defaultDenyInput = deny ? Tristate::On : Tristate::Off;
      r.outcome.note("firewalld default zone " + firewalld.zone + " target " + *firewalld.target);
    }
  } else if (ufwConfigured) {
    r.backend = "ufw";
    r.outcome.note("ufw is enabled; rules read through " +
                   (tables.empty() ? std::string("no backend") : tables));
    if (!util::findExecutable("ufw").empty()) {
      auto p = util::runProcess({"ufw", "status", "verbose"}, util::remaining(deadline));
      if (succeeded(p)) {
        auto st = parsers::parseUfwStatus(p.out);
        if (st.active && !*st.active)
          r.outcome.note("ufw.conf says ENABLED=yes but ufw status is inactive");
        if (st.incoming && kernel.read) {
          bool ufwDeny = *st.incoming == "deny" || *st.incoming == "reject";
          if (ufwDeny != (r.defaultDenyInput == Tristate::On)) {
            r.outcome.note("ufw default incoming policy is " + *st.incoming +
                           " but the kernel tables disagree");
          }
        }
      } else {
        r.outcome.note("ufw status failed: " + failureReason(p));
      }
    }
  }
  return r;
}

}  // namespace posture::agent

#include "agent/probes/firewall.h"

#include "common/util/files.h"
#include "agent/probes/parsers/firewall_rules.h"
#include "agent/probes/parsers/key_value.h"
#include "agent/probes/parsers/text.h"
#include "common/util/process.h"

namespace posture::agent {
namespace {

std::string failureReason(const util::ProcessResult& p) {
  if (!p.error.empty()) return p.error;
  for (auto line : parsers::lines(p.err)) {
    auto t = parsers::trim(line);
    if (!t.empty()) return std::string(t);
  }
  return p.signal ? "killed by signal " + std::to_string(p.signal) : "exit code " + std::to_string(p.exitCode);
}

void apply(const parsers::RulesetSummary& s, const std::string& tool, FirewallResult& r) {
  r.ruleCount = s.ruleCount;
  // A drop policy with no rules still filters every packet: the firewall is on.
  r.enabled = s.ruleCount > 0 || s.defaultDenyInput ? Tristate::On : Tristate::Off;
  r.defaultDenyInput = s.defaultDenyInput ? Tristate::On : Tristate::Off;
  if (!s.malformed.empty()) {
    r.outcome.note(std::to_string(s.malformed.size()) + " unrecognised " + tool + " line(s), first '" +
                   s.malformed.front() + "'");
  }
}

}  // namespace

FirewallResult probeFirewall(const ProbeContext& context) {
  FirewallResult r;
  bool ufw = false;
  if (auto conf = util::readFile("/etc/ufw/ufw.conf", 64 * 1024)) {
    auto kv = parsers::parseKeyValue(*conf);
    auto it = kv.find("ENABLED");
    ufw = it != kv.end() && it->second == "yes";
  }

  // Both tools need root (CAP_NET_ADMIN) to read the kernel's tables.
  if (!util::findExecutable("nft").empty()) {
    r.backend = "nftables";
    auto p = util::runProcess({"nft", "list", "ruleset"}, context.budget);
    if (p.started && !p.timedOut && p.exitCode == 0) {
      apply(parsers::parseNftRuleset(p.out), "nft", r);
    } else {
      r.outcome.fail(ProbeStatus::Error, "nft list ruleset failed (root is required): " + failureReason(p));
    }
  } else if (!util::findExecutable("iptables-save").empty()) {
    r.backend = "iptables";
    auto p = util::runProcess({"iptables-save"}, context.budget);
    if (p.started && !p.timedOut && p.exitCode == 0) {
      apply(parsers::parseIptablesSave(p.out), "iptables-save", r);
    } else {
      r.outcome.fail(ProbeStatus::Error, "iptables-save failed (root is required): " + failureReason(p));
    }
  } else {
    r.outcome.fail(ProbeStatus::Unavailable, "no nftables or iptables tooling found");
  }
  if (ufw) {
    r.outcome.note("ufw is enabled; rules read through " + (r.backend.empty() ? std::string("no backend") : r.backend));
    r.backend = "ufw";
  }
  return r;
}

}  // namespace posture::agent

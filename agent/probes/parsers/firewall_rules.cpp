#include "agent/probes/parsers/firewall_rules.h"

#include <optional>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

// Braces inside quoted strings (comments) do not open blocks.
int braceBalance(std::string_view line) {
  int n = 0;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '{') ++n;
    if (c == '}') --n;
  }
  return n;
}

bool isNumber(std::string_view w) { return parseUnsigned(w).has_value(); }

// A rule that drops or rejects whatever reaches it: only counters may precede the verdict.
bool unconditionalNftDeny(std::string_view rule) {
  for (auto w : words(rule)) {
    if (w == "counter" || w == "packets" || w == "bytes" || isNumber(w)) continue;
    return w == "drop" || w == "reject";
  }
  return false;
}

enum class Block { Table, Chain, Other };

struct Frame {
  Block kind;
  std::string family;  // of the enclosing table
  std::string hook;
  bool policyDrop = false;
  std::string lastRule;
};

}  // namespace

RulesetSummary parseNftRuleset(std::string_view text) {
  RulesetSummary out;
  std::vector<Frame> stack;
  auto closeFrame = [&] {
    const Frame& f = stack.back();
    bool ipFamily = f.family == "ip" || f.family == "ip6" || f.family == "inet";
    if (f.kind == Block::Chain && f.hook == "input" && ipFamily) {
      out.hasInputChain = true;
      if (f.policyDrop || unconditionalNftDeny(f.lastRule)) {
        out.defaultDenyInput = true;
        if (f.family != "ip6") out.denyIpv4 = true;
        if (f.family != "ip") out.denyIpv6 = true;
      }
    }
    stack.pop_back();
  };
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    int balance = braceBalance(line);
    auto w = words(line);
    Block top = stack.empty() ? Block::Other : stack.back().kind;
    bool header = balance == 1 && line.ends_with("{");

    if (stack.empty()) {
      if (header && w.size() >= 3 && w[0] == "table") {
        stack.push_back({Block::Table, w.size() >= 4 ? std::string(w[1]) : "ip", "", false, ""});
      } else {
        out.malformed.emplace_back(line);
      }
      continue;
    }
    if (top == Block::Table && header) {
      stack.push_back(
          {w[0] == "chain" ? Block::Chain : Block::Other, stack.back().family, "", false, ""});
      continue;
    }
    if (top == Block::Chain && balance >= 0) {
      Frame& chain = stack.back();
      bool declaration = false;
      for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[0] == "type" && w[i] == "hook") {
          chain.hook = std::string(w[i + 1]);
          declaration = true;
        }
        if (w[i] == "policy") {
          declaration = true;
          if (w[i + 1].starts_with("drop")) chain.policyDrop = true;
        }
      }
      if (!declaration && w[0] != "comment" && w[0] != "devices") {
        ++out.ruleCount;
        chain.lastRule = std::string(line);
      }
      // A copy: pushing may move the stack, and `chain` with it (a line opening two
      // blocks read freed memory; found by tests/fuzz/agent_parsers_fuzz).
      std::string family = chain.family;
      for (int i = 0; i < balance; ++i) stack.push_back({Block::Other, family, "", false, ""});
      continue;
    }
    if (balance > 0) {
      for (int i = 0; i < balance; ++i)
        stack.push_back({Block::Other, stack.back().family, "", false, ""});
    } else {
      for (int i = 0; i < -balance; ++i) {
        if (stack.empty()) {
          out.malformed.emplace_back(line);
          break;
        }
        closeFrame();
      }
    }
  }
  if (!stack.empty()) out.malformed.emplace_back("unterminated block at end of ruleset");
  return out;
}

RulesetSummary parseIptablesSave(std::string_view text) {
  RulesetSummary out;
  std::string table;
  bool policyDrop = false;
  std::string lastInputRule;
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("[")) {  // packet counters of `iptables-save -c`
      auto close = line.find(']');
      if (close == std::string_view::npos) {
        out.malformed.emplace_back(line);
        continue;
      }
      line = trim(line.substr(close + 1));
      if (line.empty()) {  // counters and no rule (found by tests/fuzz/agent_parsers_fuzz)
        out.malformed.emplace_back(trim(raw));
        continue;
      }
    }
    auto w = words(line);
    if (line[0] == '*') {
      table = std::string(line.substr(1));
    } else if (line == "COMMIT") {
      table.clear();
    } else if (line[0] == ':') {
      if (w.size() < 2 || table.empty()) {
        out.malformed.emplace_back(line);
      } else if (table == "filter" && w[0] == ":INPUT") {
        out.hasInputChain = true;
        policyDrop = w[1] == "DROP";
      }
    } else if (w.size() >= 2 && (w[0] == "-A" || w[0] == "--append") && !table.empty()) {
      ++out.ruleCount;
      if (table == "filter" && w[1] == "INPUT") lastInputRule = std::string(line);
    } else {
      out.malformed.emplace_back(line);
    }
  }
  auto rule = words(lastInputRule);
  bool finalDeny = rule.size() >= 4 && (rule[2] == "-j" || rule[2] == "--jump") &&
                   (rule[3] == "DROP" || rule[3] == "REJECT");
  out.defaultDenyInput = out.hasInputChain && (policyDrop || finalDeny);
  return out;
}

UfwStatus parseUfwStatus(std::string_view text) {
  UfwStatus out;
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (line.starts_with("Status:")) {
      auto v = trim(line.substr(7));
      if (v == "active") out.active = true;
      if (v == "inactive") out.active = false;
    } else if (line.starts_with("Default:")) {
      // "deny (incoming), allow (outgoing), disabled (routed)"
      auto rest = line.substr(8);
      auto at = rest.find("(incoming)");
      if (at == std::string_view::npos) continue;
      auto before = trim(rest.substr(0, at));
      auto comma = before.rfind(',');
      if (comma != std::string_view::npos) before = trim(before.substr(comma + 1));
      if (!before.empty()) out.incoming = std::string(before);
    }
  }
  return out;
}

std::optional<std::string> parseFirewalldZoneTarget(std::string_view text) {
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (line.starts_with("target:")) {
      auto v = trim(line.substr(7));
      if (!v.empty()) return std::string(v);
    }
  }
  return std::nullopt;
}

bool firewalldTargetDenies(std::string_view target) { return target != "ACCEPT"; }

}  // namespace posture::agent::parsers

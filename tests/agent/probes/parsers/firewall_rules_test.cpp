#include "agent/probes/parsers/firewall_rules.h"

#include <doctest/doctest.h>

#include "common/util/files.h"
#include "tests/agent/test_data.h"

using namespace posture::agent::parsers;
using posture::test::agentData;


TEST_CASE("parseNftRuleset counts rules, not set elements or chain declarations") {
  auto s = parseNftRuleset(agentData("nft_list_ruleset_debian.txt"));
  CHECK(s.malformed.empty());
  CHECK(s.ruleCount == 6);
  CHECK(s.hasInputChain);
  CHECK(s.defaultDenyInput);
}

TEST_CASE("parseNftRuleset: an accept policy denies only with a final unconditional drop") {
  const char* accepting = R"(table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 drop
	}
}
)";
  auto a = parseNftRuleset(accepting);
  CHECK(a.ruleCount == 1);
  CHECK(a.hasInputChain);
  CHECK_FALSE(a.defaultDenyInput);

  const char* finalDrop = R"(table ip filter {
	chain INPUT {
		type filter hook input priority filter; policy accept;
		iifname "lo" counter packets 10 bytes 600 accept
		counter packets 3 bytes 180 reject with icmp port-unreachable
	}
}
)";
  auto b = parseNftRuleset(finalDrop);
  CHECK(b.ruleCount == 2);
  CHECK(b.defaultDenyInput);

  // An input hook outside the IP families (arp) does not filter IP traffic.
  auto c = parseNftRuleset("table arp a {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n");
  CHECK_FALSE(c.hasInputChain);
  CHECK_FALSE(c.defaultDenyInput);
}

TEST_CASE("parseNftRuleset on empty and malformed input") {
  auto empty = parseNftRuleset("");
  CHECK(empty.ruleCount == 0);
  CHECK_FALSE(empty.hasInputChain);
  CHECK(empty.malformed.empty());

  auto bad = parseNftRuleset("}\n}\nchain x {\nrandom words\n");
  CHECK_FALSE(bad.malformed.empty());
  CHECK_FALSE(bad.defaultDenyInput);

  auto open = parseNftRuleset("table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n");
  CHECK_FALSE(open.malformed.empty());
  CHECK_FALSE(open.defaultDenyInput);
}

TEST_CASE("parseIptablesSave counts rules of every table and reads the INPUT policy") {
  auto s = parseIptablesSave(agentData("iptables_save_debian.txt"));
  CHECK(s.malformed.empty());
  CHECK(s.ruleCount == 4);
  CHECK(s.hasInputChain);
  CHECK(s.defaultDenyInput);
}

TEST_CASE("parseIptablesSave: ACCEPT policy denies only with a final unconditional DROP/REJECT") {
  auto open = parseIptablesSave("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j DROP\nCOMMIT\n");
  CHECK(open.ruleCount == 1);
  CHECK_FALSE(open.defaultDenyInput);

  auto closed = parseIptablesSave(
      "*filter\n:INPUT ACCEPT [0:0]\n[5:300] -A INPUT -i lo -j ACCEPT\n[0:0] -A INPUT -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n");
  CHECK(closed.ruleCount == 2);
  CHECK(closed.defaultDenyInput);

  // INPUT of another table is not the filter INPUT chain.
  auto nat = parseIptablesSave("*nat\n:INPUT DROP [0:0]\nCOMMIT\n");
  CHECK_FALSE(nat.hasInputChain);
  CHECK_FALSE(nat.defaultDenyInput);
}

TEST_CASE("parseIptablesSave on empty and malformed input") {
  auto empty = parseIptablesSave("");
  CHECK(empty.ruleCount == 0);
  CHECK_FALSE(empty.hasInputChain);
  auto bad = parseIptablesSave("-A INPUT -j ACCEPT\n:INPUT\nwhat is this\n[unclosed -A INPUT\n");
  CHECK(bad.ruleCount == 0);
  CHECK(bad.malformed.size() == 4);
}

TEST_CASE("parseIptablesSave: a line of counters without a rule is malformed, not read past") {
  // Found by tests/fuzz/agent_parsers_fuzz: the empty rest of "[0:0]" was indexed.
  auto r = parseIptablesSave("*filter\n:INPUT DROP [0:0]\n    [0:0]\n[1:2]  \n-A INPUT -j ACCEPT\nCOMMIT\n");
  CHECK(r.ruleCount == 1);
  CHECK(r.defaultDenyInput);
  CHECK(r.malformed == std::vector<std::string>{"[0:0]", "[1:2]"});
}

TEST_CASE("parseNftRuleset: a rule line opening many blocks is counted once and left unterminated") {
  // Found by tests/fuzz/agent_parsers_fuzz: each block pushed read the chain's family through
  // a reference the push had moved (heap-use-after-free under the sanitizers).
  auto r = parseNftRuleset("table inet f {\n\tchain input {\n\t\ttcp dport " +
                           std::string(40, '{') + " 22 accept\n\t}\n}\n");
  CHECK(r.ruleCount == 1);
  REQUIRE_FALSE(r.malformed.empty());
  CHECK(r.malformed.back() == "unterminated block at end of ruleset");
}

TEST_CASE("parseNftRuleset tells which families a default-deny input chain covers") {
  auto v4 = parseNftRuleset("table ip f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n");
  CHECK(v4.defaultDenyInput);
  CHECK(v4.denyIpv4);
  CHECK_FALSE(v4.denyIpv6);
  auto v6 = parseNftRuleset("table ip6 f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n");
  CHECK_FALSE(v6.denyIpv4);
  CHECK(v6.denyIpv6);
  auto both = parseNftRuleset("table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n");
  CHECK(both.denyIpv4);
  CHECK(both.denyIpv6);
  auto none = parseNftRuleset("table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tct state established accept\n\t}\n}\n");
  CHECK(none.ruleCount == 1);
  CHECK_FALSE(none.denyIpv4);
  CHECK_FALSE(none.denyIpv6);
}

TEST_CASE("parseUfwStatus reads the state and the incoming default") {
  auto text = posture::util::readFile(POSTURE_SOURCE_DIR "/tests/agent/data/ufw_status_verbose.txt");
  REQUIRE(text);
  auto s = parseUfwStatus(*text);
  CHECK(s.active == std::optional<bool>(true));
  CHECK(s.incoming == std::optional<std::string>("deny"));

  auto inactive = parseUfwStatus("Status: inactive\n");
  CHECK(inactive.active == std::optional<bool>(false));
  CHECK_FALSE(inactive.incoming);
  auto allow = parseUfwStatus("Status: active\nDefault: allow (incoming), allow (outgoing)\n");
  CHECK(allow.incoming == std::optional<std::string>("allow"));
  auto garbage = parseUfwStatus("Status: maybe\nDefault: nonsense\nDefault:\n");
  CHECK_FALSE(garbage.active);
  CHECK_FALSE(garbage.incoming);
  CHECK_FALSE(parseUfwStatus("").active);
}

TEST_CASE("parseFirewalldZoneTarget and the meaning of the targets") {
  auto text = posture::util::readFile(POSTURE_SOURCE_DIR "/tests/agent/data/firewalld_info_zone_public.txt");
  REQUIRE(text);
  CHECK(parseFirewalldZoneTarget(*text) == std::optional<std::string>("default"));
  CHECK(parseFirewalldZoneTarget("trusted (active)\n  target: ACCEPT\n") == std::optional<std::string>("ACCEPT"));
  CHECK_FALSE(parseFirewalldZoneTarget("public\n  target:\n"));
  CHECK_FALSE(parseFirewalldZoneTarget(""));
  CHECK(firewalldTargetDenies("default"));
  CHECK(firewalldTargetDenies("DROP"));
  CHECK(firewalldTargetDenies("%%REJECT%%"));
  CHECK_FALSE(firewalldTargetDenies("ACCEPT"));
}

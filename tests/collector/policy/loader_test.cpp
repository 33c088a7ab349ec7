#include "collector/policy/policy.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "collector/policy/evaluator.h"
#include "tests/support/temp_dir.h"

using posture::test::TempDir;

namespace fs = std::filesystem;
using namespace posture::policy;

namespace {

const fs::path kSourceDir = POSTURE_SOURCE_DIR;
const fs::path kBadDir = kSourceDir / "tests/collector/policy/bad";

std::string loadError(const fs::path& file) {
  try {
    loadPolicyFile(file);
  } catch (const PolicyError& e) {
    return e.what();
  }
  return "(loaded without error)";
}

struct BadFile {
  const char* file;
  const char* expected;  // a substring of what(), starting with FILE:LINE:COLUMN
};

// Each line and column was counted by hand in the file, not copied from the loader.
const BadFile kBadFiles[] = {
    {"empty.yaml", "empty.yaml:1:1: the policy file is empty"},
    {"unknown-key.yaml",
     "unknown-key.yaml:9:5: unknown key 'colour' in check (allowed: id, title, severity, "
     "predicate, remediation, source)"},
    {"missing-key.yaml", "missing-key.yaml:6:5: check is missing required key 'severity'"},
    {"wrong-type.yaml",
     "wrong-type.yaml:4:10: title must be a map with keys vi and en, got quoted text 'Thử nghiệm'"},
    {"unknown-fact.yaml",
     "unknown-fact.yaml:9:23: unknown fact 'antivirus.realtime' (facts of antivirus.: "
     "antivirus.installed, "},
    {"op-type-mismatch.yaml",
     "op-type-mismatch.yaml:11:11: op 'le' does not apply to bool fact 'antivirus.real_time' "
     "(allowed: eq, ne)"},
    {"value-type-mismatch.yaml",
     "value-type-mismatch.yaml:12:14: value for bool fact 'antivirus.real_time' must be true or "
     "false, got 'yes'"},
    {"quoted-number.yaml",
     "quoted-number.yaml:9:64: value for number fact 'patches.pending_security' must be a "
     "number, got quoted text '0'"},
    {"unknown-op.yaml",
     "unknown-op.yaml:9:44: unknown op 'lte' (allowed: eq, ne, lt, le, gt, ge, in)"},
    {"in-without-list.yaml",
     "in-without-list.yaml:9:56: op 'in' needs a non-empty list of values, got 'Windows'"},
    {"unknown-reference.yaml",
     "unknown-reference.yaml:11:16: unknown predicate 'protectd' (defined: protected)"},
    {"reference-cycle.yaml",
     "reference-cycle.yaml:13:12: predicate reference cycle: a -> b -> c -> a"},
    {"unknown-severity.yaml",
     "unknown-severity.yaml:8:15: unknown severity 'severe' (allowed: low, medium, high, "
     "critical)"},
    {"duplicate-id.yaml", "duplicate-id.yaml:11:9: duplicate id 'c1' (first used at line 6)"},
    {"duplicate-key.yaml", "duplicate-key.yaml:5:3: duplicate key 'id' in policy (first at line 2)"},
    {"impossible-date.yaml",
     "impossible-date.yaml:12:14: 'by' must be a real date written YYYY-MM-DD, got '2023-02-29'"},
    {"date-format.yaml",
     "date-format.yaml:11:14: 'by' must be a real date written YYYY-MM-DD, got '31/12/2022'"},
    {"percent-over-100.yaml",
     "percent-over-100.yaml:12:36: at_least is a percentage and must be within 0..100, got 110"},
    {"milestones-out-of-order.yaml",
     "milestones-out-of-order.yaml:12:14: milestones must be in increasing date order: "
     "2022-12-31 is not after 2023-12-31"},
    {"no-checks-no-targets.yaml",
     "no-checks-no-targets.yaml:1:1: the policy defines no checks and no targets"},
    {"two-documents.yaml",
     "two-documents.yaml:7:1: a policy file holds one YAML document, found more"},
    {"bad-scope.yaml", "bad-scope.yaml:9:19: unknown scope 'district' (allowed: unit, overall)"},
    {"empty-all.yaml",
     "empty-all.yaml:9:22: 'all' needs a non-empty list of predicates, got an empty list"},
    {"empty-value.yaml", "empty-value.yaml:4:3: 'title' has no value"},
    {"unknown-measure.yaml",
     "unknown-measure.yaml:8:15: unknown key 'share_of_people' in measure (allowed: "
     "share_of_endpoints, share_of_systems, four_layer, among)"},
    {"endpoint-fact-in-systems.yaml",
     "endpoint-fact-in-systems.yaml:8:33: fact 'firewall.enabled' describes an endpoint and "
     "cannot be used in share_of_systems (it counts information systems)"},
    {"system-fact-in-check.yaml",
     "system-fact-in-check.yaml:9:16: fact 'system.level' describes an information system and "
     "cannot be used in an endpoint check"},
    {"system-fact-via-name.yaml",
     "system-fact-via-name.yaml:9:9: fact 'system.level' describes an information system and "
     "cannot be used in share_of_endpoints (it counts endpoints); reached through predicate "
     "'high-level' used at line 13"},
    {"layer-five.yaml",
     "layer-five.yaml:8:40: layer must be 1, 2, 3 or 4 (the four-layer model), got 5"},
    {"layer-twice.yaml", "layer-twice.yaml:8:43: layer 2 is listed twice"},
    {"layers-empty.yaml",
     "layers-empty.yaml:8:36: layers must be a non-empty list of layer numbers 1..4, got "},
    {"layer-not-number.yaml", "layer-not-number.yaml:8:40: layer must be a number, got 'two'"},
    {"unknown-system-fact.yaml",
     "unknown-system-fact.yaml:8:40: unknown fact 'system.levle' (facts of system.: "
     "system.level, system.shared, system.dossier_approved, "},
    {"endpoint-fact-in-among.yaml",
     "endpoint-fact-in-among.yaml:10:14: fact 'antivirus.managed' describes an endpoint and "
     "cannot be used in share_of_systems (it counts information systems)"},
    {"measure-two-kinds.yaml",
     "measure-two-kinds.yaml:9:7: measure needs exactly one of: share_of_endpoints, "
     "share_of_systems, four_layer"},
    {"four-layer-among.yaml",
     "four-layer-among.yaml:10:7: 'among' applies to share_of_endpoints and share_of_systems, "
     "not four_layer"},
    {"mixed-predicate.yaml",
     "mixed-predicate.yaml:10:9: fact 'system.shared' describes an information system and "
     "cannot be used in predicate 'mixed', whose first fact 'firewall.enabled' (line 6) "
     "describes an endpoint (a named predicate reads endpoint facts or system facts, not both)"},
    // Found by tests/fuzz/policy_loader_fuzz: such files hung the loader (and evaluation).
    {"names-doubling.yaml",
     "names-doubling.yaml:9:3: this predicate stands for more than 1000 conditions once its "
     "named predicates are expanded"},
    {"aliases-doubling.yaml",
     "aliases-doubling.yaml:16:3: this predicate stands for more than 1000 conditions once its "
     "named predicates are expanded"},
    // yaml-cpp 0.7's LoadAll looped forever on it, allocating (tests/fuzz/policy_loader_fuzz).
    {"stray-comma.yaml", "stray-comma.yaml:2:1: YAML syntax error: unexpected ','"},
    {"applies-to-empty.yaml",
     "applies-to-empty.yaml:5:15: applies_to lists no unit (leave it out to apply everywhere)"},
    {"applies-to-bad-code.yaml",
     "applies-to-bad-code.yaml:5:20: applies_to unit code 'Bình Sơn' must be 1-64 letters, digits, "
     "'.', '_' or '-'"},
    {"applies-to-twice.yaml", "applies-to-twice.yaml:5:24: applies_to names unit 'BS' twice"},
    {"applies-to-not-list.yaml", "applies-to-not-list.yaml:5:15: 'applies_to' must be a list, got "},
};

// Seed text from `line` on, with every run of whitespace made one space: the plans are PDF
// extractions with a blank line between text lines and sentences broken across lines.
std::string collapse(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

// The quote must begin on the cited line and may run on over the next lines.
std::string quoteProblem(const fs::path& seeds, const Source& s, const std::string& where) {
  std::ifstream in(seeds / s.file);
  if (!in) return where + ": seed file " + s.file + " not found";
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  if (s.line < 1 || static_cast<std::size_t>(s.line) > lines.size()) {
    return where + ": line " + std::to_string(s.line) + " is past the end of " + s.file;
  }
  std::string first = collapse(lines[s.line - 1]);
  std::string text = first;
  for (std::size_t i = s.line; i < lines.size() && i < static_cast<std::size_t>(s.line) + 12; ++i) {
    text += " " + lines[i];
  }
  text = collapse(text);
  std::size_t at = text.find(collapse(s.quote));
  if (at == std::string::npos || at >= first.size()) {
    return where + ": quote \"" + s.quote + "\" does not start on " + s.file + " line " +
           std::to_string(s.line) + " (\"" + first + "\")";
  }
  return "";
}

std::vector<fs::path> shippedPolicies() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kSourceDir / "policies")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  return files;
}


const char* kMinimal = R"(policy:
  id: POLICY_ID
  version: 1
  title: {vi: "Thử", en: "Test"}
checks:
  - id: c1
    title: {vi: "Thử", en: "Test"}
    severity: low
    predicate: {fact: firewall.enabled, op: eq, value: true}
    remediation: {vi: "Sửa", en: "Fix"}
)";

std::string minimal(const std::string& id) {
  std::string s = kMinimal;
  s.replace(s.find("POLICY_ID"), 9, id);
  return s;
}

}  // namespace

TEST_CASE("every bad policy file is rejected with its file, line, column and reason") {
  CHECK(std::size(kBadFiles) >= 12);
  for (const auto& bad : kBadFiles) {
    std::string file = bad.file;
    CAPTURE(file);
    std::string error = loadError(kBadDir / bad.file);
    std::string expected = (kBadDir / bad.expected).string();
    CHECK_MESSAGE(error.find(expected) != std::string::npos, error);
  }
}

TEST_CASE("every file in tests/collector/policy/bad has an expectation") {
  for (const auto& e : fs::directory_iterator(kBadDir)) {
    std::string name = e.path().filename().string();
    CAPTURE(name);
    bool listed = name == "syntax-error.yaml";  // its own test case below
    for (const auto& bad : kBadFiles) listed = listed || name == bad.file;
    CHECK(listed);
  }
}

TEST_CASE("a YAML syntax error carries the parser's position") {
  std::string error = loadError(kBadDir / "syntax-error.yaml");
  std::string prefix = (kBadDir / "syntax-error.yaml").string() + ":";
  REQUIRE(error.rfind(prefix, 0) == 0);
  CHECK(error.find("YAML syntax error") != std::string::npos);
  // The flow map opened on line 4 is never closed; yaml-cpp notices on line 5 at the latest.
  int line = std::stoi(error.substr(prefix.size()));
  CHECK(line >= 4);
  CHECK(line <= 5);
}

TEST_CASE("YAML aliases cannot make a policy stand for more conditions than the loader allows") {
  // a8 is 511 nodes and each q<i> a copy of it: every predicate is small, but the file
  // builds over 20,000 nodes. A few more lines of aliases would make millions, all built
  // before anything is evaluated.
  std::string yaml = "policy: {id: bad, version: 1, title: {vi: a, en: a}}\npredicates:\n"
                     "  p0: &a0 {fact: firewall.enabled, op: eq, value: true}\n";
  for (int i = 1; i < 9; ++i) {
    std::string below = "*a" + std::to_string(i - 1);
    yaml += "  p" + std::to_string(i) + ": &a" + std::to_string(i) + " {any: [" + below + ", " +
            below + "]}\n";
  }
  for (int i = 0; i < 40; ++i) yaml += "  q" + std::to_string(i) + ": {none: [*a8]}\n";
  yaml += "checks: [{id: c, title: {vi: a, en: a}, severity: low, predicate: p0, "
          "remediation: {vi: a, en: a}}]\n";
  std::string error = "(loaded without error)";
  try {
    loadPolicyText(yaml, "aliases.yaml");
  } catch (const PolicyError& e) {
    error = e.what();
  }
  CHECK_MESSAGE(error.find("the predicates of this file stand for more than 20000 conditions "
                           "(each use of a YAML alias counts as a copy)") != std::string::npos,
                error);
  CHECK(error.rfind("aliases.yaml:", 0) == 0);
}

TEST_CASE("a predicate within the bound loads and evaluates through its names") {
  // p<k> uses p<k+1> twice: with the names counted it has 4 * 2^(9-k) - 3 nodes, p2 509.
  std::string yaml = "policy: {id: ok, version: 1, title: {vi: a, en: a}}\npredicates:\n";
  for (int i = 2; i < 9; ++i) {
    yaml += "  p" + std::to_string(i) + ": {all: [p" + std::to_string(i + 1) + ", p" +
            std::to_string(i + 1) + "]}\n";
  }
  yaml += "  p9: {fact: firewall.enabled, op: eq, value: true}\n"
          "checks: [{id: c, title: {vi: a, en: a}, severity: low, predicate: p2, "
          "remediation: {vi: a, en: a}}]\n";
  Policy p = loadPolicyText(yaml, "ok.yaml");
  Facts facts;
  facts.set("firewall.enabled", true);
  CHECK(evaluateCheck(p.checks.at(0), facts) == Tri::True);
}

TEST_CASE("a stray ',' after the document is a syntax error too, and a second document still found") {
  auto error = [](const std::string& yaml) {
    try {
      loadPolicyText(yaml, "p.yaml");
    } catch (const PolicyError& e) {
      return std::string(e.what());
    }
    return std::string("(loaded without error)");
  };
  CHECK(error("- {id: a}\n,\n") == "p.yaml:2:1: YAML syntax error: unexpected ','");
  CHECK(error(minimal("one") + "---\n" + minimal("two")) ==
        "p.yaml:12:1: a policy file holds one YAML document, found more");
}

TEST_CASE("an unreadable file or directory is an error naming it") {
  CHECK(loadError(kBadDir / "does-not-exist.yaml").find("does-not-exist.yaml: cannot open") !=
        std::string::npos);
  CHECK_THROWS_AS(loadPolicyDirectory(kBadDir / "no-such-dir"), PolicyError);
}

TEST_CASE("every shipped policy loads") {
  auto files = shippedPolicies();
  REQUIRE_FALSE(files.empty());
  for (const auto& f : files) {
    CAPTURE(f.string());
    CHECK_NOTHROW(loadPolicyFile(f));
  }
  CHECK(loadPolicyDirectory(kSourceDir / "policies").size() == files.size());
}

TEST_CASE("every quote of a shipped policy matches its seed line") {
  fs::path seeds = kSourceDir / ".." / "shared" / "seeds";
  if (!fs::is_directory(seeds)) {
    MESSAGE("seed folder " << seeds.string() << " absent; quotes not checked");
    return;
  }
  int checked = 0;
  for (const auto& f : shippedPolicies()) {
    Policy p = loadPolicyFile(f);
    std::vector<std::pair<Source, std::string>> sources;
    if (!p.source.file.empty()) sources.emplace_back(p.source, p.id);
    for (const auto& c : p.checks) {
      if (!c.source.file.empty()) sources.emplace_back(c.source, p.id + "/" + c.id);
    }
    for (const auto& t : p.targets) sources.emplace_back(t.source, p.id + "/" + t.id);
    for (const auto& [s, where] : sources) {
      std::string problem = quoteProblem(seeds, s, where);
      CHECK_MESSAGE(problem.empty(), problem);
      ++checked;
    }
  }
  CHECK(checked > 0);
}

TEST_CASE("the quote check itself notices a wrong line") {
  fs::path seeds = kSourceDir / ".." / "shared" / "seeds";
  if (!fs::is_directory(seeds)) {
    MESSAGE("seed folder absent");
    return;
  }
  Source right{"000_0c422011ef2b1f6d.txt", 218,
               "Có tối thiểu 90% thiết bị đầu cuối được cài đặt giải pháp bảo vệ, phấn đấu đến năm "
               "2023 là 100%"};
  CHECK(quoteProblem(seeds, right, "x").empty());
  Source early = right;
  early.line = 216;  // the quote appears later in the text, but not on this line
  CHECK_FALSE(quoteProblem(seeds, early, "x").empty());
  Source late = right;
  late.line = 220;
  CHECK_FALSE(quoteProblem(seeds, late, "x").empty());
}

TEST_CASE("each shipped local plan binds its own unit; the national baseline binds none") {
  auto v = loadPolicyDirectory(kSourceDir / "policies");
  std::map<std::string, std::vector<std::string>> bound;
  for (const auto& p : v) bound[p.id] = p.appliesTo;
  CHECK(bound.at("national-baseline").empty());
  CHECK(bound.at("binh-son-2022") == std::vector<std::string>{"BS"});
  CHECK(bound.at("duc-co-2023") == std::vector<std::string>{"DC"});
  CHECK(bound.at("thanh-ha-2022") == std::vector<std::string>{"TH"});
  CHECK(bound.at("an-khuong-2024") == std::vector<std::string>{"AK"});
  CHECK(appliesWithin(v.front(), {"X"}) == v.front().appliesTo.empty());
}

TEST_CASE("the Bình Sơn policy encodes the 90% / 100% protection target of line 218") {
  Policy p = loadPolicyFile(kSourceDir / "policies/binh-son-2022.yaml");
  CHECK(p.id == "binh-son-2022");
  CHECK(p.version == 2);
  REQUIRE(p.targets.size() == 4);
  const Target& t = p.targets[0];
  CHECK(t.id == "endpoints-protected-share");
  CHECK(t.source.line == 218);
  CHECK(t.scopes == std::vector<std::string>{"unit", "overall"});
  REQUIRE(t.milestones.size() == 2);
  CHECK(t.milestones[0].byDay == 19357);  // 2022-12-31
  CHECK(t.milestones[0].atLeastPercent == 90);
  CHECK(t.milestones[1].byDay == 19722);  // 2023-12-31
  CHECK(t.milestones[1].atLeastPercent == 100);
  CHECK(t.severity == Severity::High);
  CHECK(factsUsedBy(t) ==
        std::vector<std::string>{"antivirus.real_time", "antivirus.signature_age_days"});

  std::vector<std::string> ids;
  for (const auto& c : p.checks) ids.push_back(c.id);
  CHECK(ids == std::vector<std::string>{"endpoint-protected", "antivirus-signatures-recent",
                                        "security-updates-applied", "firewall-enabled",
                                        "ipv6-routable"});
  CHECK(p.checks[0].severity == Severity::High);
  CHECK(p.checks[2].severity == Severity::Medium);
  CHECK(p.checks[4].severity == Severity::Low);

  Facts facts;
  facts.set("antivirus.real_time", true);
  facts.set("antivirus.signature_age_days", 7.0);
  CHECK(evaluateTargetPredicate(t, facts) == Tri::True);
  facts.set("antivirus.signature_age_days", 7.5);
  CHECK(evaluateTargetPredicate(t, facts) == Tri::False);
}

TEST_CASE("a valid policy keeps comparisons, references, in-lists and locations") {
  Policy p = loadPolicyText(R"(policy:
  id: sample
  version: 3
  title: {vi: "Mẫu", en: "Sample"}
predicates:
  windows: {fact: endpoint.os_name, op: in, value: [Windows 10, Windows 11]}
  fresh: {fact: report.age_hours, op: lt, value: 48.5}
checks:
  - id: windows-and-fresh
    title: {vi: "Mẫu", en: "Sample"}
    severity: critical
    predicate:
      all: [windows, fresh, {none: [{fact: patches.reboot_required, op: ne, value: false}]}]
    remediation: {vi: "Sửa", en: "Fix"}
)",
                            "sample.yaml");
  CHECK(p.file == "sample.yaml");
  CHECK(p.version == 3);
  CHECK(p.title.vi == "Mẫu");
  CHECK(p.idLocation.line == 2);
  CHECK(p.idLocation.column == 7);
  REQUIRE(p.checks.size() == 1);
  const Check& c = p.checks[0];
  CHECK(c.location.line == 9);
  CHECK(c.severity == Severity::Critical);
  CHECK(c.source.file.empty());
  REQUIRE(c.predicate.kind == Predicate::Kind::All);
  REQUIRE(c.predicate.children.size() == 3);
  const Predicate& windows = c.predicate.children[0];
  CHECK(windows.kind == Predicate::Kind::Ref);
  REQUIRE(windows.resolved != nullptr);
  CHECK(windows.resolved->comparison.op == Op::In);
  CHECK(windows.resolved->comparison.values ==
        std::vector<FactValue>{std::string("Windows 10"), std::string("Windows 11")});
  CHECK(c.predicate.children[1].resolved->comparison.values == std::vector<FactValue>{48.5});
  CHECK(factsUsedBy(c) == std::vector<std::string>{"endpoint.os_name", "report.age_hours",
                                                   "patches.reboot_required"});

  // The copy must not depend on the original's named predicates staying alive.
  Check copy;
  {
    Policy temporary = p;
    copy = temporary.checks[0];
  }
  Facts facts;
  facts.set("endpoint.os_name", std::string("Windows 11"));
  facts.set("report.age_hours", 2.0);
  facts.set("patches.reboot_required", false);
  CHECK(evaluateCheck(copy, facts) == Tri::True);
  facts.set("endpoint.os_name", std::string("Ubuntu"));
  CHECK(evaluateCheck(copy, facts) == Tri::False);
}

TEST_CASE("a policy directory loads sorted, skips other files and rejects a duplicate id") {
  TempDir dir;
  dir.write("b.yaml", minimal("second"));
  dir.write("a.yaml", minimal("first"));
  dir.write("notes.txt", "not a policy");
  dir.write("old.yaml.bak", minimal("first"));
  auto policies = loadPolicyDirectory(dir.path());
  REQUIRE(policies.size() == 2);
  CHECK(policies[0].id == "first");
  CHECK(policies[1].id == "second");

  dir.write("c.yaml", minimal("first"));
  try {
    loadPolicyDirectory(dir.path());
    FAIL("duplicate id accepted");
  } catch (const PolicyError& e) {
    std::string what = e.what();
    CHECK(what.find((dir.path() / "c.yaml").string() + ":2:7: duplicate policy id 'first' (also in ") !=
          std::string::npos);
    CHECK(what.find("a.yaml") != std::string::npos);
  }
}

TEST_CASE("an empty policy directory yields no policies") {
  TempDir dir;
  CHECK(loadPolicyDirectory(dir.path()).empty());
}

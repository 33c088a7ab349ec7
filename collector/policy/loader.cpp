// Strict policy loading: every mistake an IT officer can make in a policy file is reported
// with FILE:LINE:COLUMN and what was expected, because a silently ignored key or a typo in a
// fact name would quietly change what the collector calls compliant.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "collector/policy/policy.h"
#include "collector/policy/strict_yaml.h"
#include "common/util/time.h"
#include "common/util/unit_code.h"

namespace posture::policy {
namespace {

constexpr int kMaxPredicateDepth = 32;
// What a predicate stands for once YAML aliases and predicate names are expanded is what
// the loader checks and every evaluation walks, for each endpoint. A few lines that use an
// alias or a name twice, each level doubling the one below, stand for billions of
// conditions, so both expansions are bounded.
constexpr std::size_t kMaxPredicateSize = 1000;    // nodes of one predicate, names expanded
constexpr std::size_t kMaxPredicateNodes = 20000;  // nodes built for the file (aliases copied)
constexpr std::size_t kMaxIdLength = 64;

class Loader : public StrictYamlReader {
public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  Policy load(std::string_view text) {
    YAML::Node doc = loadDocument(text, "a policy file");
    if (!doc.IsDefined() || doc.IsNull()) fail(Location{1, 1}, "the policy file is empty");
    return policy(doc);
  }

  using StrictYamlReader::fail;
  [[noreturn]] void fail(Location at, const std::string& message) const override {
    throw PolicyError(file_, at.line, at.column, message);
  }

private:
  std::string id(const YAML::Node& node, const std::string& what) const {
    std::string s = text(node, what);
    bool ok = s.size() <= kMaxIdLength && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'));
    for (char c : s) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
    }
    if (!ok) {
      fail(node, what + " '" + s +
                     "' must be lower-case letters, digits, '-', '_' or '.', starting with a "
                     "letter or digit, at most 64 characters");
    }
    return s;
  }

  LocalizedText localized(const YAML::Node& node, const std::string& what) const {
    if (!node.IsMap()) {
      fail(node, what + " must be a map with keys vi and en, got " + describe(node));
    }
    Fields fs = fields(node, what, {"vi", "en"}, {"vi", "en"});
    return LocalizedText{text(find(fs, "vi")->value, what + ".vi"),
                         text(find(fs, "en")->value, what + ".en")};
  }

  Severity severity(const YAML::Node& node) const {
    static const std::vector<std::pair<std::string_view, Severity>> kNames = {
        {"low", Severity::Low},
        {"medium", Severity::Medium},
        {"high", Severity::High},
        {"critical", Severity::Critical}};
    if (node.IsScalar()) {
      for (const auto& [name, s] : kNames) {
        if (node.Scalar() == name) return s;
      }
    }
    fail(node, "unknown severity " + describe(node) + " (allowed: low, medium, high, critical)");
  }

  Source source(const YAML::Node& node) const {
    Fields fs = fields(node, "source", {"file", "line", "quote"}, {"file", "line", "quote"});
    Source s;
    const YAML::Node& fileNode = find(fs, "file")->value;
    s.file = text(fileNode, "source.file");
    if (s.file.find('/') != std::string::npos || s.file.find('\\') != std::string::npos ||
        s.file == "." || s.file == "..") {
      fail(fileNode, "source.file must be a file name in shared/seeds, without a folder");
    }
    s.line = positiveInt(find(fs, "line")->value, "source.line");
    s.quote = text(find(fs, "quote")->value, "source.quote");
    return s;
  }

  // --- predicates ---------------------------------------------------------------------

  std::string unknownFactMessage(const std::string& name) const {
    std::string group = name.substr(0, name.find('.') + 1);
    std::vector<std::string_view> siblings;
    std::vector<std::string_view> groups;
    for (const auto* catalogue : {&factCatalogue(), &systemFactCatalogue()}) {
      for (const auto& f : *catalogue) {
        std::string_view g = f.name.substr(0, f.name.find('.') + 1);
        if (!group.empty() && g == group) siblings.push_back(f.name);
        if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
      }
    }
    std::string msg = "unknown fact '" + name + "'";
    if (!siblings.empty()) return msg + " (facts of " + group + ": " + joined(siblings) + ")";
    return msg + " (fact groups: " + joined(groups) + "; see collector/policy/README.md)";
  }

  FactValue typedValue(const YAML::Node& node, const FactInfo& fact) const {
    std::string what = "value for " + std::string(factTypeName(fact.type)) + " fact '" +
                       std::string(fact.name) + "'";
    switch (fact.type) {
      case FactType::Bool:
        if (node.IsScalar() && isPlain(node)) {
          if (node.Scalar() == "true") return true;
          if (node.Scalar() == "false") return false;
        }
        fail(node, what + " must be true or false, got " + describe(node));
      case FactType::Number: return number(node, what);
      case FactType::String: break;
    }
    if (!node.IsScalar()) fail(node, what + " must be text, got " + describe(node));
    return node.Scalar();
  }

  Predicate comparison(const YAML::Node& node) const {
    static const std::vector<std::string_view> kOps = {"eq", "ne", "lt", "le", "gt", "ge", "in"};
    Fields fs = fields(node, "comparison", {"fact", "op", "value"}, {"fact", "op", "value"});
    Predicate p;
    p.kind = Predicate::Kind::Comparison;
    p.location = locationOf(node.Mark());

    const YAML::Node& factNode = find(fs, "fact")->value;
    p.comparison.fact = text(factNode, "fact");
    const FactInfo* fact = findFact(p.comparison.fact);
    if (fact == nullptr) fact = findSystemFact(p.comparison.fact);
    if (fact == nullptr) fail(factNode, unknownFactMessage(p.comparison.fact));

    const YAML::Node& opNode = find(fs, "op")->value;
    std::string op = text(opNode, "op");
    auto opIt = std::find(kOps.begin(), kOps.end(), op);
    if (opIt == kOps.end()) fail(opNode, "unknown op '" + op + "' (allowed: " + joined(kOps) + ")");
    p.comparison.op = static_cast<Op>(opIt - kOps.begin());

    std::vector<std::string_view> fitting;
    switch (fact->type) {
      case FactType::Bool: fitting = {"eq", "ne"}; break;
      case FactType::Number: fitting = kOps; break;
      case FactType::String: fitting = {"eq", "ne", "in"}; break;
    }
    if (std::find(fitting.begin(), fitting.end(), op) == fitting.end()) {
      fail(opNode, "op '" + op + "' does not apply to " + std::string(factTypeName(fact->type)) +
                       " fact '" + p.comparison.fact + "' (allowed: " + joined(fitting) + ")");
    }

    const YAML::Node& valueNode = find(fs, "value")->value;
    if (p.comparison.op == Op::In) {
      if (!valueNode.IsSequence() || valueNode.size() == 0) {
        fail(valueNode, "op 'in' needs a non-empty list of values, got " + describe(valueNode));
      }
      for (const auto& item : valueNode) p.comparison.values.push_back(typedValue(item, *fact));
    } else {
      p.comparison.values.push_back(typedValue(valueNode, *fact));
    }
    return p;
  }

  Predicate predicate(const YAML::Node& node, int depth) {
    if (depth > kMaxPredicateDepth) {
      fail(node, "predicate nested deeper than " + std::to_string(kMaxPredicateDepth) + " levels");
    }
    if (++built_ > kMaxPredicateNodes) {
      fail(node, "the predicates of this file stand for more than " +
                     std::to_string(kMaxPredicateNodes) +
                     " conditions (each use of a YAML alias counts as a copy)");
    }
    if (node.IsScalar()) {
      Predicate p;
      p.kind = Predicate::Kind::Ref;
      p.ref = id(node, "predicate name");
      p.location = locationOf(node.Mark());
      return p;
    }
    if (!node.IsMap()) {
      fail(node, "a predicate must be the name of a predicate or a map, got " + describe(node));
    }
    Fields fs = entries(node, "predicate");
    if (find(fs, "fact") != nullptr) return comparison(node);

    static const std::vector<std::string_view> kAllowed = {"fact", "op", "value", "all", "any", "none"};
    const Field* combinator = nullptr;
    for (const auto& f : fs) {
      if (f.key == "all" || f.key == "any" || f.key == "none") {
        if (combinator != nullptr) {
          fail(f.keyNode, "a predicate has exactly one of all, any, none; found '" +
                              combinator->key + "' and '" + f.key + "'");
        }
        combinator = &f;
      } else if (f.key == "op" || f.key == "value") {
        fail(node, "comparison is missing required key 'fact'");
      } else {
        fail(f.keyNode, "unknown key '" + f.key + "' in predicate (allowed: " + joined(kAllowed) + ")");
      }
    }
    if (combinator == nullptr) {
      fail(node, "a predicate needs 'fact' (a comparison) or one of all, any, none");
    }
    Predicate p;
    p.kind = combinator->key == "all"   ? Predicate::Kind::All
             : combinator->key == "any" ? Predicate::Kind::Any
                                        : Predicate::Kind::None;
    p.location = locationOf(node.Mark());
    const YAML::Node& list = combinator->value;
    if (!list.IsSequence() || list.size() == 0) {
      fail(list, "'" + combinator->key + "' needs a non-empty list of predicates, got " + describe(list));
    }
    for (const auto& child : list) p.children.push_back(predicate(child, depth + 1));
    return p;
  }

  struct Named {
    Predicate tree;
    std::shared_ptr<const Predicate> resolved;
    bool visiting = false;
    std::size_t size = 0;  // nodes with names expanded, once resolved
  };

  // Nodes of a resolved predicate with its names expanded, counting a name as one node
  // too (so a chain of names is bounded in depth); stops counting past the bound.
  std::size_t expandedSize(const Predicate& p) const {
    switch (p.kind) {
      case Predicate::Kind::Comparison: return 1;
      case Predicate::Kind::Ref: return 1 + named_.at(p.ref).size;
      default: break;
    }
    std::size_t n = 1;
    for (const auto& c : p.children) {
      n += expandedSize(c);
      if (n > kMaxPredicateSize) break;
    }
    return n;
  }

  // Resolved predicates only: the walks after this (subject checks, evaluation) are
  // bounded by its size.
  std::size_t requireBoundedSize(const Predicate& p, Location at) const {
    std::size_t n = expandedSize(p);
    if (n > kMaxPredicateSize) {
      fail(at, "this predicate stands for more than " + std::to_string(kMaxPredicateSize) +
                   " conditions once its named predicates are expanded");
    }
    return n;
  }

  void resolveRefs(Predicate& p) {
    if (p.kind == Predicate::Kind::Ref) {
      p.resolved = resolveNamed(p.ref, p.location);
      return;
    }
    for (auto& c : p.children) resolveRefs(c);
  }

  std::shared_ptr<const Predicate> resolveNamed(const std::string& name, Location at) {
    auto it = named_.find(name);
    if (it == named_.end()) {
      std::vector<std::string_view> defined;
      for (const auto& [n, _] : named_) defined.push_back(n);
      fail(at, "unknown predicate '" + name + "' (" +
                   (defined.empty() ? std::string("no predicates are defined")
                                    : "defined: " + joined(defined)) + ")");
    }
    Named& n = it->second;
    if (n.resolved) return n.resolved;
    if (n.visiting) {
      std::string cycle;
      auto start = std::find(stack_.begin(), stack_.end(), name);
      for (auto s = start; s != stack_.end(); ++s) cycle += *s + " -> ";
      fail(at, "predicate reference cycle: " + cycle + name);
    }
    n.visiting = true;
    stack_.push_back(name);
    resolveRefs(n.tree);
    stack_.pop_back();
    n.size = requireBoundedSize(n.tree, namedAt_.at(name));
    n.resolved = std::make_shared<const Predicate>(std::move(n.tree));
    return n.resolved;
  }

  // --- policy, checks, targets ----------------------------------------------------------

  void claimId(const std::string& id, const YAML::Node& node) {
    auto [it, inserted] = ids_.emplace(id, locationOf(node.Mark()));
    if (!inserted) {
      fail(node, "duplicate id '" + id + "' (first used at line " +
                     std::to_string(it->second.line) + ")");
    }
  }

  Check check(const YAML::Node& node) {
    Fields fs = fields(node, "check", {"id", "title", "severity", "predicate", "remediation", "source"},
                       {"id", "title", "severity", "predicate", "remediation"});
    Check c;
    c.location = locationOf(node.Mark());
    const YAML::Node& idNode = find(fs, "id")->value;
    c.id = id(idNode, "check id");
    claimId(c.id, idNode);
    c.title = localized(find(fs, "title")->value, "title");
    c.severity = severity(find(fs, "severity")->value);
    c.predicate = predicate(find(fs, "predicate")->value, 1);
    resolveRefs(c.predicate);
    requireBoundedSize(c.predicate, c.predicate.location);
    requireSubject(c.predicate, FactSubject::Endpoint, "an endpoint check");
    c.remediation = localized(find(fs, "remediation")->value, "remediation");
    if (const Field* s = find(fs, "source")) c.source = source(s->value);
    return c;
  }

  // Every fact a (resolved) predicate reads must describe `subject`: an endpoint check
  // cannot read a registry fact, nor a systems share an endpoint fact. The error points at
  // the comparison; when it sits in a named predicate, the message names the predicate
  // and where it was used, so either place can be fixed.
  void requireSubject(const Predicate& p, FactSubject subject, const std::string& where,
                      const std::string& via = {}) const {
    switch (p.kind) {
      case Predicate::Kind::Comparison: {
        bool isSystem = findSystemFact(p.comparison.fact) != nullptr;
        if (isSystem != (subject == FactSubject::System)) {
          fail(p.location, std::string("fact '") + p.comparison.fact + "' describes " +
                               (isSystem ? "an information system" : "an endpoint") +
                               " and cannot be used in " + where + via);
        }
        return;
      }
      case Predicate::Kind::Ref:
        if (p.resolved) {
          requireSubject(*p.resolved, subject, where,
                         via.empty() ? "; reached through predicate '" + p.ref + "' used at line " +
                                           std::to_string(p.location.line)
                                     : via);
        }
        return;
      default:
        for (const auto& c : p.children) requireSubject(c, subject, where, via);
    }
  }

  // The first comparison of a resolved predicate (through names too), or nullptr.
  static const Predicate* firstComparison(const Predicate& p) {
    if (p.kind == Predicate::Kind::Comparison) return &p;
    if (p.kind == Predicate::Kind::Ref) return p.resolved ? firstComparison(*p.resolved) : nullptr;
    for (const auto& c : p.children) {
      if (const Predicate* found = firstComparison(c)) return found;
    }
    return nullptr;
  }

  // A named predicate reads one kind of fact: endpoint facts (for checks and
  // share_of_endpoints) or system facts (for share_of_systems), never both, so a name
  // means the same thing wherever it is used.
  void requireOneSubject(const std::string& name, const Predicate& p) const {
    const Predicate* first = firstComparison(p);
    if (first == nullptr) return;
    bool system = findSystemFact(first->comparison.fact) != nullptr;
    requireSubject(p, system ? FactSubject::System : FactSubject::Endpoint,
                   "predicate '" + name + "', whose first fact '" + first->comparison.fact +
                       "' (line " + std::to_string(first->location.line) + ") describes " +
                       (system ? "an information system" : "an endpoint") +
                       " (a named predicate reads endpoint facts or system facts, not both)");
  }

  std::vector<int> layers(const YAML::Node& node) const {
    Fields fs = fields(node, "four_layer", {"layers"}, {"layers"});
    const YAML::Node& list = find(fs, "layers")->value;
    if (!list.IsSequence() || list.size() == 0) {
      fail(list, "layers must be a non-empty list of layer numbers 1..4, got " + describe(list));
    }
    std::vector<int> out;
    for (const auto& item : list) {
      double n = number(item, "layer");
      if (n != 1 && n != 2 && n != 3 && n != 4) {
        fail(item, "layer must be 1, 2, 3 or 4 (the four-layer model), got " + item.Scalar());
      }
      int layer = static_cast<int>(n);
      if (std::find(out.begin(), out.end(), layer) != out.end()) {
        fail(item, "layer " + std::to_string(layer) + " is listed twice");
      }
      out.push_back(layer);
    }
    return out;
  }

  Measure measure(const YAML::Node& node) {
    Fields fs = fields(node, "measure",
                       {"share_of_endpoints", "share_of_systems", "four_layer", "among"}, {});
    const Field* amongField = find(fs, "among");
    std::size_t kinds = fs.size() - (amongField ? 1 : 0);
    if (kinds != 1) {
      fail(node, "measure needs exactly one of: share_of_endpoints, share_of_systems, four_layer");
    }
    Measure m;
    const Field& f = fs.front().key == "among" ? fs.back() : fs.front();
    if (f.key == "four_layer") {
      if (amongField) fail(amongField->keyNode, "'among' applies to share_of_endpoints and share_of_systems, not four_layer");
      m.kind = Measure::Kind::FourLayer;
      m.layers = layers(f.value);
      return m;
    }
    m.kind = f.key == "share_of_systems" ? Measure::Kind::ShareOfSystems
                                         : Measure::Kind::ShareOfEndpoints;
    m.predicate = predicate(f.value, 1);
    resolveRefs(m.predicate);
    requireBoundedSize(m.predicate, m.predicate.location);
    if (amongField) {
      m.among.push_back(predicate(amongField->value, 1));
      resolveRefs(m.among.back());
      requireBoundedSize(m.among.back(), m.among.back().location);
    }
    for (const Predicate* p : {&m.predicate, m.among.empty() ? nullptr : &m.among.front()}) {
      if (!p) continue;
      if (m.kind == Measure::Kind::ShareOfSystems) {
        requireSubject(*p, FactSubject::System, "share_of_systems (it counts information systems)");
      } else {
        requireSubject(*p, FactSubject::Endpoint, "share_of_endpoints (it counts endpoints)");
      }
    }
    return m;
  }

  std::vector<std::string> scopes(const YAML::Node& node) const {
    if (!node.IsSequence() || node.size() == 0) {
      fail(node, "scope must be a non-empty list of unit, overall; got " + describe(node));
    }
    std::vector<std::string> out;
    for (const auto& item : node) {
      std::string s = item.IsScalar() ? item.Scalar() : std::string();
      if (s != "unit" && s != "overall") {
        fail(item, "unknown scope " + describe(item) + " (allowed: unit, overall)");
      }
      if (std::find(out.begin(), out.end(), s) != out.end()) {
        fail(item, "scope '" + s + "' is listed twice");
      }
      out.push_back(s);
    }
    return out;
  }

  std::vector<Milestone> milestones(const YAML::Node& node) const {
    if (!node.IsSequence() || node.size() == 0) {
      fail(node, "milestones must be a non-empty list of {by, at_least}, got " + describe(node));
    }
    std::vector<Milestone> out;
    for (const auto& item : node) {
      Fields fs = fields(item, "milestone", {"by", "at_least"}, {"by", "at_least"});
      const YAML::Node& by = find(fs, "by")->value;
      std::optional<std::int64_t> day;
      if (by.IsScalar()) day = util::parseDate(by.Scalar());
      if (!day) fail(by, "'by' must be a real date written YYYY-MM-DD, got " + describe(by));
      if (!out.empty() && *day <= out.back().byDay) {
        fail(by, "milestones must be in increasing date order: " + by.Scalar() +
                     " is not after " + util::formatDate(out.back().byDay));
      }
      const YAML::Node& atLeast = find(fs, "at_least")->value;
      double percent = number(atLeast, "at_least");
      if (percent < 0 || percent > 100) {
        fail(atLeast, "at_least is a percentage and must be within 0..100, got " + atLeast.Scalar());
      }
      out.push_back(Milestone{*day, percent});
    }
    return out;
  }

  Target target(const YAML::Node& node) {
    Fields fs = fields(node, "target",
                       {"id", "title", "measure", "scope", "milestones", "severity", "source"},
                       {"id", "title", "measure", "scope", "milestones", "severity", "source"});
    Target t;
    t.location = locationOf(node.Mark());
    const YAML::Node& idNode = find(fs, "id")->value;
    t.id = id(idNode, "target id");
    claimId(t.id, idNode);
    t.title = localized(find(fs, "title")->value, "title");
    t.measure = measure(find(fs, "measure")->value);
    t.scopes = scopes(find(fs, "scope")->value);
    t.milestones = milestones(find(fs, "milestones")->value);
    t.severity = severity(find(fs, "severity")->value);
    t.source = source(find(fs, "source")->value);
    return t;
  }

  // applies_to: one or more unit codes, each once.
  std::vector<std::string> unitCodes(const Field& f) const {
    const YAML::Node& items = list(f);
    if (items.size() == 0) fail(f.value, "applies_to lists no unit (leave it out to apply everywhere)");
    std::vector<std::string> codes;
    for (const auto& item : items) {
      std::string code = text(item, "applies_to unit code");
      if (!util::validCode(code)) fail(item, util::invalidCodeMessage("applies_to unit code", code));
      if (std::find(codes.begin(), codes.end(), code) != codes.end())
        fail(item, "applies_to names unit '" + code + "' twice");
      codes.push_back(code);
    }
    return codes;
  }

  Policy policy(const YAML::Node& root) {
    Fields top = fields(root, "the policy file", {"policy", "predicates", "checks", "targets"}, {"policy"});
    Policy p;
    p.file = file_;

    Fields head = fields(find(top, "policy")->value, "policy",
                         {"id", "version", "title", "source", "applies_to", "exceptions"},
                         {"id", "version", "title"});
    const YAML::Node& idNode = find(head, "id")->value;
    p.id = id(idNode, "policy id");
    p.idLocation = locationOf(idNode.Mark());
    p.version = positiveInt(find(head, "version")->value, "version");
    p.title = localized(find(head, "title")->value, "title");
    if (const Field* s = find(head, "source")) p.source = source(s->value);
    if (const Field* a = find(head, "applies_to")) p.appliesTo = unitCodes(*a);
    if (const Field* x = find(head, "exceptions")) {
      std::string mode = text(x->value, "exceptions");
      if (mode == "met") p.exceptions = ExceptionMode::Met;
      else if (mode == "excluded") p.exceptions = ExceptionMode::Excluded;
      else fail(x->value, "unknown exceptions mode " + describe(x->value) + " (allowed: met, excluded)");
    }

    // Named predicates are parsed first so checks and targets may use them in any order;
    // their references are resolved (and cycles found) on first use or at the end.
    if (const Field* preds = find(top, "predicates")) {
      for (const auto& f : entries(preds->value, "predicates")) {
        id(f.keyNode, "predicate name");
        named_[f.key] = Named{predicate(f.value, 1), nullptr, false};
        namedAt_[f.key] = locationOf(f.keyNode.Mark());
      }
    }
    if (const Field* checks = find(top, "checks")) {
      for (const auto& item : list(*checks)) p.checks.push_back(check(item));
    }
    if (const Field* targets = find(top, "targets")) {
      for (const auto& item : list(*targets)) p.targets.push_back(target(item));
    }
    for (const auto& [name, at] : namedAt_) requireOneSubject(name, *resolveNamed(name, at));
    if (p.checks.empty() && p.targets.empty()) {
      fail(root, "the policy defines no checks and no targets");
    }
    return p;
  }

  std::string file_;
  std::map<std::string, Named> named_;
  std::map<std::string, Location> namedAt_;
  std::vector<std::string> stack_;
  std::map<std::string, Location> ids_;
  std::size_t built_ = 0;  // predicate nodes built so far (kMaxPredicateNodes)
};

}  // namespace

Policy loadPolicyText(std::string_view yaml, const std::string& fileName) {
  return Loader(fileName).load(yaml);
}

Policy loadPolicyFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PolicyError(file.string(), "cannot open the policy file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw PolicyError(file.string(), "cannot read the policy file");
  return loadPolicyText(text.str(), file.string());
}

std::vector<Policy> loadPolicyDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw PolicyError(dir.string(), "cannot read the policy directory: " + ec.message());
  for (const auto& entry : it) {
    if (entry.path().extension() == ".yaml" && entry.is_regular_file(ec)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::vector<Policy> policies;
  for (const auto& f : files) {
    Policy p = loadPolicyFile(f);
    for (const auto& other : policies) {
      if (other.id == p.id) {
        throw PolicyError(p.file, p.idLocation.line, p.idLocation.column,
                          "duplicate policy id '" + p.id + "' (also in " + other.file + ")");
      }
    }
    policies.push_back(std::move(p));
  }
  return policies;
}

}  // namespace posture::policy

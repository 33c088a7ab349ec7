#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collector/policy/facts.h"


namespace posture::policy {

// Kleene three-valued logic: Unknown propagates unless the other operand decides.
enum class Tri { False, True, Unknown };
std::string_view triName(Tri);  // "false", "true", "unknown"

struct LocalizedText {
  std::string vi;  // Vietnamese first: the default language of the UI and exports
  std::string en;
};

enum class Severity { Low, Medium, High, Critical };
std::string_view severityName(Severity);                   // "low", "medium", "high", "critical"
std::string_view severityName(Severity, bool vietnamese);  // "thấp", "trung bình", "cao", "nghiêm trọng"

// 1-based position in the policy file, kept so later messages can point back at it.
struct Location {
  int line = 0;
  int column = 0;
};

// Where a requirement comes from: a line of a seed plan and the words found there.
struct Source {
  std::string file;  // a file name in shared/seeds, e.g. "000_0c422011ef2b1f6d.txt"
  int line = 0;      // the line the quote starts on
  std::string quote;  // may continue over the following lines of the file
};

enum class Op { Eq, Ne, Lt, Le, Gt, Ge, In };
std::string_view opName(Op);  // "eq", ...

struct Comparison {
  std::string fact;
  Op op = Op::Eq;
  // One value for eq..ge; one or more for in. Each has the fact's type (checked at load).
  std::vector<FactValue> values;
};

// A predicate tree. Named predicates are shared and immutable once resolved, so a Policy
// can be copied freely without dangling references.
struct Predicate {
  enum class Kind { Comparison, All, Any, None, Ref };
  Kind kind = Kind::All;
  Comparison comparison;              // Kind::Comparison
  std::vector<Predicate> children;    // Kind::All, Any, None
  std::string ref;                    // Kind::Ref: the name of a predicate in `predicates:`
  std::shared_ptr<const Predicate> resolved;  // Kind::Ref: set by the loader
  Location location;
};

struct Check {
  std::string id;
  LocalizedText title;
  Severity severity = Severity::Medium;
  Predicate predicate;  // true = the endpoint complies
  LocalizedText remediation;
  Source source;  // optional: file is empty when the check cites nothing
  Location location;
};

struct Milestone {
  std::int64_t byDay = 0;  // days since the epoch; in force from that day on (inclusive)
  double atLeastPercent = 0;
};

// What a target counts.
//  - ShareOfEndpoints: endpoints whose report satisfies `predicate` (endpoint facts).
//  - ShareOfSystems: information systems of the registry satisfying `predicate` (system
//    facts, see systemFactCatalogue()).
//  - FourLayer: units whose listed layers of the four-layer model all pass.
// Per unit, every kind counts the unit's subtree (a district includes its communes).
struct Measure {
  enum class Kind { ShareOfEndpoints, ShareOfSystems, FourLayer };
  Kind kind = Kind::ShareOfEndpoints;
  Predicate predicate;      // ShareOfEndpoints, ShareOfSystems: counts when True
  // Optional (0 or 1 element): only endpoints / systems for which this is True are in
  // the denominator ("shared systems", "servers").
  std::vector<Predicate> among;
  std::vector<int> layers;  // FourLayer: 1..4, each once, in the order written
};

struct Target {
  std::string id;
  LocalizedText title;
  Measure measure;
  std::vector<std::string> scopes;  // "unit" and/or "overall"
  std::vector<Milestone> milestones;  // at least one, dates strictly increasing
  Severity severity = Severity::Medium;
  Source source;  // required: a target always comes from a plan
  Location location;
};

// How an exception (risk acceptance, collector/exceptions/) of an endpoint counts in the
// share_of_endpoints targets that measure the excepted check:
//  - Excluded (the default): the endpoint leaves the target's denominator;
//  - Met: the endpoint counts as satisfying the target.
enum class ExceptionMode { Excluded, Met };
std::string_view exceptionModeName(ExceptionMode);  // "excluded", "met"

struct Policy {
  std::string id;
  int version = 0;
  LocalizedText title;
  Source source;  // optional
  // The units the plan binds, each with its subtree (a district's plan covers its
  // communes). Empty: everywhere, like the national baseline. Endpoints outside take no
  // part in its checks or targets, and units outside show it as not applicable.
  std::vector<std::string> appliesTo;
  ExceptionMode exceptions = ExceptionMode::Excluded;  // `exceptions: met | excluded`
  std::vector<Check> checks;
  std::vector<Target> targets;
  std::string file;  // the path it was loaded from
  Location idLocation;
};

// Whether the policy applies at a unit, given the unit and its ancestors (nearest first):
// it has no applies_to, or one of them is among its units.
bool appliesWithin(const Policy& policy, const std::vector<std::string>& unitAndAncestors);

// Whether two predicates say the same thing as written: the same named predicate, or the
// same tree of comparisons. A target "measures" a check of its policy when its
// share_of_endpoints predicate and the check's are the same (an exception of the check then
// counts in that target as the policy's `exceptions` says).
bool samePredicate(const Predicate& a, const Predicate& b);

// what() is "FILE:LINE:COLUMN: message" with 1-based line and column, or "FILE: message"
// when the file (or directory) could not be read at all.
class PolicyError : public std::runtime_error {
public:
  PolicyError(std::string file, int line, int column, const std::string& message);
  PolicyError(std::string file, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }

private:
  std::string file_;
  int line_ = 0;
  int column_ = 0;
};

Policy loadPolicyFile(const std::filesystem::path& file);
// Parses YAML text as if read from `fileName` (used in messages and Policy::file).
Policy loadPolicyText(std::string_view yaml, const std::string& fileName);
// Every regular *.yaml file of dir, sorted by name; a policy id used twice is an error.
std::vector<Policy> loadPolicyDirectory(const std::filesystem::path& dir);

}  // namespace posture::policy

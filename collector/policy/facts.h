#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace posture::v1 {
class Report;
}

namespace posture::policy {

// One observed value about an endpoint. std::monostate is "unknown": a fact the report
// could not establish is never replaced by a default, because a wrong "protected" is
// worse than an honest "unknown".
using FactValue = std::variant<std::monostate, bool, double, std::string>;

enum class FactType { Bool, Number, String };
std::string_view factTypeName(FactType);  // "bool", "number", "string"

// What a fact describes: an endpoint (from its report) or an information system (from the
// registry of its unit). Endpoint checks and share_of_endpoints read endpoint facts only;
// share_of_systems reads system facts only.
enum class FactSubject { Endpoint, System };
std::string_view factSubjectName(FactSubject);  // "endpoint", "system"

// The facts a predicate may name. The loader rejects any other name, and
// collector/policy/README.md documents each one (a test keeps the two in step).
struct FactInfo {
  std::string_view name;
  FactType type;
  std::string_view vi;  // what it means, for IT staff
  std::string_view en;
  FactSubject subject = FactSubject::Endpoint;
};
const std::vector<FactInfo>& factCatalogue();        // endpoint facts
const FactInfo* findFact(std::string_view name);     // an endpoint fact; nullptr otherwise
const std::vector<FactInfo>& systemFactCatalogue();  // information-system facts ("system.")
const FactInfo* findSystemFact(std::string_view name);

class Facts {
public:
  // Every catalogued fact starts unknown, so get() of a catalogued name never returns
  // nullptr; nullptr means the name is not a fact at all. Values sit in a flat array in
  // catalogue order (a fleet holds one Facts per endpoint while it is evaluated).
  Facts();  // the endpoint catalogue
  explicit Facts(FactSubject subject);
  FactSubject subject() const;  // which catalogue this holds
  const FactValue* get(std::string_view name) const;
  void set(std::string_view name, FactValue value);
  // Every value by name (a copy; for tests and listings).
  std::map<std::string, FactValue, std::less<>> values() const;

private:
  const std::vector<FactInfo>* catalogue_;
  std::vector<FactValue> values_;  // catalogue order
  std::map<std::string, FactValue, std::less<>> extra_;  // names outside the catalogue
};

// nowUnix is the collector's clock: ages (report, signatures, patches) are measured at
// evaluation time, so a report that stopped arriving keeps getting older.
Facts factsFromReport(const posture::v1::Report& report, std::int64_t nowUnix);
// The facts a child collector pushed for one of its endpoints (the serialized
// posture.v1.FederatedEndpoint of a federated row, issue 16), which are as of `factsAt`
// (when the agent collected them). Ages (report.age_hours, antivirus.signature_age_days)
// are moved on to `nowUnix`, as factsFromReport would give them then; nowUnix <= factsAt
// leaves them as sent. Names outside the catalogue are kept aside; unreadable bytes give
// every fact unknown.
Facts factsFromFederated(std::string_view federatedEndpoint, std::int64_t factsAt, std::int64_t nowUnix);

// "có" / "không" / "không rõ" or "yes" / "no" / "unknown"; numbers with at most two
// decimals and no trailing zeros, with a decimal comma in Vietnamese ("7,5").
std::string formatFact(const FactValue& value, bool vietnamese);

}  // namespace posture::policy

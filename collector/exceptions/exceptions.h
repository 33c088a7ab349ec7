#pragma once
// Exceptions (ngoại lệ, risk acceptance): an admin accepts that one endpoint, or every
// endpoint of a unit's subtree, does not meet one rule of a policy (POLICY/CHECK or
// POLICY/TARGET) until a date, with a justification, an approver and the number of the
// document that approves it (số văn bản).
//
// What an exception does (collector/evaluation/model.h reads an ExceptionSet):
//   - the excepted check (or target, at the unit) raises no alert while it is active;
//   - in the share_of_endpoints targets that measure the excepted check (same predicate,
//     policy::samePredicate) or that the exception names, an endpoint that fails counts as
//     the policy's `exceptions:` says: `excluded` (the default) takes it out of the
//     denominator, `met` counts it as satisfying (one that satisfies counts as it is);
//   - the check's own result is kept as observed: exports show it, beside the column
//     "Ngoại lệ / Exception" with the exception's reference.
//
// Expiry: an exception holds through the whole of its expiry day in Vietnam (UTC+7) and
// ends at 00:00 UTC+7 of the day after (expiresAt). The live evaluation compares the
// signature of the active set every tick and evaluates everything again when it moved, so
// an expired exception's alert is back on the next tick, without a restart.
//
// Every add and revoke is in the audit log (objects "exception:ID"), in the transaction that
// makes it. Rows are never deleted.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::exceptions {

enum class Scope { Endpoint, Unit };
std::string_view scopeName(Scope);  // "endpoint", "unit"

struct RiskException {
  std::int64_t id = 0;
  Scope scope = Scope::Endpoint;
  std::string subject;   // the agent id, or the unit code
  std::string hostname;  // an endpoint's hostname when it was recorded (to show it)
  std::string rule;      // POLICY/CHECK or POLICY/TARGET
  std::string justification, approver, document;
  std::int64_t expiresDay = 0;  // days since the epoch (a Vietnam date)
  std::int64_t createdAt = 0;
  std::string createdBy;
  std::int64_t revokedAt = 0;  // 0: not revoked
  std::string revokedBy;
};

// The first second after the expiry day, 00:00 UTC+7 of the next day, as Unix time.
std::int64_t expiresAt(std::int64_t expiresDay);
// Recorded by `at`, not revoked by then, and not yet expired.
bool activeAt(const RiskException& x, std::int64_t at);
// "active", "expired" or "revoked" at `now`.
std::string_view stateName(const RiskException& x, std::int64_t now);
// "VB 15/QĐ-UBND, duyệt: Nguyễn Văn A, đến 31/12/2026" (en: "approved by", "until").
std::string reference(const RiskException& x, bool vietnamese);

// Bad input; field() names it ("expires", "rule", "endpoint", ...), what() is bilingual.
class ExceptionError : public std::runtime_error {
 public:
  ExceptionError(std::string field, const std::string& vi, const std::string& en)
      : std::runtime_error(field + ": " + vi + " / " + en), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// What a person asks to record. Exactly one of endpoint (agent id or hostname) and unit.
struct NewException {
  std::string endpoint, unit, rule, justification, approver, document;
  std::string expires;  // YYYY-MM-DD or dd/mm/yyyy, a Vietnam date, today or later
};

// Validates every field (throws ExceptionError naming the first bad one), records it with
// its audit entry in one transaction, and returns it.
RiskException addException(db::Connection& db, const NewException& request,
                           const std::vector<policy::Policy>& policies, const std::string& actor,
                           std::int64_t now);
// Revokes an exception that is not revoked yet (ExceptionError "id" otherwise).
RiskException revokeException(db::Connection& db, std::int64_t id, const std::string& actor,
                              std::int64_t now);
std::optional<RiskException> findException(db::Connection& db, std::int64_t id);
// Newest first. activeAt: only those active then.
std::vector<RiskException> listExceptions(db::Connection& db,
                                          std::optional<std::int64_t> activeAt = std::nullopt);

// The active exceptions, indexed for the evaluation.
class ExceptionSet {
 public:
  ExceptionSet() = default;
  explicit ExceptionSet(std::vector<RiskException> active);
  // Loads those active at `at` (a database without the table: none).
  static ExceptionSet load(db::Connection& db, std::int64_t at);

  bool empty() const { return byRule_.empty(); }
  // Ids of the active exceptions, in order: equal signatures, equal sets.
  const std::string& signature() const { return signature_; }
  // The exception of `rule` that covers an endpoint (by its agent id, or a unit of
  // `unitChain`: its unit and the ancestors), or null.
  const RiskException* forEndpoint(const std::string& rule, const std::string& agentId,
                                   const std::vector<std::string>& unitChain) const;
  // The exception of `rule` on a unit of `unitChain`, or null.
  const RiskException* forUnit(const std::string& rule,
                               const std::vector<std::string>& unitChain) const;
  // Every exception covering an endpoint, any rule (exports).
  std::vector<const RiskException*> coveringEndpoint(
      const std::string& agentId, const std::vector<std::string>& unitChain) const;

 private:
  std::unordered_map<std::string, std::vector<RiskException>> byRule_;
  std::string signature_;
};

}  // namespace posture::collector::exceptions

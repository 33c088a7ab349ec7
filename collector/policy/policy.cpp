#include "collector/policy/policy.h"

#include <algorithm>

namespace posture::policy {

std::string_view triName(Tri t) {
  switch (t) {
    case Tri::False: return "false";
    case Tri::True: return "true";
    case Tri::Unknown: break;
  }
  return "unknown";
}

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::Low: return "low";
    case Severity::Medium: return "medium";
    case Severity::High: return "high";
    case Severity::Critical: break;
  }
  return "critical";
}

std::string_view severityName(Severity s, bool vietnamese) {
  if (!vietnamese) return severityName(s);
  switch (s) {
    case Severity::Low: return "thấp";
    case Severity::Medium: return "trung bình";
    case Severity::High: return "cao";
    case Severity::Critical: break;
  }
  return "nghiêm trọng";
}

std::string_view opName(Op op) {
  switch (op) {
    case Op::Eq: return "eq";
    case Op::Ne: return "ne";
    case Op::Lt: return "lt";
    case Op::Le: return "le";
    case Op::Gt: return "gt";
    case Op::Ge: return "ge";
    case Op::In: break;
  }
  return "in";
}

PolicyError::PolicyError(std::string file, int line, int column, const std::string& message)
    : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                         ": " + message),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

PolicyError::PolicyError(std::string file, const std::string& message)
    : std::runtime_error(file + ": " + message), file_(std::move(file)) {}

std::string_view exceptionModeName(ExceptionMode m) {
  return m == ExceptionMode::Met ? "met" : "excluded";
}

bool samePredicate(const Predicate& a, const Predicate& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Predicate::Kind::Ref:
      return a.ref == b.ref;
    case Predicate::Kind::Comparison:
      return a.comparison.fact == b.comparison.fact && a.comparison.op == b.comparison.op &&
             a.comparison.values == b.comparison.values;
    case Predicate::Kind::All:
    case Predicate::Kind::Any:
    case Predicate::Kind::None:
      break;
  }
  if (a.children.size() != b.children.size()) return false;
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!samePredicate(a.children[i], b.children[i])) return false;
  }
  return true;
}

bool appliesWithin(const Policy& policy, const std::vector<std::string>& unitAndAncestors) {
  if (policy.appliesTo.empty()) return true;
  for (const auto& code : unitAndAncestors) {
    if (std::find(policy.appliesTo.begin(), policy.appliesTo.end(), code) != policy.appliesTo.end())
      return true;
  }
  return false;
}

}  // namespace posture::policy

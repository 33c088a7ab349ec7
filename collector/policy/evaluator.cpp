#include "collector/policy/evaluator.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace posture::policy {
namespace {

Tri fromBool(bool b) { return b ? Tri::True : Tri::False; }

Tri compareOne(const FactValue& fact, Op op, const FactValue& value) {
  // Types are checked at load time; a mismatch here means a fact of a different type than
  // the catalogue says, which is still not evidence for either answer.
  if (fact.index() != value.index()) return Tri::Unknown;
  switch (op) {
    case Op::Eq:
    case Op::In: return fromBool(fact == value);
    case Op::Ne: return fromBool(fact != value);
    default: break;
  }
  const double* a = std::get_if<double>(&fact);
  const double* b = std::get_if<double>(&value);
  if (a == nullptr || b == nullptr) return Tri::Unknown;
  switch (op) {
    case Op::Lt: return fromBool(*a < *b);
    case Op::Le: return fromBool(*a <= *b);
    case Op::Gt: return fromBool(*a > *b);
    case Op::Ge: return fromBool(*a >= *b);
    default: break;
  }
  return Tri::Unknown;
}

Tri compare(const Comparison& c, const Facts& facts) {
  const FactValue* fact = facts.get(c.fact);
  if (fact == nullptr || std::holds_alternative<std::monostate>(*fact)) return Tri::Unknown;
  if (c.op != Op::In) {
    if (c.values.size() != 1) return Tri::Unknown;
    return compareOne(*fact, c.op, c.values.front());
  }
  Tri result = Tri::False;
  for (const auto& v : c.values) {
    Tri t = compareOne(*fact, Op::In, v);
    if (t == Tri::True) return Tri::True;
    if (t == Tri::Unknown) result = Tri::Unknown;
  }
  return result;
}

// Kleene disjunction over the children; `all` is its dual.
Tri anyOf(const std::vector<Predicate>& children, const Facts& facts) {
  Tri result = Tri::False;
  for (const auto& c : children) {
    Tri t = evaluate(c, facts);
    if (t == Tri::True) return Tri::True;
    if (t == Tri::Unknown) result = Tri::Unknown;
  }
  return result;
}

Tri allOf(const std::vector<Predicate>& children, const Facts& facts) {
  Tri result = Tri::True;
  for (const auto& c : children) {
    Tri t = evaluate(c, facts);
    if (t == Tri::False) return Tri::False;
    if (t == Tri::Unknown) result = Tri::Unknown;
  }
  return result;
}

Tri negate(Tri t) {
  if (t == Tri::True) return Tri::False;
  if (t == Tri::False) return Tri::True;
  return Tri::Unknown;
}

void collectFacts(const Predicate& p, std::vector<std::string>& out) {
  switch (p.kind) {
    case Predicate::Kind::Comparison:
      if (std::find(out.begin(), out.end(), p.comparison.fact) == out.end()) {
        out.push_back(p.comparison.fact);
      }
      return;
    case Predicate::Kind::Ref:
      if (p.resolved) collectFacts(*p.resolved, out);
      return;
    default:
      for (const auto& c : p.children) collectFacts(c, out);
  }
}

// satisfied/total >= percent/100, without the rounding of a division.
bool reaches(std::uint32_t satisfied, std::uint32_t total, double percent) {
  return static_cast<double>(satisfied) * 100.0 >= percent * static_cast<double>(total);
}

}  // namespace

Tri evaluate(const Predicate& p, const Facts& facts) {
  switch (p.kind) {
    case Predicate::Kind::Comparison: return compare(p.comparison, facts);
    case Predicate::Kind::All: return allOf(p.children, facts);
    case Predicate::Kind::Any: return anyOf(p.children, facts);
    case Predicate::Kind::None: return negate(anyOf(p.children, facts));
    case Predicate::Kind::Ref: break;
  }
  if (!p.resolved) throw std::logic_error("predicate reference '" + p.ref + "' was never resolved");
  return evaluate(*p.resolved, facts);
}

Tri evaluateCheck(const Check& check, const Facts& facts) {
  return evaluate(check.predicate, facts);
}

FactSubject measureSubject(const Target& target) {
  switch (target.measure.kind) {
    case Measure::Kind::ShareOfEndpoints: return FactSubject::Endpoint;
    case Measure::Kind::ShareOfSystems: return FactSubject::System;
    case Measure::Kind::FourLayer: break;
  }
  throw std::logic_error("target '" + target.id + "' counts units by their layers; it has no predicate");
}

namespace {
// The loader guarantees the predicate reads one catalogue; facts of the other would make
// every comparison unknown and the share silently 0%, so a mix-up is a programming error.
void requireFactsFor(const Target& target, const Facts& facts) {
  FactSubject wanted = measureSubject(target);
  if (facts.subject() != wanted) {
    throw std::logic_error("target '" + target.id + "' reads " +
                           std::string(factSubjectName(wanted)) + " facts, given " +
                           std::string(factSubjectName(facts.subject())) + " facts");
  }
}
}  // namespace

Tri evaluateTargetPredicate(const Target& target, const Facts& facts) {
  requireFactsFor(target, facts);
  return evaluate(target.measure.predicate, facts);
}

Tri evaluateSystemPredicate(const Target& target, const Facts& systemFacts) {
  if (target.measure.kind != Measure::Kind::ShareOfSystems) {
    throw std::logic_error("target '" + target.id + "' is not a share_of_systems target");
  }
  return evaluateTargetPredicate(target, systemFacts);
}

bool inTargetScope(const Target& target, const Facts& facts) {
  requireFactsFor(target, facts);
  if (target.measure.among.empty()) return true;
  return evaluate(target.measure.among.front(), facts) == Tri::True;
}

bool fourLayerPasses(const Target& target, const std::array<bool, 4>& layerPasses) {
  if (target.measure.kind != Measure::Kind::FourLayer) {
    throw std::logic_error("target '" + target.id + "' is not a four_layer target");
  }
  for (int layer : target.measure.layers) {
    if (layer < 1 || layer > 4) throw std::logic_error("target '" + target.id + "': layer out of range");
    if (!layerPasses[static_cast<std::size_t>(layer - 1)]) return false;
  }
  return true;
}

std::vector<std::string> factsUsedBy(const Predicate& predicate) {
  std::vector<std::string> out;
  collectFacts(predicate, out);
  return out;
}

std::vector<std::string> factsUsedBy(const Check& check) { return factsUsedBy(check.predicate); }

std::vector<std::string> factsUsedBy(const Target& target) {
  if (target.measure.kind == Measure::Kind::FourLayer) return {};
  return factsUsedBy(target.measure.predicate);
}

std::string_view targetStatusName(TargetStatus status, bool vietnamese) {
  switch (status) {
    case TargetStatus::Met: return vietnamese ? "đạt" : "met";
    case TargetStatus::AtRisk: return vietnamese ? "có nguy cơ" : "at risk";
    case TargetStatus::Missed: return vietnamese ? "chưa đạt" : "missed";
    case TargetStatus::NoData: break;
  }
  return vietnamese ? "không có dữ liệu" : "no data";
}

TargetEvaluation evaluateTarget(const Target& target, std::uint32_t satisfied,
                                std::uint32_t total, std::int64_t today) {
  if (satisfied > total) {
    throw std::logic_error("target '" + target.id + "': " + std::to_string(satisfied) +
                           " satisfied out of " + std::to_string(total));
  }
  TargetEvaluation e;
  e.satisfied = satisfied;
  e.total = total;
  e.percent = total == 0 ? 0.0 : static_cast<double>(satisfied) * 100.0 / total;

  const auto& ms = target.milestones;
  if (!ms.empty()) {
    std::size_t inForce = 0;
    for (std::size_t i = 0; i < ms.size(); ++i) {
      if (ms[i].byDay <= today) inForce = i;
    }
    e.inForce = &ms[inForce];
    e.next = inForce + 1 < ms.size() ? &ms[inForce + 1] : nullptr;
  }

  if (total == 0) {
    e.status = TargetStatus::NoData;
  } else if (e.inForce != nullptr && !reaches(satisfied, total, e.inForce->atLeastPercent)) {
    e.status = TargetStatus::Missed;
  } else if (e.next != nullptr && !reaches(satisfied, total, e.next->atLeastPercent)) {
    e.status = TargetStatus::AtRisk;
  } else {
    e.status = TargetStatus::Met;  // also a target with no milestone: nothing to miss
  }
  return e;
}

}  // namespace posture::policy

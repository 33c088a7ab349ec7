#include "collector/policy/evaluator.h"

#include <doctest/doctest.h>

#include "common/util/time.h"

using namespace posture::policy;

namespace {

Predicate cmp(std::string fact, Op op, FactValue value) {
  Predicate p;
  p.kind = Predicate::Kind::Comparison;
  p.comparison = Comparison{std::move(fact), op, {std::move(value)}};
  return p;
}

Predicate group(Predicate::Kind kind, std::vector<Predicate> children) {
  Predicate p;
  p.kind = kind;
  p.children = std::move(children);
  return p;
}

// Three leaves whose value is fixed by the facts: t is True, f is False, u is Unknown.
Facts leafFacts() {
  Facts facts;
  facts.set("firewall.enabled", true);
  facts.set("ipv6.enabled", false);
  return facts;  // antivirus.real_time stays unknown
}
const Predicate t = cmp("firewall.enabled", Op::Eq, true);
const Predicate f = cmp("ipv6.enabled", Op::Eq, true);
const Predicate u = cmp("antivirus.real_time", Op::Eq, true);

Tri all(std::vector<Predicate> c) { return evaluate(group(Predicate::Kind::All, std::move(c)), leafFacts()); }
Tri any(std::vector<Predicate> c) { return evaluate(group(Predicate::Kind::Any, std::move(c)), leafFacts()); }
Tri none(std::vector<Predicate> c) { return evaluate(group(Predicate::Kind::None, std::move(c)), leafFacts()); }

Target targetWith(std::vector<Milestone> milestones) {
  Target target;
  target.id = std::string("t");  // not = "t": GCC 12 -O3 misreports -Wrestrict (bug 105651)
  target.milestones = std::move(milestones);
  return target;
}

std::int64_t day(const char* date) { return *posture::util::parseDate(date); }

}  // namespace

TEST_CASE("leaves: a missing or unknown fact compares as Unknown, never as false") {
  Facts facts = leafFacts();
  CHECK(evaluate(t, facts) == Tri::True);
  CHECK(evaluate(f, facts) == Tri::False);
  CHECK(evaluate(u, facts) == Tri::Unknown);
  CHECK(evaluate(cmp("antivirus.real_time", Op::Ne, true), facts) == Tri::Unknown);
  CHECK(evaluate(cmp("patches.pending_security", Op::Eq, 0.0), facts) == Tri::Unknown);
  CHECK(evaluate(cmp("no.such_fact", Op::Eq, true), facts) == Tri::Unknown);
  // A value of another type than the comparison's is no evidence either way.
  facts.set("patches.pending", std::string("many"));
  CHECK(evaluate(cmp("patches.pending", Op::Le, 3.0), facts) == Tri::Unknown);
}

TEST_CASE("all: False beats Unknown, Unknown beats True") {
  CHECK(all({t, t}) == Tri::True);
  CHECK(all({t, u}) == Tri::Unknown);
  CHECK(all({u, f}) == Tri::False);
  CHECK(all({f, u}) == Tri::False);
  CHECK(all({u, u}) == Tri::Unknown);
}

TEST_CASE("any: True beats Unknown, Unknown beats False") {
  CHECK(any({f, f}) == Tri::False);
  CHECK(any({f, u}) == Tri::Unknown);
  CHECK(any({u, t}) == Tri::True);
  CHECK(any({t, u}) == Tri::True);
}

TEST_CASE("none is the negation of any, and keeps Unknown") {
  CHECK(none({f, f}) == Tri::True);
  CHECK(none({f, u}) == Tri::Unknown);
  CHECK(none({u, t}) == Tri::False);
  CHECK(none({u}) == Tri::Unknown);
}

TEST_CASE("number comparisons and in-lists") {
  Facts facts;
  facts.set("antivirus.signature_age_days", 7.0);
  facts.set("endpoint.os_name", std::string("Windows 11"));
  CHECK(evaluate(cmp("antivirus.signature_age_days", Op::Le, 7.0), facts) == Tri::True);
  CHECK(evaluate(cmp("antivirus.signature_age_days", Op::Lt, 7.0), facts) == Tri::False);
  CHECK(evaluate(cmp("antivirus.signature_age_days", Op::Ge, 7.0), facts) == Tri::True);
  CHECK(evaluate(cmp("antivirus.signature_age_days", Op::Gt, 7.0), facts) == Tri::False);
  CHECK(evaluate(cmp("antivirus.signature_age_days", Op::Ne, 7.0), facts) == Tri::False);

  Predicate in = cmp("endpoint.os_name", Op::In, std::string("Windows 10"));
  CHECK(evaluate(in, facts) == Tri::False);
  in.comparison.values.push_back(std::string("Windows 11"));
  CHECK(evaluate(in, facts) == Tri::True);
  facts.set("endpoint.os_name", std::monostate{});
  CHECK(evaluate(in, facts) == Tri::Unknown);
}

TEST_CASE("checks and targets evaluate through named predicates, and list their facts once") {
  auto named = std::make_shared<const Predicate>(group(
      Predicate::Kind::All, {cmp("antivirus.real_time", Op::Eq, true),
                             cmp("antivirus.signature_age_days", Op::Le, 7.0)}));
  Predicate ref;
  ref.kind = Predicate::Kind::Ref;
  ref.ref = "protected";
  ref.resolved = named;

  Check check;
  check.predicate = group(Predicate::Kind::Any, {ref, cmp("antivirus.real_time", Op::Eq, false)});
  Target target;
  target.measure.predicate = ref;

  Facts facts;
  facts.set("antivirus.real_time", true);
  CHECK(evaluateCheck(check, facts) == Tri::Unknown);  // age unknown, and real_time is not false
  CHECK(evaluateTargetPredicate(target, facts) == Tri::Unknown);
  facts.set("antivirus.signature_age_days", 1.0);
  CHECK(evaluateCheck(check, facts) == Tri::True);
  CHECK(evaluateTargetPredicate(target, facts) == Tri::True);
  CHECK(factsUsedBy(check) ==
        std::vector<std::string>{"antivirus.real_time", "antivirus.signature_age_days"});
  CHECK(factsUsedBy(target) ==
        std::vector<std::string>{"antivirus.real_time", "antivirus.signature_age_days"});
}

TEST_CASE("the milestone in force: the first before any date, the latest passed after") {
  Target target = targetWith({{day("2022-12-31"), 90}, {day("2023-12-31"), 100}});
  const Milestone* first = &target.milestones[0];
  const Milestone* second = &target.milestones[1];

  auto before = evaluateTarget(target, 95, 100, day("2022-06-01"));
  CHECK(before.inForce == first);
  CHECK(before.next == second);
  CHECK(before.status == TargetStatus::AtRisk);  // 95 meets 90 but not the coming 100

  auto onDate = evaluateTarget(target, 90, 100, day("2022-12-31"));  // inclusive
  CHECK(onDate.inForce == first);
  CHECK(onDate.status == TargetStatus::AtRisk);

  auto between = evaluateTarget(target, 89, 100, day("2023-06-01"));
  CHECK(between.inForce == first);
  CHECK(between.next == second);
  CHECK(between.status == TargetStatus::Missed);

  auto secondDay = evaluateTarget(target, 99, 100, day("2023-12-31"));
  CHECK(secondDay.inForce == second);
  CHECK(secondDay.next == nullptr);
  CHECK(secondDay.status == TargetStatus::Missed);

  auto after = evaluateTarget(target, 100, 100, day("2030-01-01"));
  CHECK(after.inForce == second);
  CHECK(after.status == TargetStatus::Met);
  CHECK(after.percent == 100);
}

TEST_CASE("targets: met, at risk, missed and no data") {
  Target target = targetWith({{day("2022-12-31"), 90}, {day("2023-12-31"), 100}});
  std::int64_t in2023 = day("2023-03-01");

  auto met = evaluateTarget(target, 10, 10, in2023);
  CHECK(met.status == TargetStatus::Met);

  auto exactly = evaluateTarget(target, 9, 10, in2023);  // 90% exactly, no rounding loss
  CHECK(exactly.status == TargetStatus::AtRisk);
  CHECK(exactly.percent == doctest::Approx(90));

  auto thirds = targetWith({{day("2022-01-01"), 66.7}});
  CHECK(evaluateTarget(thirds, 2, 3, in2023).status == TargetStatus::Missed);  // 66.67 < 66.7
  CHECK(evaluateTarget(thirds, 3, 3, in2023).status == TargetStatus::Met);

  auto missed = evaluateTarget(target, 0, 10, in2023);
  CHECK(missed.status == TargetStatus::Missed);
  CHECK(missed.percent == 0);

  auto empty = evaluateTarget(target, 0, 0, in2023);
  CHECK(empty.status == TargetStatus::NoData);
  CHECK(empty.percent == 0);
  CHECK(empty.total == 0);
  CHECK(empty.inForce == &target.milestones[0]);  // still shown: what the unit must reach

  CHECK_THROWS(evaluateTarget(target, 11, 10, in2023));
}

TEST_CASE("status names are bilingual") {
  CHECK(targetStatusName(TargetStatus::Met, true) == "đạt");
  CHECK(targetStatusName(TargetStatus::AtRisk, true) == "có nguy cơ");
  CHECK(targetStatusName(TargetStatus::Missed, true) == "chưa đạt");
  CHECK(targetStatusName(TargetStatus::NoData, true) == "không có dữ liệu");
  CHECK(targetStatusName(TargetStatus::Met, false) == "met");
  CHECK(targetStatusName(TargetStatus::AtRisk, false) == "at risk");
  CHECK(targetStatusName(TargetStatus::Missed, false) == "missed");
  CHECK(targetStatusName(TargetStatus::NoData, false) == "no data");
  CHECK(severityName(Severity::High) == "high");
  CHECK(severityName(Severity::Critical, true) == "nghiêm trọng");
}

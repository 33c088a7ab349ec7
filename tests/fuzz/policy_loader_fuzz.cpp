// Policy file text → the strict loader (collector/policy/loader.cpp) → when it loads, every
// check and target evaluated as the collector would (three-valued predicates, target
// status on several days). The loader's contract is PolicyError with FILE:LINE:COLUMN for
// any fault; any other exception escaping is a finding too, since its message would not
// say where the file is wrong.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collector/policy/evaluator.h"
#include "collector/policy/facts.h"
#include "collector/policy/policy.h"
#include "tests/fuzz/invariant.h"

using namespace posture::policy;

namespace {
// Endpoint facts: one set all unknown, one with every fact known.
Facts knownEndpointFacts() {
  Facts f;
  for (const auto& info : factCatalogue()) {
    switch (info.type) {
      case FactType::Bool:
        f.set(info.name, true);
        break;
      case FactType::Number:
        f.set(info.name, 7.0);
        break;
      case FactType::String:
        f.set(info.name, std::string("Windows 10"));
        break;
    }
  }
  return f;
}
Facts knownSystemFacts() {
  Facts f(FactSubject::System);
  for (const auto& info : systemFactCatalogue()) {
    if (info.type == FactType::Bool) f.set(info.name, false);
    if (info.type == FactType::Number) f.set(info.name, 3.0);
  }
  return f;
}

void evaluateEverything(const Policy& p) {
  static const Facts unknownEndpoint, endpoint = knownEndpointFacts();
  static const Facts unknownSystem(FactSubject::System), system = knownSystemFacts();
  for (const auto& c : p.checks) {
    evaluateCheck(c, unknownEndpoint);
    evaluateCheck(c, endpoint);
    factsUsedBy(c);
  }
  for (const auto& t : p.targets) {
    FUZZ_CHECK(!t.milestones.empty());
    factsUsedBy(t);
    switch (t.measure.kind) {
      case Measure::Kind::ShareOfEndpoints:
        for (const Facts* f : {&unknownEndpoint, &endpoint}) {
          inTargetScope(t, *f);
          evaluateTargetPredicate(t, *f);
        }
        break;
      case Measure::Kind::ShareOfSystems:
        for (const Facts* f : {&unknownSystem, &system}) {
          inTargetScope(t, *f);
          evaluateSystemPredicate(t, *f);
        }
        break;
      case Measure::Kind::FourLayer:
        fourLayerPasses(t, {true, false, true, true});
        break;
    }
    // Before the first milestone, on each one and long after.
    static constexpr std::uint32_t kCounts[][2] = {{0, 0}, {9, 10}, {10, 10}};
    for (std::int64_t day :
         {t.milestones.front().byDay - 1, t.milestones.back().byDay, std::int64_t{100000}}) {
      for (const auto& [satisfied, total] : kCounts) {
        auto ev = evaluateTarget(t, satisfied, total, day);
        FUZZ_CHECK(ev.inForce != nullptr);
        FUZZ_CHECK(ev.percent >= 0 && ev.percent <= 100);
      }
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Policy policy;
  try {
    policy = loadPolicyText(text, "fuzz.yaml");
  } catch (const PolicyError& e) {
    // A refusal must say where: "fuzz.yaml:LINE:COLUMN: message".
    FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.yaml:"));
    return 0;
  }
  FUZZ_CHECK(!policy.checks.empty() || !policy.targets.empty());
  evaluateEverything(policy);
  return 0;
}

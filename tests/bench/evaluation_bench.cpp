// posture-evaluation-bench: the compliance engine on a province-sized fleet.
// Prints figures; never fails on them (README.md here).
//
//   posture-evaluation-bench [--endpoints 100000] [--units 500] [--updates 2000]
//                            [--policies DIR]
//
// Builds 100,000 endpoints' latest reports (fleet_generator) spread over a unit tree of
// 500 units (1 province, districts, communes), then measures:
//   - a full evaluation (FleetModel::rebuild: decode every report, facts, every check,
//     every target per unit rolled up the tree, the wanted alerts), several runs;
//   - re-evaluation after one incoming report (FleetModel::update), over many reports:
//     median, p95, p99 and max.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "collector/evaluation/model.h"
#include "collector/policy/policy.h"
#include "common/util/args.h"
#include "common/util/time.h"
#include "tests/bench/fleet_generator.h"
#include "tests/support/temp_dir.h"
#include "collector/storage/storage.h"

using namespace posture;
using Clock = std::chrono::steady_clock;

namespace {
double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int run(const std::vector<std::string>& argv) {
  util::Args a(argv, {"endpoints", "units", "updates", "policies", "runs"}, {});
  auto endpoints = static_cast<std::size_t>(a.number("endpoints", 100000, 1, 10000000));
  auto unitCount = static_cast<std::size_t>(a.number("units", 500, 3, 100000));
  auto updates = static_cast<std::size_t>(a.number("updates", 2000, 1, 1000000));
  auto runs = static_cast<int>(a.number("runs", 3, 1, 100));
  std::string policyDir = a.getOr("policies", std::string(POSTURE_SOURCE_DIR) + "/policies");

  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(policyDir));
  std::size_t checks = 0, targets = 0;
  for (const auto& p : *policies) {
    checks += p.checks.size();
    targets += p.targets.size();
  }

  // The tree: one province, ~1/20 of the units districts, the rest communes; endpoints
  // sit in districts and communes.
  collector::ModelOptions options;
  options.parents["QNG"] = "";
  std::size_t districts = std::max<std::size_t>(1, unitCount / 20);
  std::vector<std::string> leaves;
  for (std::size_t d = 0; d < districts; ++d) {
    std::string code = "D" + std::to_string(d);
    options.parents[code] = "QNG";
    leaves.push_back(code);
  }
  for (std::size_t c = 0; options.parents.size() < unitCount; ++c) {
    std::string code = "D" + std::to_string(c % districts) + "-C" + std::to_string(c);
    options.parents[code] = "D" + std::to_string(c % districts);
    leaves.push_back(code);
  }

  std::int64_t now = util::unixNow();
  bench::FleetGenerator gen(20261124, leaves);
  std::vector<collector::StoredEndpoint> stored;
  stored.reserve(endpoints);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < endpoints; ++i) {
    auto profile = gen.profile(i);
    std::string id = "agent-" + std::to_string(i);
    auto body = gen.report(profile, id, 1, now - 3600).SerializeAsString();
    bytes += body.size();
    stored.push_back({id, profile.unitCode, profile.hostname, 1, now - 3600, now - 3600,
                      std::move(body)});
  }
  std::printf("fleet: %zu endpoints in %zu units (%zu districts), %zu policies with %zu checks "
              "and %zu targets; mean report %.0f bytes\n",
              endpoints, options.parents.size(), districts, policies->size(), checks, targets,
              static_cast<double>(bytes) / static_cast<double>(endpoints));

  collector::FleetModel model(policies, options);
  std::size_t wanted = 0;
  for (int r = 1; r <= runs; ++r) {
    auto start = Clock::now();
    wanted = model.rebuild(stored, now).size();
    std::printf("full evaluation run %d: %.0f ms (%zu alerts wanted, %zu stale)\n", r,
                ms(Clock::now() - start), wanted, model.staleCount());
  }

  // One report at a time, as the ingest thread sees them: random endpoints, next sequence.
  bench::Rng rng(7);
  std::vector<double> samples;
  samples.reserve(updates);
  std::vector<collector::StoredEndpoint> incoming;
  incoming.reserve(updates);
  std::vector<std::uint64_t> sequence(endpoints, 1);
  for (std::size_t u = 0; u < updates; ++u) {
    std::size_t i = rng.below(endpoints);
    auto profile = gen.profile(i);
    const auto& s = stored[i];
    std::uint64_t next = ++sequence[i];
    incoming.push_back({s.agentId, s.unitCode, s.hostname, next, now, now,
                        gen.report(profile, s.agentId, next, now).SerializeAsString()});
  }
  // The alerts table as the collector keeps it, in a real SQLite file.
  test::TempDir dir("posture-eval-bench-");
  auto db = collector::openDatabase(dir.path());
  {
    auto start = Clock::now();
    auto wantedNow = model.rebuild(stored, now);
    auto change = collector::syncAlertSet(*db, wantedNow, now);
    std::printf("first alert sync into SQLite: %.0f ms (%zu alerts opened)\n",
                ms(Clock::now() - start), change.opened);
  }

  std::size_t alertChanges = 0;
  std::vector<double> withDb;
  withDb.reserve(updates);
  for (std::size_t u = 0; u < incoming.size(); ++u) {
    const auto& s = incoming[u];
    auto start = Clock::now();
    auto delta = model.update(s, now);
    auto evaluated = Clock::now();
    // Half the reports also write their alert changes, one transaction each (the ingest
    // thread writes one per batch; this is the worst case of a batch of one).
    if (u % 2 == 0) {
      collector::applyAlertDelta(*db, delta.raise, delta.clear, now);
      withDb.push_back(ms(Clock::now() - start));
    }
    samples.push_back(ms(evaluated - start));
    alertChanges += delta.raise.size() + delta.clear.size();
  }
  auto report = [](const char* what, std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]; };
    std::printf("%s (%zu reports): median %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms\n", what,
                v.size(), at(0.5), at(0.95), at(0.99), v.back());
  };
  report("re-evaluation after one report", samples);
  report("  same, plus its alert changes committed to SQLite (synchronous=FULL)", withDb);
  std::printf("  (%zu alert raises/clears in all)\n", alertChanges);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS %.0f MB (reports held in memory for the benchmark included)\n",
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "posture-evaluation-bench: %s\n", e.what());
    return 2;
  }
}

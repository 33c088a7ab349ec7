// A province enrols the collector of a district (issue 16): a single-use token of kind
// collector, the same CSR enrolment with the CA pinned, an identity listed as a child
// collector, which authenticates over mTLS but is refused on the report route.
#include <doctest/doctest.h>

#include <filesystem>

#include "common/util/process.h"
#include "tests/integration/child_process.h"

using namespace posture;

namespace {
util::ProcessResult collectorCli(std::vector<std::string> args) {
  args.insert(args.begin(), POSTURE_COLLECTOR_BIN);
  return util::runProcess(args);
}
}  // namespace

TEST_CASE("a child collector's token enrols once; its identity sends no reports") {
  test::CollectorProcess province;

  // Bad input: a child token is single-use by nature.
  auto many = collectorCli({"token", "create", "--data-dir", province.dataDir, "--unit", "BS",
                            "--collector", "--uses", "2"});
  CHECK(many.exitCode != 0);
  CHECK_MESSAGE(many.err.find("--uses does not go with --collector") != std::string::npos, many.err);

  auto create = collectorCli({"token", "create", "--data-dir", province.dataDir, "--unit", "BS",
                              "--collector", "--ttl", "1h"});
  INFO(create.err);
  REQUIRE(create.exitCode == 0);
  std::string token = create.out.substr(0, create.out.find('\n'));
  CHECK(create.err.find("Child collector token") != std::string::npos);
  CHECK(create.err.find("mounted at unit BS, single use") != std::string::npos);
  CHECK(create.err.find(province.caFingerprint) != std::string::npos);
  auto tokens = collectorCli({"token", "list", "--data-dir", province.dataDir});
  CHECK(tokens.out.find("child collector") != std::string::npos);

  // The district enrols with it the way an agent does (key made locally, CSR, CA pinned).
  std::string district = test::makeTempDir("posture-district-");
  auto enrol = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", province.address, "--token",
                                 token, "--state-dir", district, "--ca-fingerprint",
                                 province.caFingerprint});
  INFO(enrol.err);
  REQUIRE(enrol.exitCode == 0);
  // Single use: a second collector cannot claim the same mount.
  std::string other = test::makeTempDir("posture-district-");
  auto again = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", province.address, "--token",
                                 token, "--state-dir", other, "--ca-fingerprint", province.caFingerprint});
  CHECK(again.exitCode != 0);
  CHECK_MESSAGE(again.err.find("token_used") != std::string::npos, again.err);

  auto agents = collectorCli({"agent", "list", "--data-dir", province.dataDir});
  auto row = agents.out.substr(agents.out.find('\n') + 1);
  CHECK(row.find("\tBS\t") != std::string::npos);
  CHECK(row.find("child collector") != std::string::npos);

  // Its certificate is verified, but a report from it is refused before its body is read.
  auto run = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", district, "--once"},
                              std::chrono::seconds(120));
  CHECK(run.exitCode != 0);
  CHECK_MESSAGE(run.err.find("collector_identity") != std::string::npos, run.err);
  auto status = collectorCli({"status", "--data-dir", province.dataDir, "--lang", "en"});
  CHECK(status.out.find("Endpoints: 0") != std::string::npos);  // nothing stored

  std::filesystem::remove_all(district);
  std::filesystem::remove_all(other);
}

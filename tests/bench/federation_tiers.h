#pragma once
// The two tiers of posture-federation-bench (issue 16): a district's data directory as its
// own collector would hold it, and one round of its link to the province, either in this
// process through the federation's public functions and serialized bytes (what the HTTP
// route and the upstream link run, without the network) or through the real link
// (collector/upstream/link.h) to a real `posture-collector serve`.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "collector/policy/policy.h"
#include "common/db/sqlite.h"
#include "tests/bench/province_fleet.h"

namespace posture::bench {

using PolicySet = std::shared_ptr<const std::vector<policy::Policy>>;

struct DistrictSpec {
  std::string code;  // its root unit, which is the province's unit it is mounted at
  std::filesystem::path dir;
  Tree tree;  // its own organization: the district and its communes
  FleetSpec fleet;
  std::size_t endpoints = 0;
};

// The district's data directory: its tree, one report per endpoint (collected an hour
// ago), and the alerts its own live evaluation opens at its first full evaluation (as a
// serving district has before its first push). Returns the storage figures of the reports.
WriteFigures buildDistrict(const DistrictSpec& district, const PolicySet& policies,
                           std::int64_t now);

// The endpoints that get a new report in the delta: `percent` of them (at least one),
// spread evenly.
std::vector<std::size_t> changedEndpoints(std::size_t endpoints, double percent);

// The province's own organization (the province and its districts, which are the mounts)
// in a fresh data directory, with the bench's admin user; returns its password.
std::string buildProvince(const std::filesystem::path& dir, const Tree& provinceTree,
                          std::int64_t now);

struct RoundFigures {
  std::size_t pushes = 0, changes = 0, endpoints = 0;
  std::uint64_t bytes = 0;  // of the serialized pushes
  // The district: buildPicture, stage, and for each push nextPush, its bytes, reading the
  // ack and acknowledge().
  double pictureSeconds = 0, stageSeconds = 0, districtSeconds = 0, districtCpu = 0;
  // The province: applyPushBytes() (the writer job of POST /v1/federation/push) and the
  // ack's bytes.
  double provinceSeconds = 0, provinceCpu = 0;
};

// The spread of a per-district figure.
struct Spread {
  double sum = 0, min = 0, median = 0, max = 0;
};
Spread spread(std::vector<double> values);
// "  WHAT  total …  per district min … median … max … UNIT", each value times `scale`.
void printSpread(const char* what, const std::vector<double>& values, double scale,
                 const char* unit);

// The per-district figures of one phase (the snapshot, the delta), in process.
struct Phase {
  std::vector<double> districtWall, districtCpu, provinceWall, provinceCpu, bytes, picture, stage;
  std::size_t pushes = 0, changes = 0;
  double totalWall = 0;
  void add(const RoundFigures& round);
  void print(const char* title) const;
};

// One round of the link, in this process: the district's picture staged into its outbox,
// then pushes (as bytes) applied at the province and acknowledged until the outbox is
// empty and the epoch's snapshot acknowledged. A refusal is an error (std::runtime_error).
RoundFigures pushInProcess(db::Connection& district, db::Connection& province,
                           const std::string& childId, const std::string& mountUnit,
                           const PolicySet& policies, std::int64_t now);

// The real link (collector/upstream/link.h) of one district's data directory to a real
// province: enrolment with a child collector's token, then rounds.
class HttpLink {
 public:
  // provinceDataDir: for `posture-collector token create --collector` (the CLI).
  HttpLink(std::string collectorBin, std::filesystem::path provinceDataDir,
           std::string provinceAddress, PolicySet policies);
  // Creates the child token at the province and enrols the district with it (CA pinned).
  void enrol(const DistrictSpec& district);
  struct Round {
    std::size_t pushed = 0;
    std::uint64_t bytes = 0;
    double seconds = 0, cpu = 0;  // this process: picture, stage, TLS client, acknowledge
  };
  // One round (UpstreamLink::runRound); throws when it did not end with an empty outbox.
  Round round(const DistrictSpec& district);

 private:
  std::string bin_;
  std::filesystem::path provinceDir_;
  std::string address_;
  PolicySet policies_;
  std::string caFingerprint_;
};

}  // namespace posture::bench

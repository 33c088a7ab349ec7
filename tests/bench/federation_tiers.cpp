#include "tests/bench/federation_tiers.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "collector/evaluation/live.h"
#include "collector/federation/mounts.h"
#include "collector/federation/outbox.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "collector/upstream/link.h"
#include "collector/upstream/picture.h"
#include "common/util/process.h"
#include "common/util/time.h"
#include "posture/v1/federation.pb.h"
#include "tests/bench/console_client.h"

namespace posture::bench {
namespace fed = collector::federation;
namespace fs = std::filesystem;

WriteFigures buildDistrict(const DistrictSpec& d, const PolicySet& policies, std::int64_t now) {
  auto db = collector::openDatabase(d.dir);
  collector::org::importOrgText(*db, d.tree.yaml(), d.code + ".yaml", "posture-federation-bench",
                                now);
  auto figures = writeFleet(*db, d.fleet, d.endpoints, now);
  collector::LiveOptions o;
  o.policies = [policies] { return policies; };
  o.now = [now] { return now; };
  collector::LiveEvaluation live(o);
  live.tick(*db);  // the first full evaluation: the district's own alerts
  return figures;
}

std::vector<std::size_t> changedEndpoints(std::size_t endpoints, double percent) {
  auto n = static_cast<std::size_t>(static_cast<double>(endpoints) * percent / 100.0 + 0.5);
  n = std::clamp<std::size_t>(n, 1, endpoints);
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < n; ++k) out.push_back(k * endpoints / n);
  return out;
}

std::string buildProvince(const fs::path& dir, const Tree& provinceTree, std::int64_t now) {
  auto db = collector::openDatabase(dir);
  collector::org::importOrgText(*db, provinceTree.yaml(), "province.yaml",
                                "posture-federation-bench", now);
  return addBenchAdmin(*db, now, "posture-federation-bench");
}

RoundFigures pushInProcess(db::Connection& district, db::Connection& province,
                           const std::string& childId, const std::string& mountUnit,
                           const PolicySet& policies, std::int64_t now) {
  RoundFigures f;
  auto started = Clock::now();
  double cpu0 = selfCpuSeconds();
  collector::upstream::PictureOptions po;
  po.mountUnit = mountUnit;
  auto picture = collector::upstream::buildPicture(district, policies, po, now);
  f.endpoints = picture.endpoints;
  f.pictureSeconds = secondsSince(started);
  auto staging = Clock::now();
  auto staged = fed::stage(district, picture.rows);
  f.stageSeconds = secondsSince(staging);
  if (!staged.refused.empty()) {
    throw std::runtime_error(
        "district " + mountUnit + ": " + std::to_string(staged.refused.size()) +
        " row(s) refused at staging, the first " + staged.refused.front().first + ": " +
        staged.refused.front().second.en);
  }
  double provinceWall = 0, provinceCpu = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    auto s = fed::upstreamState(district);
    if (s.snapshotThrough && s.snapshotAcked && s.queued == 0) break;
    fed::PushOptions p;
    p.now = now;
    auto push = fed::nextPush(district, p);
    if (!push)
      throw std::runtime_error("district " + mountUnit + ": nothing to push before a stage");
    std::string body = push->SerializeAsString();
    f.bytes += body.size();
    f.changes += static_cast<std::size_t>(push->changes_size());
    ++f.pushes;

    auto t = Clock::now();
    double c = selfCpuSeconds();
    auto ack = fed::applyPushBytes(province, childId, fed::ownUnitCodes(province), body, now);
    std::string ackBytes = ack.SerializeAsString();
    provinceCpu += selfCpuSeconds() - c;
    provinceWall += secondsSince(t);

    v1::FederationAck received;
    if (!received.ParseFromString(ackBytes)) throw std::runtime_error("unreadable ack");
    if (!received.error_code().empty()) {
      throw std::runtime_error("district " + mountUnit + ": the province refused a push: " +
                               received.error_code() + ": " + received.message_en());
    }
    if (fed::acknowledge(district, received) != fed::AckOutcome::Committed)
      throw std::runtime_error("district " + mountUnit + ": the ack did not commit");
  }
  f.provinceSeconds = provinceWall;
  f.provinceCpu = provinceCpu;
  f.districtSeconds = secondsSince(started) - provinceWall;
  f.districtCpu = selfCpuSeconds() - cpu0 - provinceCpu;
  return f;
}

Spread spread(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  for (double x : v) s.sum += x;
  s.min = v.front();
  s.median = v[v.size() / 2];
  s.max = v.back();
  return s;
}

void printSpread(const char* what, const std::vector<double>& v, double scale, const char* unit) {
  auto s = spread(v);
  std::printf("  %-44s total %10.3f  per district min %9.3f  median %9.3f  max %9.3f %s\n", what,
              s.sum * scale, s.min * scale, s.median * scale, s.max * scale, unit);
}

void Phase::add(const RoundFigures& r) {
  districtWall.push_back(r.districtSeconds);
  districtCpu.push_back(r.districtCpu);
  provinceWall.push_back(r.provinceSeconds);
  provinceCpu.push_back(r.provinceCpu);
  bytes.push_back(static_cast<double>(r.bytes));
  picture.push_back(r.pictureSeconds);
  stage.push_back(r.stageSeconds);
  pushes += r.pushes;
  changes += r.changes;
}

void Phase::print(const char* title) const {
  std::printf("%s: %zu push(es), %zu change(s), %.1f s wall in all\n", title, pushes, changes,
              totalWall);
  printSpread("district: picture (s)", picture, 1, "s");
  printSpread("district: stage (s)", stage, 1, "s");
  printSpread("district side: wall (s)", districtWall, 1, "s");
  printSpread("district side: CPU (s)", districtCpu, 1, "s");
  printSpread("province side, applyPushBytes: wall (s)", provinceWall, 1, "s");
  printSpread("province side, applyPushBytes: CPU (s)", provinceCpu, 1, "s");
  printSpread("bytes of the pushes (KB)", bytes, 1.0 / 1024, "KB");
  std::fflush(stdout);
}

HttpLink::HttpLink(std::string collectorBin, fs::path provinceDataDir, std::string provinceAddress,
                   PolicySet policies)
    : bin_(std::move(collectorBin)),
      provinceDir_(std::move(provinceDataDir)),
      address_(std::move(provinceAddress)),
      policies_(std::move(policies)) {}

namespace {
collector::upstream::LinkOptions linkOptions(const std::string& address, const fs::path& dataDir,
                                             const PolicySet& policies) {
  collector::upstream::LinkOptions o;
  o.upstream = address;
  o.dataDir = dataDir;
  o.every = std::chrono::seconds(60);
  o.timeout = std::chrono::milliseconds(300000);  // a snapshot push is applied in one job
  o.policies = [policies] { return policies; };
  return o;
}
}  // namespace

void HttpLink::enrol(const DistrictSpec& district) {
  auto r = util::runProcess({bin_, "token", "create", "--data-dir", provinceDir_.string(), "--unit",
                             district.code, "--collector"},
                            std::chrono::seconds(60));
  if (!util::succeeded(r))
    throw std::runtime_error("token create --collector: " + util::failureReason(r));
  std::string token = r.out.substr(0, r.out.find('\n'));
  const std::string pin = "CA fingerprint (SHA-256): ";
  auto at = r.err.find(pin);
  if (at == std::string::npos)
    throw std::runtime_error("token create printed no CA fingerprint: " + r.err);
  caFingerprint_ = r.err.substr(at + pin.size(), r.err.find('\n', at) - at - pin.size());
  auto o = linkOptions(address_, district.dir, policies_);
  o.token = token;
  o.caFingerprint = caFingerprint_;
  std::string mount = collector::upstream::ensureEnrolled(o);
  if (mount != district.code)
    throw std::runtime_error("district " + district.code + " enrolled at unit " + mount);
}

HttpLink::Round HttpLink::round(const DistrictSpec& district) {
  collector::upstream::UpstreamLink link(linkOptions(address_, district.dir, policies_));
  double cpu = selfCpuSeconds();
  auto t = Clock::now();
  auto r = link.runRound();
  Round out;
  out.seconds = secondsSince(t);
  out.cpu = selfCpuSeconds() - cpu;
  out.pushed = r.pushed;
  out.bytes = r.bytes;
  if (!r.ok || r.queued != 0) {
    throw std::runtime_error("district " + district.code +
                             ": the round through the real link ended with " +
                             std::to_string(r.queued) + " change(s) queued: " + r.error);
  }
  return out;
}

}  // namespace posture::bench

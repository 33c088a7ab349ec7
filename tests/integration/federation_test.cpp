// A province over a district (issue 16), with real collectors on loopback: the district
// enrols with a single-use child token (CA pinned), pushes its picture over mTLS every
// second, and the province evaluates its own plans over the rows. Exactly once across a
// province stopped while the district ingests, kill -9 of either side, and restarts; the
// province's figures equal the district's own; refusals change nothing stored.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "common/db/sqlite.h"
#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/uplink/enrol.h"
#include "common/uplink/state.h"
#include "common/uplink/uplink.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/process.h"
#include "posture/v1/federation.pb.h"
#include "posture/v1/report.pb.h"
#include "tests/integration/child_process.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
util::ProcessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), POSTURE_COLLECTOR_BIN);
  return util::runProcess(args);
}

std::int64_t scalar(const std::string& dataDir, const std::string& sql) {
  db::Connection c(fs::path(dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = c.prepare(sql);
  REQUIRE(st.step());
  return st.getInt(0);
}

bool waitFor(const std::function<bool()>& pred, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return pred();
}

// "Met/Total" per unit of binh-son-2022's endpoints-protected-share in `status`.
std::map<std::string, std::string> protectedShare(const std::string& dataDir) {
  auto out = cli({"status", "--data-dir", dataDir, "--lang", "en"}).out;
  std::map<std::string, std::string> rows;
  auto at = out.find("Target endpoints-protected-share");
  if (at == std::string::npos) return rows;
  std::istringstream in(out.substr(at));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && line.rfind("  Target", 0) != 0 && !line.empty()) {
    std::istringstream cells(line);
    std::string unit, value;
    cells >> unit >> value;
    if (unit == "BS" || unit.rfind("BS-", 0) == 0) rows[unit] = value;
  }
  return rows;
}

struct Agent {
  uplink::AgentState state;
  std::uint64_t sequence = 0;
};

Agent enrolAgent(test::CollectorProcess& c, const std::string& unit) {
  uplink::EnrolOptions o;
  o.collector = c.address;
  o.caFingerprint = c.caFingerprint;
  o.token = c.createToken(unit);
  o.stateDir = test::makeTempDir("posture-agent-");
  return {uplink::enrol(o), 0};
}

void report(Agent& a, bool protectedNow) {
  posture::v1::Report r;
  r.set_sequence(++a.sequence);
  r.mutable_identity()->set_agent_id(a.state.agentId);
  r.mutable_identity()->set_hostname("pc-" + a.state.agentId.substr(0, 6));
  r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  std::int64_t now = ::time(nullptr);
  r.mutable_collected_at()->set_seconds(now);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_name("BKAV Pro Internet Security");
  p->set_real_time_protection(protectedNow ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  p->mutable_signature_time()->set_seconds(now - 3600);
  REQUIRE(uplink::sendReport(a.state, r, std::chrono::seconds(20)).sequence() == a.sequence);
}

net::ClientResponse push(const test::CollectorProcess& province, const uplink::AgentState& as,
                         const std::string& body) {
  auto tls = net::makeClientContext(as.caPem, as.certPem, as.keyPem);
  auto [host, port] = net::splitHostPort(province.address);
  return net::postBlocking(tls, host, port, "/v1/federation/push", "application/x-protobuf", body,
                           std::chrono::seconds(10));
}
}  // namespace

TEST_CASE("a district pushes to its province exactly once across stops and kill -9 of either side") {
  test::CollectorProcess province;
  REQUIRE(cli({"unit", "add", "--data-dir", province.dataDir, "--code", "QNG", "--kind", "province",
               "--name-vi", "Tỉnh Quảng Ngãi"}).exitCode == 0);
  REQUIRE(cli({"unit", "add", "--data-dir", province.dataDir, "--code", "BS", "--kind", "district",
               "--parent", "QNG", "--name-vi", "Huyện Bình Sơn"}).exitCode == 0);
  auto token = cli({"token", "create", "--data-dir", province.dataDir, "--unit", "BS", "--collector"});
  REQUIRE(token.exitCode == 0);

  // The district: the sample Bình Sơn tree, mounted at the province's BS.
  test::Launch launch;
  launch.dataDir = test::makeTempDir("posture-district-");
  REQUIRE(cli({"org", "import", std::string(POSTURE_SOURCE_DIR) + "/examples/org/binh-son.yaml",
               "--data-dir", launch.dataDir}).exitCode == 0);
  std::vector<std::string> upstream = {"--upstream", province.address, "--upstream-token",
                                       token.out.substr(0, token.out.find('\n')),
                                       "--upstream-ca-fingerprint", province.caFingerprint,
                                       "--upstream-every", "1s"};
  test::CollectorProcess district(upstream, {}, launch);
  REQUIRE(fs::exists(fs::path(district.dataDir) / "upstream"));

  std::vector<Agent> agents;
  for (const char* unit : {"BS-VP", "BS-VP", "BS-VP", "BS-BT", "BS-BT", "BS-BT"})
    agents.push_back(enrolAgent(district, unit));
  for (std::size_t i = 0; i < agents.size(); ++i) report(agents[i], i % 3 != 0);

  auto converged = [&] {
    auto own = protectedShare(district.dataDir);
    return !own.empty() && own == protectedShare(province.dataDir);
  };
  const std::string countRows = "SELECT count(*) FROM federated_endpoints";
  REQUIRE(waitFor([&] { return scalar(province.dataDir, countRows) == 6; }));
  REQUIRE(waitFor(converged));
  // The province's figures for BS's units are the district's own, row for row.
  auto share = protectedShare(province.dataDir);
  CHECK(share.at("BS") == "4/6");
  CHECK(share.at("BS-VP") == "2/3");
  CHECK(share.at("BS-BT") == "2/3");

  // Layer 4 from telemetry: the district's BS passes on its record and its healthy link,
  // and the evidence names the province and the district's identity there.
  auto child = uplink::loadState(fs::path(district.dataDir) / "upstream");
  auto orgShow = [&] { return cli({"org", "show", "--data-dir", district.dataDir, "--lang", "en"}).out; };
  CHECK(orgShow().find("upstream link to " + province.address + " (identity " + child.agentId) != std::string::npos);
  auto districtStatus = [&] { return cli({"status", "--data-dir", district.dataDir, "--lang", "en"}).out; };
  CHECK(districtStatus().find("Upstream link: " + province.address) != std::string::npos);
  REQUIRE(waitFor([&] { return districtStatus().find("link healthy") != std::string::npos; }));

  // The province stops; the district keeps ingesting; the province catches up on restart.
  province.stop();
  for (std::size_t i = 0; i < agents.size(); ++i) report(agents[i], true);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // rounds fail and keep the outbox
  CHECK(scalar(district.dataDir, "SELECT count(*) FROM upstream_outbox") > 0);
  // Nothing acknowledged for more than 3 intervals (1 s): the link and layer 4 fail.
  REQUIRE(waitFor([&] { return districtStatus().find("link stale") != std::string::npos; }));
  CHECK(orgShow().find("intervals ago") != std::string::npos);
  province.start();
  REQUIRE(waitFor(converged));
  CHECK(protectedShare(province.dataDir).at("BS") == "6/6");

  // kill -9 of the district right after new reports, then a restart without the token:
  // the credentials in DATA_DIR/upstream are enough.
  for (std::size_t i = 0; i < 3; ++i) report(agents[i], false);
  district.process->kill9();
  district.extraArgs = {"--upstream", province.address, "--upstream-every", "1s"};
  district.start();
  REQUIRE(waitFor(converged));
  CHECK(protectedShare(province.dataDir).at("BS-VP") == "0/3");

  // kill -9 of the province while the district pushes, then a restart.
  for (std::size_t i = 3; i < agents.size(); ++i) report(agents[i], false);
  province.process->kill9();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  province.start();
  REQUIRE(waitFor(converged));
  CHECK(protectedShare(province.dataDir).at("BS") == "0/6");
  // Exactly once: every endpoint once, and the province holds the district's last sequence.
  CHECK(scalar(province.dataDir, countRows) == 6);
  REQUIRE(waitFor([&] {
    return scalar(district.dataDir, "SELECT count(*) FROM upstream_outbox") == 0;
  }));
  CHECK(scalar(province.dataDir, "SELECT max(last_sequence) FROM federation_children") ==
        scalar(district.dataDir, "SELECT acked_sequence FROM upstream_state"));

  // The national anti-malware report at the province covers the district's machines, from
  // the facts it pushed (signature ages included: an hour old, so all updated).
  std::string report = province.dataDir + "/bao-cao-2290.json";
  auto exported = cli({"export", "--data-dir", province.dataDir, "--format", "report-2290", "--out", report,
                       "--policies", std::string(POSTURE_SOURCE_DIR) + "/policies"});
  INFO(exported.err);
  REQUIRE(exported.exitCode == 0);
  auto text = util::readFile(report);
  REQUIRE(text);
  auto doc = util::parseJson(*text);
  const auto& total = doc.at("total");
  CHECK(total.at("NumberMachine").asInt() == 6);
  CHECK(total.at("AutoProtect").asInt() == 0);
  CHECK(total.at("NumberMachineNotUpdateOn15Day").asInt() == 0);

  // Refusals, each leaving the stored rows as they were.
  auto malformed = push(province, child, "\xff\xff not a push");
  CHECK(malformed.status == 400);
  posture::v1::FederationAck ack;
  REQUIRE(ack.ParseFromString(malformed.body));
  CHECK(ack.error_code() == "malformed_push");
  CHECK(scalar(province.dataDir, countRows) == 6);
  // A replayed old sequence changes nothing and is acknowledged with what is committed.
  posture::v1::FederationPush replay;
  replay.set_epoch(static_cast<std::uint64_t>(
      scalar(province.dataDir, "SELECT epoch FROM federation_children")));
  auto* c = replay.add_changes();
  c->set_sequence(1);
  auto* e = c->mutable_endpoint();
  e->set_agent_id("forged");
  e->set_hostname("forged");
  e->set_unit_code("BS-VP");
  replay.set_detail("endpoints");
  auto replayed = push(province, child, replay.SerializeAsString());
  CHECK(replayed.status == 200);
  CHECK(scalar(province.dataDir, "SELECT count(*) FROM federated_endpoints WHERE agent_id = 'forged'") == 0);
  // The district silent, and a forged row outside its mount: refused, nothing stored, and
  // the province raises both alerts (a silent child, a refused push).
  district.stop();
  posture::v1::FederationPush forged;
  forged.set_epoch(replay.epoch());
  forged.set_detail("endpoints");
  forged.set_interval_seconds(1);
  auto* fc = forged.add_changes();
  fc->set_sequence(static_cast<std::uint64_t>(
      scalar(province.dataDir, "SELECT last_sequence FROM federation_children") + 1));
  *fc->mutable_endpoint() = *e;
  fc->mutable_endpoint()->set_unit_code("QNG-OTHER");
  auto outside = push(province, child, forged.SerializeAsString());
  CHECK(outside.status == 400);
  CHECK(outside.body.find("outside_mount") != std::string::npos);
  CHECK(scalar(province.dataDir, countRows) == 6);
  auto provinceAlerts = [&] { return cli({"alerts", "list", "--data-dir", province.dataDir, "--lang", "en"}).out; };
  CHECK_MESSAGE(waitFor([&] {
    auto out = provinceAlerts();
    return out.find("posture/child-push-refused") != std::string::npos &&
           out.find("posture/child-collector-stale") != std::string::npos;
  }), provinceAlerts());
  // The district back: its pushes are accepted again, and both alerts resolve.
  district.start();
  CHECK_MESSAGE(waitFor([&] {
    auto out = provinceAlerts();
    return out.find("posture/child-push-refused") == std::string::npos &&
           out.find("posture/child-collector-stale") == std::string::npos;
  }), provinceAlerts());

  // An agent's certificate, verified by the province, cannot push.
  auto provinceAgent = enrolAgent(province, "QNG");
  auto agentPush = push(province, provinceAgent.state, replay.SerializeAsString());
  CHECK(agentPush.status == 403);
  CHECK(agentPush.body.find("not_a_collector") != std::string::npos);
  fs::remove_all(provinceAgent.state.dir);
  // A revoked child is refused; its rows stay.
  REQUIRE(cli({"agent", "revoke", child.agentId, "--data-dir", province.dataDir}).exitCode == 0);
  auto revoked = push(province, child, replay.SerializeAsString());
  CHECK(revoked.status == 403);
  CHECK(scalar(province.dataDir, countRows) == 6);
  for (auto& a : agents) fs::remove_all(a.state.dir);
}

TEST_CASE("a district refuses to start when the province cannot be verified") {
  test::CollectorProcess province;
  auto token = cli({"token", "create", "--data-dir", province.dataDir, "--unit", "BS", "--collector"});
  REQUIRE(token.exitCode == 0);
  std::string dir = test::makeTempDir("posture-district-");
  // A wrong pin: nothing is sent, not even the token, and serve exits with the cause.
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0",
                             "--policies", std::string(POSTURE_SOURCE_DIR) + "/policies", "--upstream", province.address, "--upstream-token",
                             token.out.substr(0, token.out.find('\n')), "--upstream-ca-fingerprint",
                             std::string(64, 'a')},
                            std::chrono::seconds(60));
  CHECK(r.exitCode != 0);
  CHECK_MESSAGE(r.err.find("did not prove it is the collector") != std::string::npos, r.err);
  CHECK(scalar(province.dataDir, "SELECT count(*) FROM federation_children") == 0);
  CHECK(scalar(province.dataDir, "SELECT uses_left FROM enrolment_tokens") == 1);  // not spent
  fs::remove_all(dir);
}

TEST_CASE("a district renews its certificate with the province before it runs out, and keeps pushing") {
  // Certificates of 10 days: within the 30 days a district renews before expiry, so its
  // first round renews.
  test::CollectorProcess province({"--client-cert-days", "10"});
  REQUIRE(cli({"unit", "add", "--data-dir", province.dataDir, "--code", "BS", "--kind", "district",
               "--name-vi", "Huyện Bình Sơn"}).exitCode == 0);
  auto token = cli({"token", "create", "--data-dir", province.dataDir, "--unit", "BS", "--collector"});
  REQUIRE(token.exitCode == 0);
  test::Launch launch;
  launch.dataDir = test::makeTempDir("posture-district-");
  REQUIRE(cli({"unit", "add", "--data-dir", launch.dataDir, "--code", "BS", "--kind", "district",
               "--name-vi", "Huyện Bình Sơn"}).exitCode == 0);
  REQUIRE(cli({"unit", "add", "--data-dir", launch.dataDir, "--code", "BS-VP", "--kind", "department",
               "--parent", "BS", "--name-vi", "Văn phòng"}).exitCode == 0);
  test::CollectorProcess district({"--upstream", province.address, "--upstream-token",
                                   token.out.substr(0, token.out.find('\n')), "--upstream-ca-fingerprint",
                                   province.caFingerprint, "--upstream-every", "1s"},
                                  {}, launch);
  const std::string serial = "SELECT cert_serial FROM agents WHERE kind = 'collector'";
  auto serialAt = [&] {
    db::Connection c(fs::path(province.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
    auto st = c.prepare(serial);
    return st.step() ? st.getText(0) : std::string();
  };
  std::string first = serialAt();
  REQUIRE(!first.empty());
  // A renewal, then pushes accepted with the new certificate (the unit arrives, the push
  // time moves on).
  REQUIRE(waitFor([&] { return serialAt() != first; }));
  auto pushedAt = [&] { return scalar(province.dataDir, "SELECT coalesce(last_push_at, 0) FROM federation_children"); };
  REQUIRE(waitFor([&] { return scalar(province.dataDir, "SELECT count(*) FROM federated_units") == 1; }));
  auto before = pushedAt();
  CHECK(waitFor([&] { return pushedAt() > before; }, std::chrono::seconds(20)));
  CHECK(scalar(province.dataDir, "SELECT count(*) FROM federation_children WHERE refused_code IS NOT NULL") == 0);
}

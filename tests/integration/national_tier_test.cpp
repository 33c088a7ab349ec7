// Three tiers (issue 16), real collectors on loopback: two districts push their endpoint rows
// to a province (Bình Sơn's machines are real agents' reports, Đức Cơ's the fleet
// simulator's), and the province pushes a summary (`--upstream-detail summary`) to a national
// collector: per-unit figures and 2290 counts, no endpoint rows. The province's figures are
// the sum of the districts' own, unit for unit; the national's 2290 report equals the
// province's; the national holds no endpoint row, and the summary is a fraction of what the
// endpoint rows would weigh.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "collector/export/report_2290.h"
#include "collector/federation/changes.h"
#include "collector/policy/policy.h"
#include "collector/upstream/picture.h"
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
using namespace posture::collector;
namespace fs = std::filesystem;

namespace {
const std::string kPolicies = std::string(POSTURE_SOURCE_DIR) + "/policies";

util::ProcessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), POSTURE_COLLECTOR_BIN);
  auto r = util::runProcess(args);
  INFO(args[1] << " " << args[2] << ": " << r.err);
  REQUIRE(r.exitCode == 0);
  return r;
}

std::unique_ptr<db::Connection> readOnly(const std::string& dataDir) {
  return std::make_unique<db::Connection>(fs::path(dataDir) / "posture.db",
                                          db::Connection::Mode::ReadOnly);
}

std::int64_t scalar(const std::string& dataDir, const std::string& sql) {
  auto c = readOnly(dataDir);
  auto st = c->prepare(sql);
  REQUIRE(st.step());
  return st.getInt(0);
}

bool waitFor(const std::function<bool()>& pred,
             std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return pred();
}

Report2290 report2290(const std::string& dataDir) {
  return buildReport2290(*readOnly(dataDir), {}, false, "", util::unixNow());
}

const Unit2290* unitIn(const Report2290& r, const std::string& code) {
  for (const auto& u : r.units) {
    if (u.code == code) return &u;
  }
  return nullptr;
}

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// A machine of Bình Sơn, reported through the agent's own enrolment and uplink.
struct Machine {
  std::string unit, os;
  bool realTime = true, firewall = true, antivirus = true, antivirusProbeOk = true;
  std::int64_t signatureAge = 3600;  // seconds before the report
};

void enrolAndReport(test::CollectorProcess& district, const Machine& m, int index) {
  uplink::EnrolOptions o;
  o.collector = district.address;
  o.caFingerprint = district.caFingerprint;
  o.token = district.createToken(m.unit);
  o.stateDir = test::makeTempDir("posture-agent-");
  auto state = uplink::enrol(o);
  posture::v1::Report r;
  r.set_sequence(1);
  r.mutable_identity()->set_agent_id(state.agentId);
  r.mutable_identity()->set_hostname("bs-pc-" + std::to_string(index));
  r.mutable_identity()->set_os_name(m.os);
  r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  std::int64_t now = util::unixNow();
  r.mutable_collected_at()->set_seconds(now);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(m.antivirusProbeOk ? posture::v1::PROBE_STATUS_OK
                                                     : posture::v1::PROBE_STATUS_ERROR);
  if (m.antivirus && m.antivirusProbeOk) {
    auto* p = av->add_products();
    p->set_name("BKAV Pro Internet Security");
    p->set_real_time_protection(m.realTime ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
    p->mutable_signature_time()->set_seconds(now - m.signatureAge);
  }
  auto* fw = r.mutable_firewall();
  fw->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  fw->set_enabled(m.firewall ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  REQUIRE(uplink::sendReport(state, r, std::chrono::seconds(20)).sequence() == 1);
  fs::remove_all(state.dir);
}

// The bytes of the rows of one kind in a picture.
std::size_t rowBytes(const upstream::Picture& picture,
                     posture::v1::FederationChange::ChangeCase kind) {
  std::size_t n = 0;
  for (const auto& row : picture.rows) {
    posture::v1::FederationChange c;
    REQUIRE(c.ParseFromString(row.change));
    if (c.change_case() == kind) n += row.change.size();
  }
  return n;
}

// The bytes of one snapshot push carrying the whole picture.
std::size_t snapshotBytes(const upstream::Picture& picture, const std::string& detail) {
  posture::v1::FederationPush push;
  push.set_epoch(1);
  push.set_snapshot(true);
  push.set_detail(detail);
  std::uint64_t sequence = 0;
  for (const auto& row : picture.rows) {
    auto* c = push.add_changes();
    REQUIRE(c->ParseFromString(row.change));
    c->set_sequence(++sequence);
  }
  push.set_snapshot_through(sequence);
  return push.ByteSizeLong();
}
}  // namespace

TEST_CASE("a province with two districts, plus a national collector for the summary tier") {
  // The national collector holds the province's unit; the province is its child.
  test::CollectorProcess national;
  cli({"unit", "add", "--data-dir", national.dataDir, "--code", "QNG", "--kind", "province",
       "--name-vi", "Tỉnh Quảng Ngãi"});
  auto provinceToken = firstLine(
      cli({"token", "create", "--data-dir", national.dataDir, "--unit", "QNG", "--collector"}).out);

  // The province: its units, then serve with a summary link upward.
  test::Launch provinceLaunch;
  provinceLaunch.dataDir = test::makeTempDir("posture-province-");
  cli({"unit", "add", "--data-dir", provinceLaunch.dataDir, "--code", "QNG", "--kind", "province",
       "--name-vi", "Tỉnh Quảng Ngãi"});
  for (const char* district : {"BS", "DC"}) {
    cli({"unit", "add", "--data-dir", provinceLaunch.dataDir, "--code", district, "--kind",
         "district", "--parent", "QNG", "--name-vi", std::string("Huyện ") + district});
  }
  test::CollectorProcess province(
      {"--upstream", national.address, "--upstream-token", provinceToken,
       "--upstream-ca-fingerprint", national.caFingerprint, "--upstream-every", "1s",
       "--upstream-detail", "summary"},
      {}, provinceLaunch);

  // Two districts pushing their endpoint rows to the province.
  auto districtArgs = [&](const std::string& unit) -> std::vector<std::string> {
    auto token = firstLine(
        cli({"token", "create", "--data-dir", province.dataDir, "--unit", unit, "--collector"})
            .out);
    return {"--upstream",
            province.address,
            "--upstream-token",
            token,
            "--upstream-ca-fingerprint",
            province.caFingerprint,
            "--upstream-every",
            "1s"};
  };
  test::Launch bsLaunch;
  bsLaunch.dataDir = test::makeTempDir("posture-district-bs-");
  cli({"org", "import", std::string(POSTURE_SOURCE_DIR) + "/examples/org/binh-son.yaml",
       "--data-dir", bsLaunch.dataDir});
  test::CollectorProcess bs(districtArgs("BS"), {}, bsLaunch);
  test::Launch dcLaunch;
  dcLaunch.dataDir = test::makeTempDir("posture-district-dc-");
  cli({"unit", "add", "--data-dir", dcLaunch.dataDir, "--code", "DC", "--kind", "district",
       "--name-vi", "Huyện Đức Cơ"});
  cli({"unit", "add", "--data-dir", dcLaunch.dataDir, "--code", "DC-VP", "--kind", "department",
       "--parent", "DC", "--name-vi", "Văn phòng UBND huyện Đức Cơ"});
  cli({"unit", "add", "--data-dir", dcLaunch.dataDir, "--code", "DC-IA", "--kind", "commune",
       "--parent", "DC", "--name-vi", "UBND xã Ia Din"});
  test::CollectorProcess dc(districtArgs("DC"), {}, dcLaunch);

  // Bình Sơn: six agents, one for every 2290 case.
  const std::vector<Machine> machines = {
      {.unit = "BS-VP", .os = "Windows 10 Pro"},
      {.unit = "BS-VP", .os = "Windows 11 Pro", .realTime = false, .firewall = false},
      {.unit = "BS-VP", .os = "Windows 10 Pro", .signatureAge = 20 * 86400},
      {.unit = "BS-BT", .os = "Ubuntu", .antivirus = false},
      {.unit = "BS-BT", .os = "Windows 10 Pro", .antivirusProbeOk = false},
      {.unit = "BS-BT", .os = "Windows 10 Pro", .firewall = false}};
  for (std::size_t i = 0; i < machines.size(); ++i)
    enrolAndReport(bs, machines[i], static_cast<int>(i));
  // Đức Cơ: the fleet simulator's mix (real enrolment and mTLS), 24 machines in two units.
  const std::int64_t dcMachines = 24;
#ifdef POSTURE_FLEET_SIM_BIN
  auto sim =
      util::runProcess({POSTURE_FLEET_SIM_BIN, "--collector", dc.address, "--ca-fingerprint",
                        dc.caFingerprint, "--unit", "DC-VP=" + dc.createToken("DC-VP", 12),
                        "--unit", "DC-IA=" + dc.createToken("DC-IA", 12), "--endpoints",
                        std::to_string(dcMachines), "--reports", "1", "--seed", "2290", "--quiet"},
                       std::chrono::seconds(120));
  INFO(sim.err);
  REQUIRE(sim.exitCode == 0);
#else
  for (std::int64_t i = 0; i < dcMachines; ++i) {
    Machine m{.unit = i % 2 ? "DC-IA" : "DC-VP", .os = "Windows 10 Pro"};
    m.realTime = i % 3 != 0;
    m.signatureAge = (i % 5 == 0 ? 30 : 1) * 86400;
    enrolAndReport(dc, m, static_cast<int>(100 + i));
  }
#endif

  // The province holds every district row; the national, every machine in 2290 counts.
  const std::int64_t all = static_cast<std::int64_t>(machines.size()) + dcMachines;
  REQUIRE(waitFor(
      [&] { return scalar(province.dataDir, "SELECT count(*) FROM federated_endpoints") == all; }));
  const std::string nationalMachines =
      "SELECT coalesce(sum(machines), 0) FROM federated_report_2290";
  REQUIRE(waitFor([&] { return scalar(national.dataDir, nationalMachines) == all; }));
  // One more round of each link after that, so that every tier has pushed what it holds.
  std::this_thread::sleep_for(std::chrono::seconds(3));

  // The province's figures: the districts' own, row for row, and their sum.
  CHECK(scalar(bs.dataDir, "SELECT count(*) FROM endpoints") == 6);
  CHECK(scalar(dc.dataDir, "SELECT count(*) FROM endpoints") == dcMachines);
  auto bsReport = report2290(bs.dataDir);
  auto dcReport = report2290(dc.dataDir);
  auto provinceReport = report2290(province.dataDir);
  std::size_t compared = 0;
  for (const auto* district : {&bsReport, &dcReport}) {
    for (const auto& u : district->units) {
      if (u.code == "QNG") continue;  // Bình Sơn's file names the province above its tree
      CAPTURE(u.code);
      const auto* there = unitIn(provinceReport, u.code);
      REQUIRE(there);
      CHECK(there->own == u.own);
      CHECK(there->subtree == u.subtree);
      ++compared;
    }
  }
  CHECK(compared == 8);  // BS and its 4 units, DC and its 2
  Figures2290 sum = unitIn(bsReport, "BS")->subtree;
  sum.add(unitIn(dcReport, "DC")->subtree);
  CHECK(sum.machines == all);
  CHECK(provinceReport.total == sum);
  // Each 2290 case is there, so that a count lost on the way would show.
  CHECK(sum.autoProtect < sum.machines);
  CHECK(sum.enableFirewall < sum.machines);
  CHECK(unitIn(bsReport, "BS")->subtree.notUpdated == 3);  // old signatures, none, unknown

  // The national's 2290 report equals the province's, unit for unit, without a single row.
  auto nationalReport = report2290(national.dataDir);
  CHECK(nationalReport.total == provinceReport.total);
  CHECK(nationalReport.pushedMachines == all);
  for (const auto& u : provinceReport.units) {
    CAPTURE(u.code);
    const auto* there = unitIn(nationalReport, u.code);
    REQUIRE(there);
    CHECK(there->own == u.own);
    CHECK(there->subtree == u.subtree);
  }
  CHECK(scalar(national.dataDir, "SELECT count(*) FROM federated_endpoints") == 0);
  CHECK(scalar(national.dataDir, "SELECT count(*) FROM federated_units") ==
        scalar(province.dataDir, "SELECT count(*) FROM federated_units") + 2);  // + BS, DC
  // The export a user types, signed like every other.
  std::string file = national.dataDir + "/bao-cao-2290.json";
  cli({"export", "--data-dir", national.dataDir, "--format", "report-2290", "--out", file});
  auto text = util::readFile(file);
  REQUIRE(text);
  auto doc = util::parseJson(*text);
  CHECK(doc.at("total").at("NumberMachine").asInt() == all);
  CHECK(doc.at("meta").at("pushed_machine_count").asInt() == all);

  // The national's status shows the province's own figures per unit: Bình Sơn's plan at
  // BS-VP, where the national's own plans count nothing (it holds no row).
  {
    auto status = cli({"status", "--data-dir", national.dataDir, "--lang", "en"}).out;
    INFO(status);
    CHECK(status.find("Machines (pushed 2290 counts): " + std::to_string(all)) !=
          std::string::npos);
    CHECK(status.find("Targets under the child's own plans, per unit:") != std::string::npos);
    CHECK(status.find("BS-VP           binh-son-2022/endpoints-protected-share") !=
          std::string::npos);
    auto statusVi = cli({"status", "--data-dir", national.dataDir}).out;
    CHECK(statusVi.find("Số máy (số liệu 2290 đã đẩy): " + std::to_string(all)) !=
          std::string::npos);
    CHECK(statusVi.find("Chỉ tiêu theo kế hoạch của máy chủ con, từng đơn vị:") !=
          std::string::npos);
  }

  // What the summary saves: the province's snapshot both ways, from its own database.
  {
    auto db = readOnly(province.dataDir);
    auto policies =
        std::make_shared<const std::vector<policy::Policy>>(policy::loadPolicyDirectory(kPolicies));
    upstream::PictureOptions o;
    o.mountUnit = "QNG";
    o.summary = true;
    std::int64_t now = util::unixNow();
    auto summary = upstream::buildPicture(*db, policies, o, now);
    o.summary = false;
    auto endpoints = upstream::buildPicture(*db, policies, o, now);
    std::size_t summaryBytes = snapshotBytes(summary, "summary");
    std::size_t endpointBytes = snapshotBytes(endpoints, "endpoints");
    // What differs: the endpoint rows, which grow with the machines, against a few counts
    // per unit, which do not; the rest (units, targets, layers, systems, alerts) is the same.
    std::size_t rows = rowBytes(endpoints, posture::v1::FederationChange::kEndpoint);
    std::size_t counts = rowBytes(summary, posture::v1::FederationChange::kReport2290);
    MESSAGE("the province's snapshot for "
            << all << " machines: summary " << summaryBytes << " bytes in " << summary.rows.size()
            << " changes, endpoints " << endpointBytes << " bytes in " << endpoints.rows.size()
            << " changes; endpoint rows " << rows << " bytes, 2290 counts " << counts << " bytes");
    CHECK(summaryBytes < endpointBytes);
    CHECK(counts * 10 < rows);
  }

  // A summary push that carries an endpoint row is refused over the real link; nothing moves.
  auto child = uplink::loadState(fs::path(province.dataDir) / "upstream");
  posture::v1::FederationPush forged;
  forged.set_epoch(static_cast<std::uint64_t>(
      scalar(national.dataDir, "SELECT epoch FROM federation_children")));
  forged.set_detail("summary");
  auto* c = forged.add_changes();
  c->set_sequence(static_cast<std::uint64_t>(
                      scalar(national.dataDir, "SELECT last_sequence FROM federation_children")) +
                  1);
  c->mutable_endpoint()->set_agent_id("forged");
  c->mutable_endpoint()->set_hostname("forged");
  c->mutable_endpoint()->set_unit_code("BS-VP");
  auto tls = net::makeClientContext(child.caPem, child.certPem, child.keyPem);
  auto [host, port] = net::splitHostPort(national.address);
  auto answer = net::postBlocking(tls, host, port, "/v1/federation/push", "application/x-protobuf",
                                  forged.SerializeAsString(), std::chrono::seconds(10));
  posture::v1::FederationAck ack;
  REQUIRE(ack.ParseFromString(answer.body));
  CHECK(ack.error_code() == "endpoint_in_summary");
  CHECK(scalar(national.dataDir, "SELECT count(*) FROM federated_endpoints") == 0);
}

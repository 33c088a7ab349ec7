// Verify before speaking: `posture-agent enroll` sends nothing — no token, not even the
// clock check — to a TLS server whose handshake did not prove it is the pinned collector:
// one of another CA (even one that sends the real CA certificate along), one presenting
// an agent's certificate from the real CA, one with a real server certificate for another
// name. Without a pin it refuses before connecting, unless trust on first use is asked for.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/uplink/enrol.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/integration/rogue_tls_server.h"

using namespace posture;
using posture::test::CollectorProcess;
using posture::test::RogueTlsServer;
namespace fs = std::filesystem;

namespace {
crypto::CertificateAuthority caOf(const CollectorProcess& c) {
  return {util::readFile(fs::path(c.dataDir) / "ca.crt").value(),
          util::readFile(fs::path(c.dataDir) / "ca.key").value()};
}

struct Identity {
  std::string chainPem, keyPem;
};

// A server certificate from `ca` for these names, followed by `extraChain`.
Identity serverIdentity(const crypto::CertificateAuthority& ca, std::vector<std::string> dns,
                        std::vector<std::string> ips, const std::string& extraChain) {
  crypto::ServerCertificateRequest req;
  req.keyPem = crypto::generatePrivateKeyPem();
  req.dnsNames = std::move(dns);
  req.ipAddresses = std::move(ips);
  req.validDays = 30;
  return {crypto::issueServerCertificate(ca, req) + extraChain, req.keyPem};
}

util::ProcessResult enroll(const std::string& collector, const std::string& token,
                           std::vector<std::string> extra) {
  std::string state = test::makeTempDir("posture-agent-");
  std::vector<std::string> argv = {POSTURE_AGENT_BIN, "enroll", "--collector", collector,
                                   "--token", token, "--state-dir", state};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = util::runProcess(argv, std::chrono::seconds(60));
  CHECK_FALSE(r.timedOut);
  if (r.exitCode != 0) CHECK_FALSE(fs::exists(fs::path(state) / "agent.conf"));
  fs::remove_all(state);
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The rogue server was dialled, its handshake never completed, it received nothing.
void checkNothingSent(RogueTlsServer& rogue, const util::ProcessResult& r) {
  INFO("enroll stderr: " << r.err);
  CHECK(r.exitCode == 1);
  CHECK(contains(r.err, "did not prove it is the collector"));
  CHECK(contains(r.err, "không chứng minh được là máy chủ thu thập"));
  auto seen = rogue.settle();
  CHECK(seen.connections >= 1);  // it was reached: the refusal is the handshake's
  CHECK(seen.handshakes == 0);
  CHECK(seen.bytes.empty());
}

std::string at(const RogueTlsServer& rogue, const std::string& host = "127.0.0.1") {
  return host + ":" + std::to_string(rogue.port());
}
}  // namespace

TEST_CASE("pinned enrolment sends nothing to a TLS server of another CA") {
  CollectorProcess collector;
  std::string token = collector.createToken("BS-VP");
  auto real = caOf(collector);
  // Named like the real one: only the key differs.
  auto rogueCa = crypto::createCertificateAuthority(
      crypto::inspectCertificate(real.certPem).subjectCommonName, 30);
  Identity id;
  std::string why;
  SUBCASE("sending its own chain") {
    id = serverIdentity(rogueCa, {"localhost"}, {"127.0.0.1"}, rogueCa.certPem);
    why = "does not contain the pinned CA: expected " + collector.caFingerprint;
  }
  SUBCASE("sending the real CA certificate along, which anyone can copy") {
    id = serverIdentity(rogueCa, {"localhost"}, {"127.0.0.1"}, real.certPem + rogueCa.certPem);
    why = "its certificate chain does not verify";
  }
  RogueTlsServer rogue(id.chainPem, id.keyPem);
  auto r = enroll(at(rogue), token, {"--ca-fingerprint", collector.caFingerprint});
  checkNothingSent(rogue, r);
  CHECK(contains(r.err, why));
  // The token was never spent: the real collector still takes it.
  auto good = enroll(collector.address, token, {"--ca-fingerprint", collector.caFingerprint});
  CHECK_MESSAGE(good.exitCode == 0, good.err);
}

TEST_CASE("an agent's certificate from the collector's own CA cannot pass for the collector") {
  CollectorProcess collector;
  auto real = caOf(collector);
  std::string token = collector.createToken("BS-VP", 5);
  uplink::EnrolOptions o;
  o.collector = collector.address;
  o.caFingerprint = collector.caFingerprint;
  o.token = token;
  o.stateDir = test::makeTempDir("posture-agent-");
  auto victim = uplink::enrol(o);  // an enrolled agent whose key an attacker obtained
  fs::remove_all(o.stateDir);

  Identity id;
  std::string host = "127.0.0.1";
  SUBCASE("a real agent's certificate and key") {
    id = {victim.certPem + victim.caPem, victim.keyPem};
  }
  SUBCASE("a client certificate that even names the host dialled: only its EKU is wrong") {
    std::string key = crypto::generatePrivateKeyPem();
    std::string cert = crypto::issueClientCertificate(
        real, {crypto::createCsrPem(key, "localhost"), "localhost", "BS-VP", 30});
    id = {cert + real.certPem, key};
    host = "localhost";
  }
  for (const auto& trust : std::vector<std::vector<std::string>>{
           {"--ca-fingerprint", collector.caFingerprint}, {"--trust-on-first-use"}}) {
    CAPTURE(trust[0]);
    RogueTlsServer rogue(id.chainPem, id.keyPem);
    auto r = enroll(at(rogue, host), token, trust);
    checkNothingSent(rogue, r);
    CHECK(contains(r.err, "not a server certificate"));
  }
}

TEST_CASE("a server certificate from the pinned CA for another name is refused") {
  CollectorProcess collector;
  std::string token = collector.createToken("BS-VP");
  // E.g. another district's collector under the same province CA.
  auto id = serverIdentity(caOf(collector), {"collector.other-district.example"}, {}, caOf(collector).certPem);
  RogueTlsServer rogue(id.chainPem, id.keyPem);
  auto r = enroll(at(rogue), token, {"--ca-fingerprint", collector.caFingerprint});
  checkNothingSent(rogue, r);
  CHECK(contains(r.err, "does not name the address dialled"));
}

TEST_CASE("without a pin enroll refuses before connecting, unless trust on first use is asked for") {
  auto rogueCa = crypto::createCertificateAuthority("Posture collector CA rogue", 30);
  auto id = serverIdentity(rogueCa, {"localhost"}, {"127.0.0.1"}, rogueCa.certPem);
  RogueTlsServer rogue(id.chainPem, id.keyPem);
  std::string token = "0123456789abcdef0123456789abcdef01234567";

  SUBCASE("no pin") {
    auto r = enroll(at(rogue), token, {});
    INFO(r.err);
    CHECK(r.exitCode == 1);
    CHECK(contains(r.err, "không đăng ký: chưa có dấu vân tay CA"));
    CHECK(contains(r.err, "--trust-on-first-use"));
    CHECK(r.err.find("không đăng ký") < r.err.find("not enrolling"));  // Vietnamese first
    auto seen = rogue.settle();
    CHECK(seen.connections == 0);
  }
  SUBCASE("a pin that is not a SHA-256") {
    auto r = enroll(at(rogue), token, {"--ca-fingerprint", "SHA1:" + std::string(40, 'a')});
    INFO(r.err);
    CHECK(r.exitCode == 1);
    CHECK(contains(r.err, "is not a SHA-256 fingerprint"));
    CHECK(rogue.settle().connections == 0);
  }
  SUBCASE("trust on first use talks to whoever answers: what the recorder catches") {
    // The control for the tests above: an agent that does not verify hands this server
    // the token, and the recorder sees it.
    auto r = enroll(at(rogue), token, {"--trust-on-first-use"});
    INFO(r.err);
    CHECK(r.exitCode == 1);
    auto seen = rogue.settle();
    CHECK(seen.handshakes >= 1);
    CHECK(contains(seen.bytes, "POST /healthz"));
    CHECK(contains(seen.bytes, "POST /v1/enrol"));
    CHECK(contains(seen.bytes, token));
  }
}

TEST_CASE("trust on first use enrols with the real collector and says which CA it trusted") {
  CollectorProcess collector;
  auto r = enroll(collector.address, collector.createToken("BS-VP"), {"--trust-on-first-use"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(contains(r.err, "trusted the collector CA on first use: " + collector.caFingerprint));
  CHECK(contains(r.err, "đã tin CA của máy chủ trả lời đầu tiên: " + collector.caFingerprint));
}

// E-mail delivery (issue 17) against a real SMTP server on loopback: Debian's
// python3-aiosmtpd (tests/integration/smtp_server.py) with a test certificate and
// require_starttls. The SMTP dialogue (STARTTLS, AUTH, the message as received), the
// refusals (no STARTTLS, a certificate for another name, an untrusted one), and end to
// end: a failing check in unit X mails X's contact and its ancestor's, not a sibling's.
// Exits 77 (skipped) when /usr/bin/python3 cannot import aiosmtpd.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector/alerts/delivery.h"
#include "collector/alerts/smtp.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kPython = "/usr/bin/python3";

// Before doctest runs: without aiosmtpd there is nothing to test against.
const bool kHaveAiosmtpd = [] {
  auto r = util::runProcess({kPython, "-c", "import aiosmtpd"}, 30s);
  if (!util::succeeded(r)) {
    std::fprintf(stderr,
                 "smtp_delivery_test: skipped, %s -c 'import aiosmtpd' failed "
                 "(apt-get install python3-aiosmtpd)\n",
                 kPython.c_str());
    std::exit(77);
  }
  return true;
}();

// A self-signed certificate (its own CA) for `san` ("IP:127.0.0.1", "DNS:wrong.example").
void makeCertificate(const fs::path& dir, const std::string& name, const std::string& san) {
  auto r = util::runProcess(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", (dir / (name + ".key")).string(), "-out",
       (dir / (name + ".pem")).string(), "-days", "2", "-subj", "/CN=posture smtp test", "-addext",
       "subjectAltName=" + san},
      30s);
  INFO(r.err);
  REQUIRE(util::succeeded(r));
}

struct SmtpServer {
  fs::path maildir;
  std::uint16_t port = 0;
  std::unique_ptr<test::ChildProcess> process;
  SmtpServer(const fs::path& dir, const std::string& cert, const std::string& user = {},
             const std::string& password = {}) {
    maildir = dir / ("mail-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::vector<std::string> argv = {kPython,
                                     POSTURE_SOURCE_DIR "/tests/integration/smtp_server.py",
                                     "--maildir", maildir.string()};
    if (!cert.empty()) {
      argv.insert(argv.end(), {"--cert", (dir / (cert + ".pem")).string(), "--key",
                               (dir / (cert + ".key")).string()});
    }
    if (!user.empty()) argv.insert(argv.end(), {"--user", user, "--password", password});
    process = std::make_unique<test::ChildProcess>(argv);
    std::string line = process->waitForLine("PORT");
    port = static_cast<std::uint16_t>(std::stoi(line.substr(line.find(' ') + 1)));
  }
  // The received messages (smtp_server.py's JSON records), oldest first.
  std::vector<std::string> mails() const {
    std::vector<std::pair<int, std::string>> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(maildir, ec)) {
      if (e.path().extension() != ".json") continue;
      std::ifstream in(e.path());
      std::stringstream s;
      s << in.rdbuf();
      found.emplace_back(std::stoi(e.path().stem().string()), s.str());
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& f : found) out.push_back(std::move(f.second));
    return out;
  }
};

AlertNotice sampleNotice() {
  AlertNotice n;
  n.alertId = 42;
  n.event = "opened";
  n.rule = "check:av-realtime";
  n.subject = "agent-7f3a";
  n.unitCode = "X";
  n.severity = "critical";
  n.status = "open";
  n.titleVi = "Máy trạm chưa bật bảo vệ thời gian thực";
  n.titleEn = "Real-time protection is off";
  n.detail = "pc-ketoan-01: realTimeProtection=off";
  n.actor = "posture";
  n.at = 1700000000;
  return n;
}

// One SMTP session straight through SmtpSession; "" on success, else the error.
std::string trySession(const SmtpSettings& settings, const std::string& caFile) {
  boost::asio::io_context io;
  auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  if (!caFile.empty()) tls->load_verify_file(caFile);
  tls->set_verify_mode(boost::asio::ssl::verify_peer);
  SmtpSession session(io.get_executor(), tls, settings, "collector-01");
  std::string error = "(not finished)";
  auto message =
      formatAlertMail(sampleNotice(), settings.from, "it.x@x.gov.vn", "collector-01", 1700000000);
  boost::asio::co_spawn(io, session.send("it.x@x.gov.vn", message, 5000ms),
                        [&](std::exception_ptr e) {
                          error.clear();
                          if (!e) return;
                          try {
                            std::rethrow_exception(e);
                          } catch (const std::exception& x) {
                            error = x.what();
                          }
                        });
  io.run_for(30s);
  return error;
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("smtp: one message per notice over STARTTLS and AUTH, Vietnamese then English") {
  REQUIRE(kHaveAiosmtpd);
  test::TempDir dir("posture-smtp-");
  makeCertificate(dir.path(), "server", "IP:127.0.0.1");
  SmtpServer server(dir.path(), "server", "soc-bs", "mật-khẩu");
  DeliveryOptions o{{}, 100, 50ms, 200ms, "collector-01"};
  o.smtp.host = "127.0.0.1";
  o.smtp.port = server.port;
  o.smtp.from = "posture@bs.gov.vn";
  o.smtp.caFile = (dir.path() / "server.pem").string();
  o.smtp.user = "soc-bs";
  o.smtp.password = "mật-khẩu";
  AlertDelivery delivery(o);
  delivery.publish(sampleNotice(), {emailTarget("it.x@x.gov.vn"), emailTarget("it.d@d.gov.vn")});
  REQUIRE(delivery.waitIdle(30s));
  CHECK(delivery.stats().delivered == 2);
  auto mails = server.mails();
  REQUIRE(mails.size() == 2);
  std::string all = mails[0] + mails[1];
  CHECK(contains(all, "\"rcpt_tos\": [\"it.x@x.gov.vn\"]"));
  CHECK(contains(all, "\"rcpt_tos\": [\"it.d@d.gov.vn\"]"));
  for (const auto& m : mails) {
    INFO(m);
    CHECK(contains(m, "\"mail_from\": \"posture@bs.gov.vn\""));
    CHECK(contains(m, "\"tls\": true"));
    CHECK(contains(m, "\"login\": \"soc-bs\""));
    CHECK(contains(
        m,
        "\"subject\": \"[Posture] Nghiêm trọng, mở: Máy trạm chưa bật bảo vệ thời gian thực (X) / "
        "critical, opened: Real-time protection is off (X)\""));
    CHECK(contains(m, "\"message_id\": \"<posture.42.opened.1700000000@collector-01>\""));
    CHECK(contains(m, "Đơn vị: X\\r\\n"));
    CHECK(contains(m, "Unit: X\\r\\n"));
    CHECK(m.find("Cảnh báo") < m.find("Alert opened"));
  }
  // A wrong password: refused, retried, nothing delivered.
  o.smtp.password = "sai";
  AlertDelivery wrong(o);
  wrong.publish(sampleNotice(), {emailTarget("it.x@x.gov.vn")});
  CHECK_FALSE(wrong.waitIdle(1500ms));
  CHECK(wrong.stats().delivered == 0);
  CHECK(wrong.stats().retried >= 1);
}

TEST_CASE(
    "smtp: a server without STARTTLS, or with a certificate that does not verify, is refused") {
  REQUIRE(kHaveAiosmtpd);
  test::TempDir dir("posture-smtp-");
  makeCertificate(dir.path(), "server", "IP:127.0.0.1");
  makeCertificate(dir.path(), "other", "DNS:wrong.example");
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.from = "posture@bs.gov.vn";
  {
    SmtpServer clear(dir.path(), "");
    s.port = clear.port;
    std::string error = trySession(s, (dir.path() / "server.pem").string());
    CHECK_MESSAGE(contains(error, "does not offer STARTTLS: refusing to send e-mail in clear"),
                  error);
    // Through delivery too: retried, never sent.
    DeliveryOptions o{{}, 100, 50ms, 200ms, "h"};
    o.smtp = s;
    AlertDelivery delivery(o);
    delivery.publish(sampleNotice(), {emailTarget("it.x@x.gov.vn")});
    CHECK_FALSE(delivery.waitIdle(1000ms));
    CHECK(delivery.stats().delivered == 0);
    CHECK(clear.mails().empty());
  }
  {
    SmtpServer named(dir.path(), "other");  // a certificate for wrong.example
    s.port = named.port;
    std::string error = trySession(s, (dir.path() / "other.pem").string());
    CHECK_MESSAGE(contains(error, "TLS handshake"), error);
    CHECK(named.mails().empty());
  }
  {
    SmtpServer untrusted(dir.path(), "server");
    s.port = untrusted.port;
    std::string error = trySession(s, "");  // the system CAs only
    CHECK_MESSAGE(contains(error, "TLS handshake"), error);
    CHECK(contains(error, "certificate"));
    CHECK(untrusted.mails().empty());
    // The right CA: delivered (the session itself works).
    CHECK(trySession(s, (dir.path() / "server.pem").string()).empty());
    CHECK(untrusted.mails().size() == 1);
  }
}

TEST_CASE(
    "smtp end to end: a failing check in unit X mails X's contact and its ancestor's, not a "
    "sibling's") {
  REQUIRE(kHaveAiosmtpd);
  test::TempDir dir("posture-smtp-");
  makeCertificate(dir.path(), "server", "IP:127.0.0.1");
  SmtpServer server(dir.path(), "server");
  test::CollectorProcess collector({"--smtp", "smtp://127.0.0.1:" + std::to_string(server.port),
                                    "--smtp-from", "posture@bs.gov.vn", "--smtp-ca",
                                    (dir.path() / "server.pem").string(), "--evaluate-every",
                                    "1s"});
  auto tree = dir.write("org.yaml", R"(units:
  - {code: P, kind: province, name_vi: "Tỉnh"}
  - {code: D, parent: P, kind: district, name_vi: "Huyện"}
  - {code: X, parent: D, kind: department, name_vi: "Phòng X"}
  - {code: Y, parent: D, kind: department, name_vi: "Phòng Y"}
)");
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), POSTURE_COLLECTOR_BIN);
    args.insert(args.end(), {"--data-dir", collector.dataDir});
    auto r = util::runProcess(args);
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
  };
  cli({"org", "import", tree.string()});
  // Added while the collector runs: no restart.
  cli({"contacts", "add", "--unit", "X", "--email", "it.x@x.gov.vn"});
  cli({"contacts", "add", "--unit", "D", "--email", "it.d@d.gov.vn"});
  cli({"contacts", "add", "--unit", "Y", "--email", "it.y@y.gov.vn"});

  std::string token = collector.createToken("X");
  std::string state = test::makeTempDir("posture-agent-");
  REQUIRE(
      util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address, "--token",
                        token, "--state-dir", state, "--ca-fingerprint", collector.caFingerprint})
          .exitCode == 0);
  // This test machine fails at least one check of the shipped policies (its ClamAV has no
  // on-access scanning), so its first report opens alerts in unit X.
  auto run = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once"}, 120s);
  INFO(run.err);
  REQUIRE(run.exitCode == 0);

  auto toward = [&](const std::vector<std::string>& mails, const std::string& rcpt,
                    const std::string& unit) {
    std::size_t k = 0;
    for (const auto& m : mails) {
      if (contains(m, "\"rcpt_tos\": [\"" + rcpt + "\"]") &&
          contains(m, "Đơn vị: " + unit + "\\r\\n"))
        ++k;
    }
    return k;
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<std::string> mails;
  while (std::chrono::steady_clock::now() < deadline) {
    mails = server.mails();
    if (toward(mails, "it.x@x.gov.vn", "X") > 0 && toward(mails, "it.d@d.gov.vn", "X") > 0) break;
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(2s);  // anything misrouted has had time to arrive
  mails = server.mails();
  std::size_t toX = toward(mails, "it.x@x.gov.vn", "X");
  CHECK(toX > 0);
  CHECK(toward(mails, "it.d@d.gov.vn", "X") == toX);  // the ancestor gets each of X's notices
  CHECK(toward(mails, "it.y@y.gov.vn", "X") == 0);    // the sibling none
  for (const auto& m : mails) {
    INFO(m);
    CHECK(contains(m, "\"tls\": true"));
    // X is a leaf: its contact gets X's notices only.
    if (contains(m, "it.x@x.gov.vn")) CHECK(contains(m, "Đơn vị: X\\r\\n"));
  }
  fs::remove_all(state);
}

TEST_CASE("serve refuses bad --smtp options, naming the option") {
  test::TempDir dir("posture-smtp-");
  auto password = dir.write("password", "");
  auto serve = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {POSTURE_COLLECTOR_BIN,
                                     "serve",
                                     "--data-dir",
                                     (dir.path() / "data").string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--policies",
                                     POSTURE_SOURCE_DIR "/policies"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = util::runProcess(argv, 60s);
    CHECK(r.exitCode != 0);
    return r.err;
  };
  CHECK(contains(serve({"--smtp-from", "posture@bs.gov.vn"}), "--smtp"));
  CHECK(contains(serve({"--smtp", "smtps://127.0.0.1:465", "--smtp-from", "posture@bs.gov.vn"}),
                 "smtp://HOST:PORT"));
  CHECK(contains(serve({"--smtp", "smtp://127.0.0.1:2525", "--smtp-from", "posture"}),
                 "--smtp-from"));
  CHECK(contains(serve({"--smtp", "smtp://127.0.0.1:2525", "--smtp-from", "posture@bs.gov.vn",
                        "--smtp-user", "u"}),
                 "--smtp-password-file"));
  CHECK(contains(serve({"--smtp", "smtp://127.0.0.1:2525", "--smtp-from", "posture@bs.gov.vn",
                        "--smtp-user", "u", "--smtp-password-file", password.string()}),
                 "--smtp-password-file"));
  CHECK(contains(serve({"--smtp", "smtp://127.0.0.1:2525", "--smtp-from", "posture@bs.gov.vn",
                        "--smtp-ca", (dir.path() / "missing.pem").string()}),
                 "missing.pem"));
}

// Routed notifications (issue 17): the units' contacts (validation, audit), the routing
// to a unit and its ancestors without duplicates, AlertDelivery's routed targets against
// real UDP receivers on loopback, and the e-mail format. The SMTP dialogue against a real
// server is tests/integration/smtp_delivery_test.cpp.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "collector/alerts/contacts.h"
#include "collector/alerts/delivery.h"
#include "collector/alerts/smtp.h"
#include "collector/audit/audit.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace std::chrono_literals;

namespace {

// Province P over district D over the offices X and Y (siblings); R a second root.
const char* kTree = R"(units:
  - {code: P, kind: province, name_vi: "Tỉnh"}
  - {code: D, parent: P, kind: district, name_vi: "Huyện"}
  - {code: X, parent: D, kind: department, name_vi: "Phòng X"}
  - {code: Y, parent: D, kind: department, name_vi: "Phòng Y"}
  - {code: R, kind: province, name_vi: "Tỉnh khác"}
)";

std::string addError(db::Connection& db, const std::string& unit, const std::string& kind,
                     const std::string& address) {
  try {
    addContact(db, unit, kind, address, "lan", 1000);
  } catch (const ContactError& e) {
    return e.what();
  }
  return "(added without error)";
}

std::vector<std::string> urls(const std::vector<DeliveryTarget>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) out.push_back(deliveryTargetUrl(t));
  return out;
}

struct Udp {
  int fd = -1;
  std::uint16_t port = 0;
  Udp() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~Udp() { ::close(fd); }
  std::string url() const { return "udp://127.0.0.1:" + std::to_string(port); }
  // Every datagram that arrives within `wait`.
  std::vector<std::string> drain(std::chrono::milliseconds wait) {
    std::vector<std::string> out;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(wait.count())) == 1) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) out.emplace_back(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

AlertNotice notice(std::int64_t id, const std::string& unit) {
  AlertNotice n;
  n.alertId = id;
  n.event = "opened";
  n.rule = "check:av-realtime";
  n.subject = "agent-1";
  n.unitCode = unit;
  n.severity = "critical";
  n.status = "open";
  n.titleVi = "Máy trạm chưa bật bảo vệ thời gian thực";
  n.titleEn = "Real-time protection is off";
  n.detail = "pc-ketoan-01: realTimeProtection=off";
  n.actor = "posture";
  n.at = 1700000000;
  return n;
}

std::size_t countAlert(const std::vector<std::string>& messages, std::int64_t id) {
  std::size_t k = 0;
  for (const auto& m : messages) {
    if (m.find("alertId=\"" + std::to_string(id) + "\"") != std::string::npos) ++k;
  }
  return k;
}

}  // namespace

TEST_CASE("contacts: bad input is refused with an error naming the field") {
  test::TempDir dir;
  auto db = openDatabase(dir.path());
  org::importOrgText(*db, kTree, "org.yaml", "lan", 1000);
  CHECK(addError(*db, "NOPE", "email", "it@x.gov.vn").find("--unit") == 0);
  CHECK(addError(*db, "X", "webhook", "ftp://x/").find("--webhook") == 0);
  CHECK(addError(*db, "X", "webhook", "udp://127.0.0.1:514").find("--webhook") == 0);
  CHECK(addError(*db, "X", "syslog", "https://soc.example/hook").find("--syslog") == 0);
  CHECK(addError(*db, "X", "syslog", "tcp://host:99999").find("--syslog") == 0);
  CHECK(addError(*db, "X", "email", "not an address").find("--email") == 0);
  CHECK(addError(*db, "X", "email", "a@b").find("--email") == 0);
  CHECK(addError(*db, "X", "email", "Lan <lan@x.gov.vn>").find("--email") == 0);
  CHECK(listContacts(*db).empty());
  CHECK(addError(*db, "X", "email", "it.x@bs.quangngai.gov.vn") == "(added without error)");
  CHECK(addError(*db, "X", "email", "it.x@bs.quangngai.gov.vn").find("already") !=
        std::string::npos);
  CHECK(isEmailAddress("a+b@x-y.vn"));
  CHECK_FALSE(isEmailAddress("a..b@x.vn"));
  CHECK_FALSE(isEmailAddress("a@-x.vn"));
  CHECK_FALSE(isEmailAddress("a@x.vn\r\nRCPT TO:<b@y.vn>"));
}

TEST_CASE("contacts: add, list and remove are audited") {
  test::TempDir dir;
  auto db = openDatabase(dir.path());
  org::importOrgText(*db, kTree, "org.yaml", "lan", 1000);
  addContact(*db, "X", "webhook", "https://soc.x.example/hook", "lan", 1001);
  addContact(*db, "D", "syslog", "udp://127.0.0.1:5514", "lan", 1002);
  auto all = listContacts(*db);
  REQUIRE(all.size() == 2);
  CHECK(all[0].unitCode == "D");
  CHECK(all[1].address == "https://soc.x.example/hook");
  CHECK(listContacts(*db, "X").size() == 1);
  CHECK(removeContact(*db, "X", "webhook", "https://soc.x.example/hook", "minh", 1003));
  CHECK_FALSE(removeContact(*db, "X", "webhook", "https://soc.x.example/hook", "minh", 1004));
  auto audit = listAudit(*db, "contact:");
  REQUIRE(audit.size() == 3);
  CHECK(audit[0].action == "contact.remove");
  CHECK(audit[0].actor == "minh");
  CHECK(audit[0].after.empty());
  CHECK(audit[0].before.find("soc.x.example") != std::string::npos);
  CHECK(audit[2].action == "contact.add");
  CHECK(audit[2].object == "contact:X");
}

TEST_CASE("routing: a unit's notice goes to its contacts and its ancestors', each target once") {
  test::TempDir dir;
  auto db = openDatabase(dir.path());
  org::importOrgText(*db, kTree, "org.yaml", "lan", 1000);
  addContact(*db, "X", "email", "it.x@x.gov.vn", "lan", 1);
  addContact(*db, "Y", "email", "it.y@y.gov.vn", "lan", 1);
  addContact(*db, "D", "syslog", "udp://127.0.0.1:5514", "lan", 1);
  addContact(*db, "P", "webhook", "https://soc.p.example/hook", "lan", 1);
  // The same receiver named by X and by P (written differently): sent once.
  addContact(*db, "X", "syslog", "udp://127.0.0.1:5514/", "lan", 1);
  addContact(*db, "P", "email", "IT.X@x.gov.vn", "lan", 1);
  addContact(*db, "R", "email", "soc@r.gov.vn", "lan", 1);
  auto tree = org::loadOrg(*db);
  auto contacts = listContacts(*db);

  CHECK(urls(routeTargets(tree, contacts, "X")) ==
        std::vector<std::string>{"mailto:it.x@x.gov.vn", "udp://127.0.0.1:5514",
                                 "https://soc.p.example:443/hook"});
  // Y's notice reaches Y, D and P, never X's own contact.
  CHECK(urls(routeTargets(tree, contacts, "Y")) ==
        std::vector<std::string>{"mailto:it.y@y.gov.vn", "udp://127.0.0.1:5514",
                                 "mailto:it.x@x.gov.vn", "https://soc.p.example:443/hook"});
  CHECK(urls(routeTargets(tree, contacts, "D")) ==
        std::vector<std::string>{"udp://127.0.0.1:5514", "mailto:it.x@x.gov.vn",
                                 "https://soc.p.example:443/hook"});
  // A fleet-level notice: the root units' contacts (P and R).
  CHECK(urls(routeTargets(tree, contacts, "")) ==
        std::vector<std::string>{"mailto:it.x@x.gov.vn", "https://soc.p.example:443/hook",
                                 "mailto:soc@r.gov.vn"});
  // A unit seen only in reports (not in the tree) has no contacts and no ancestors.
  CHECK(routeTargets(tree, contacts, "ELSEWHERE").empty());
}

TEST_CASE("delivery: routed targets get only the notices routed to them, each once") {
  Udp global, unitX, unitY;
  DeliveryOptions o{{parseDeliveryTarget(global.url())}, 100, 50ms, 200ms, "h"};
  AlertDelivery delivery(o);
  auto x = parseDeliveryTarget(unitX.url());
  auto y = parseDeliveryTarget(unitY.url());
  delivery.publish(notice(1, "X"), {x, x});                                  // named twice
  delivery.publish(notice(2, "Y"), {y, parseDeliveryTarget(global.url())});  // == a global one
  delivery.publish(notice(3, "Z"));
  delivery.publish(notice(4, "X"), {x});
  REQUIRE(delivery.waitIdle(5s));
  auto g = global.drain(300ms), gx = unitX.drain(100ms), gy = unitY.drain(100ms);
  CHECK(g.size() == 4);
  for (int id = 1; id <= 4; ++id) CHECK(countAlert(g, id) == 1);
  CHECK(gx.size() == 2);
  CHECK(countAlert(gx, 1) == 1);
  CHECK(countAlert(gx, 4) == 1);
  CHECK(gy.size() == 1);
  CHECK(countAlert(gy, 2) == 1);
  auto s = delivery.stats();
  CHECK(s.delivered == 7);
  CHECK(s.dropped == 0);
}

TEST_CASE("delivery: without global targets only routed notices are queued") {
  Udp unitX;
  AlertDelivery delivery(DeliveryOptions{{}, 100, 50ms, 200ms, "h"});
  delivery.publish(notice(1, "X"));  // nowhere to go
  delivery.publish(notice(2, "X"), {parseDeliveryTarget(unitX.url())});
  // An e-mail contact without --smtp is skipped, not retried forever.
  delivery.publish(notice(3, "X"), {emailTarget("it@x.gov.vn")});
  REQUIRE(delivery.waitIdle(5s));
  auto got = unitX.drain(300ms);
  REQUIRE(got.size() == 1);
  CHECK(countAlert(got, 2) == 1);
  CHECK(delivery.stats().delivered == 1);
}

TEST_CASE("e-mail format: Vietnamese then English subject in RFC 2047 words, base64 UTF-8 body") {
  auto n = notice(42, "BS-VP");
  std::string m =
      formatAlertMail(n, "posture@bs.gov.vn", "it@bs.gov.vn", "collector-01", 1700000000);
  auto headEnd = m.find("\r\n\r\n");
  REQUIRE(headEnd != std::string::npos);
  std::string head = m.substr(0, headEnd + 2);
  CHECK(head.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
  CHECK(head.find("From: Posture <posture@bs.gov.vn>\r\n") != std::string::npos);
  CHECK(head.find("To: <it@bs.gov.vn>\r\n") != std::string::npos);
  CHECK(head.find("Message-ID: <posture.42.opened.1700000000@collector-01>\r\n") !=
        std::string::npos);
  CHECK(head.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  CHECK(head.find("Content-Transfer-Encoding: base64\r\n") != std::string::npos);
  // Every header line is ASCII and at most 78 characters.
  std::size_t at = 0;
  while (at < head.size()) {
    auto eol = head.find("\r\n", at);
    std::string line = head.substr(at, eol - at);
    CHECK(line.size() <= 78);
    for (char c : line) CHECK(static_cast<unsigned char>(c) < 0x80);
    at = eol + 2;
  }
  // The subject decodes back to Vietnamese, then English.
  std::string subject = encodeHeaderWords(
      "[Posture] Nghiêm trọng, mở: Máy trạm chưa bật bảo vệ thời "
      "gian thực (BS-VP) / critical, opened: Real-time protection is off (BS-VP)");
  CHECK(head.find("Subject: " + subject + "\r\n") != std::string::npos);
  CHECK(subject.starts_with("=?UTF-8?B?"));
  CHECK(encodeHeaderWords("plain ascii") == "plain ascii");
  // Body: base64 lines of at most 76 characters of the UTF-8 text.
  std::string body = m.substr(headEnd + 4);
  CHECK(body.find("\r\n") <= 76);
  CHECK(body.find(
            base64("Cảnh báo mở: Máy trạm chưa bật bảo vệ thời gian thực\r\n").substr(0, 40)) == 0);
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
}

TEST_CASE("e-mail: the --smtp URL") {
  SmtpSettings s;
  parseSmtpServer("smtp://mail.example.vn", s);
  CHECK(s.host == "mail.example.vn");
  CHECK(s.port == 587);
  parseSmtpServer("smtp://[::1]:2525", s);
  CHECK(s.host == "::1");
  CHECK(s.port == 2525);
  parseSmtpServer("smtp://[::1]", s);
  CHECK(s.port == 587);
  CHECK_THROWS_AS(parseSmtpServer("smtps://mail.example.vn:465", s), std::invalid_argument);
  CHECK_THROWS_AS(parseSmtpServer("smtp://mail.example.vn:0", s), std::invalid_argument);
}

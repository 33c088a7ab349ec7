// The pure formatters of alert delivery (collector/alerts/delivery_format.h): exact bytes
// without any network: webhook JSON escaping next to invalid UTF-8, syslog size caps at
// their edges, framing of a capped message.
#include "collector/alerts/delivery_format.h"

#include <doctest/doctest.h>

#include <string>

#include "common/util/utf8.h"

using namespace posture::collector;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";
const std::string kBom = "\xEF\xBB\xBF";

AlertNotice notice() {
  AlertNotice n;
  n.alertId = 9;
  n.event = "commented";
  n.rule = "r";
  n.subject = "s";
  n.unitCode = "U";
  n.severity = "low";
  n.status = "acknowledged";
  n.titleVi = "T";
  n.titleEn = "E";
  n.detail = "d";
  n.actor = "a";
  n.at = 1700000000;
  return n;
}

}  // namespace

TEST_CASE("webhook JSON: quotes and control characters next to invalid UTF-8") {
  AlertNotice n = notice();
  n.rule = "\xC3\"";            // truncated sequence, then a quote: the quote survives
  n.subject = "\x80\\\n";       // lone continuation byte, backslash, newline
  n.unitCode = "\xC0\xAF";      // overlong '/': two replacement characters
  n.titleVi = "\xED\xA0\x80x";  // surrogate: one replacement per byte
  n.titleEn = "ok\x7F\x1B";     // DEL and ESC as \u escapes
  n.detail = std::string("a\0b", 3);
  n.actor = "";
  n.at = 0;
  std::string json = formatWebhookJson(n);
  CHECK(json == "{\"alertId\":9,\"event\":\"commented\",\"rule\":\"" + kFffd +
                    "\\\"\",\"subject\":\"" + kFffd + "\\\\\\n\",\"unitCode\":\"" + kFffd + kFffd +
                    "\",\"severity\":\"low\",\"status\":\"acknowledged\",\"titleVi\":\"" + kFffd +
                    kFffd + kFffd +
                    "x\",\"titleEn\":\"ok\\u007f\\u001b\",\"detail\":\"a\\u0000b\",\"actor\":\"\","
                    "\"members\":0,\"membersOpen\":0,\"membersAcknowledged\":0,\"at\":0,\"time\":null,\"source\":\"posture-collector\"}");
  CHECK(posture::util::validUtf8(json));
  bool printable = true;
  for (char c : json) printable = printable && static_cast<unsigned char>(c) >= 0x20;
  CHECK(printable);
  // Pure: the same notice gives the same bytes.
  CHECK(formatWebhookJson(n) == json);
}

TEST_CASE("syslog 5424: the size cap at its edges") {
  AlertNotice n = notice();
  n.detail = std::string(100, 'x');
  std::string full = formatSyslog5424(n, "h");
  // Exactly fits: unchanged, no ellipsis.
  CHECK(formatSyslog5424(n, "h", full.size()) == full);
  CHECK(formatSyslog5424(n, "h", full.size() + 1) == full);
  // One byte short: the MSG is cut and ends with "…" (3 bytes).
  std::string cut = formatSyslog5424(n, "h", full.size() - 1);
  CHECK(cut.size() == full.size() - 1);
  CHECK(cut == full.substr(0, full.size() - 4) + "\xE2\x80\xA6");

  // Room for the header, the BOM and less than an ellipsis: an empty MSG.
  std::string header = full.substr(0, full.find(kBom) + kBom.size());
  CHECK(formatSyslog5424(n, "h", header.size()) == header);
  CHECK(formatSyslog5424(n, "h", header.size() + 2) == header);

  // SD values too long for the cap are cut on a character boundary.
  n.subject.clear();
  for (int i = 0; i < 400; ++i) n.subject += "ệ";  // 1200 bytes
  std::string capped = formatSyslog5424(n, "h", 1024);
  CHECK(capped.size() <= 1024);
  CHECK(posture::util::validUtf8(capped));
  auto from = capped.find("subject=\"") + 9;
  std::string subject = capped.substr(from, capped.find('"', from) - from);
  CHECK(subject.size() <= 256);
  CHECK(subject.size() % 3 == 0);
  CHECK(n.subject.rfind(subject, 0) == 0);
  CHECK(capped.find(kBom + "T") != std::string::npos);

  // Absurdly small: the first maxBytes of the header.
  CHECK(formatSyslog5424(n, "h", 10) == "<165>1 202");
}

TEST_CASE("octet counting frames a capped message by its byte length") {
  AlertNotice n = notice();
  n.detail.clear();
  for (int i = 0; i < 5000; ++i) n.detail += "ệ";
  std::string message = formatSyslog5424(n, "collector-01", kSyslogTcpMaxBytes);
  CHECK(message.size() <= kSyslogTcpMaxBytes);
  std::string frame = frameOctetCounted(message);
  CHECK(frame == std::to_string(message.size()) + " " + message);
}

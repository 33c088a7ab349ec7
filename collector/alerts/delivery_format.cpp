// Alert delivery, the formats: RFC 5424 syslog, octet-counting framing, webhook JSON.
#include "collector/alerts/delivery_format.h"

#include <unistd.h>

#include <string_view>

#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // …
using util::cutUtf8;
using util::sanitizeUtf8;
constexpr std::string_view kAppName = "posture-collector";

// ---------------------------------------------------------------- text helpers

// RFC 5424 header fields: PRINTUSASCII (33..126), at most maxLen, NILVALUE when empty.
std::string headerField(std::string_view in, std::size_t maxLen) {
  std::string out;
  for (char ch : in) {
    if (out.size() >= maxLen) break;
    auto c = static_cast<unsigned char>(ch);
    out += (c >= 33 && c <= 126) ? ch : '_';
  }
  return out.empty() ? std::string("-") : out;
}

// RFC 5424 §6.3.3: '"', '\' and ']' are escaped with a backslash.
std::string sdEscape(const std::string& value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

int syslogSeverity(const std::string& severity) {
  if (severity == "critical") return 2;  // crit
  if (severity == "high") return 3;      // err
  if (severity == "medium") return 4;    // warning
  if (severity == "low") return 5;       // notice
  return 4;
}

std::string messageText(const AlertNotice& n) {
  const std::string& title = n.titleVi.empty() ? n.titleEn : n.titleVi;
  if (title.empty()) return sanitizeUtf8(n.detail);
  if (n.detail.empty()) return sanitizeUtf8(title);
  return sanitizeUtf8(title + " \xE2\x80\x94 " + n.detail);  // " — "
}

// "<PRI>1 TIMESTAMP HOSTNAME APP PROCID MSGID [SD]"; valueCap > 0 shortens each SD value.
std::string syslogPrefix(const AlertNotice& n, const std::string& hostname, std::size_t valueCap) {
  std::string out = "<" + std::to_string(kSyslogFacility * 8 + syslogSeverity(n.severity)) + ">1 ";
  out += n.at > 0 ? util::formatIso8601(n.at) : std::string("-");
  out += ' ';
  out += headerField(hostname, 255);
  out += ' ';
  out += kAppName;
  out += ' ';
  out += std::to_string(static_cast<long long>(::getpid()));
  out += ' ';
  out += headerField(n.event, 32);
  out += " [";
  out += kSyslogSdId;
  auto param = [&](const char* name, const std::string& raw) {
    std::string value = sanitizeUtf8(raw);
    if (valueCap > 0) value = cutUtf8(value, valueCap);
    out += ' ';
    out += name;
    out += "=\"";
    out += sdEscape(value);
    out += '"';
  };
  param("alertId", std::to_string(n.alertId));
  param("rule", n.rule);
  param("subject", n.subject);
  param("unit", n.unitCode);
  param("severity", n.severity);
  param("status", n.status);
  param("event", n.event);
  param("actor", n.actor);
  param("members", std::to_string(n.members));
  out += ']';
  return out;
}

// Not util::jsonString: the webhook body has always written \b and \f as short escapes and
// DEL (0x7F) as \u007f, where util::jsonString writes \u0008, \u000c and a raw DEL, and
// util::jsonString takes the text as it is where this sanitizes invalid UTF-8 to U+FFFD.
// Switching would change the bytes receivers get (and util::jsonString's other callers,
// the export among them, promise its exact escaping), so the webhook keeps its own.
void jsonString(std::string& out, const std::string& raw) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (char ch : sanitizeUtf8(raw)) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace

// ---------------------------------------------------------------- formats

std::string formatSyslog5424(const AlertNotice& n, const std::string& hostname,
                             std::size_t maxBytes) {
  std::string text = messageText(n);
  if (maxBytes == 0) return syslogPrefix(n, hostname, 0) + " " + std::string(kBom) + text;
  // Fixed part first; shorten SD values only when even an empty MSG would not fit.
  std::string prefix;
  for (std::size_t cap : {std::size_t{0}, std::size_t{256}, std::size_t{64}, std::size_t{16}}) {
    prefix = syslogPrefix(n, hostname, cap);
    if (prefix.size() + 1 + kBom.size() + kEllipsis.size() <= maxBytes) break;
  }
  std::size_t fixed = prefix.size() + 1 + kBom.size();
  if (fixed > maxBytes) return cutUtf8(prefix, maxBytes);  // absurdly small maxBytes
  std::size_t room = maxBytes - fixed;
  if (text.size() > room) {
    text = room >= kEllipsis.size()
               ? cutUtf8(text, room - kEllipsis.size()) + std::string(kEllipsis)
               : std::string();
  }
  return prefix + " " + std::string(kBom) + text;
}

std::string frameOctetCounted(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

std::string formatWebhookJson(const AlertNotice& n) {
  std::string out = "{\"alertId\":" + std::to_string(n.alertId);
  auto field = [&](const char* name, const std::string& value) {
    out += ",\"";
    out += name;
    out += "\":";
    jsonString(out, value);
  };
  field("event", n.event);
  field("rule", n.rule);
  field("subject", n.subject);
  field("unitCode", n.unitCode);
  field("severity", n.severity);
  field("status", n.status);
  field("titleVi", n.titleVi);
  field("titleEn", n.titleEn);
  field("detail", n.detail);
  field("actor", n.actor);
  out += ",\"members\":" + std::to_string(n.members);
  out += ",\"membersOpen\":" + std::to_string(n.membersOpen);
  out += ",\"membersAcknowledged\":" + std::to_string(n.membersAcknowledged);
  out += ",\"at\":" + std::to_string(n.at);
  out += ",\"time\":";
  if (n.at > 0) {
    jsonString(out, util::formatIso8601(n.at));
  } else {
    out += "null";
  }
  out += ",\"source\":\"posture-collector\"}";
  return out;
}

}  // namespace posture::collector

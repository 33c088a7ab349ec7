// Alert delivery, e-mail: the message format and one SMTP submission session with
// STARTTLS required.
#include "collector/alerts/smtp.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <ctime>
#include <optional>
#include <vector>

#include "collector/alerts/delivery_target.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---------------------------------------------------------------- settings

void parseSmtpServer(const std::string& url, SmtpSettings& into) {
  const std::string scheme = "smtp://";
  if (url.rfind(scheme, 0) != 0) {
    throw std::invalid_argument("--smtp \"" + util::sanitizeUtf8(url) +
                                "\": cần smtp://HOST:PORT (luôn bắt buộc STARTTLS) / "
                                "expected smtp://HOST:PORT (STARTTLS is always required)");
  }
  // The host and port rules of the syslog targets.
  DeliveryTarget t;
  try {
    t = parseDeliveryTarget("tcp://" + url.substr(scheme.size()));
  } catch (const std::invalid_argument& e) {
    std::string why = e.what();
    auto colon = why.find("\": ");
    throw std::invalid_argument("--smtp \"" + util::sanitizeUtf8(url) + "\": " +
                                (colon == std::string::npos ? why : why.substr(colon + 3)));
  }
  into.host = t.host;
  std::string authority = url.substr(scheme.size());
  auto close = authority.rfind(']');
  auto colon = authority.rfind(':');
  bool portGiven = colon != std::string::npos && (close == std::string::npos || colon > close);
  into.port = portGiven ? t.port : 587;
}

// ---------------------------------------------------------------- format

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::string encodeHeaderWords(const std::string& raw) {
  std::string text = util::sanitizeUtf8(raw);
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  bool plain = text.size() <= 900;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) plain = false;
  }
  if (plain && text.find("=?") == std::string::npos) return text;
  // 60 characters per word ("=?UTF-8?B?" + 48 base64 characters + "?=", 36 bytes of
  // text), so that even the first line, "Subject: " and a word, stays within 78.
  constexpr std::size_t kChunk = 36;
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = std::min(text.size(), at + kChunk);
    while (end < text.size() && end > at + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

namespace {

std::string severityVi(const std::string& s) {
  if (s == "critical") return "Nghiêm trọng";
  if (s == "high") return "Cao";
  if (s == "medium") return "Trung bình";
  if (s == "low") return "Thấp";
  return s;
}

std::string eventVi(const std::string& e) {
  if (e == "opened") return "mở";
  if (e == "reopened") return "mở lại";
  if (e == "acknowledged") return "đã xác nhận";
  if (e == "assigned") return "đã giao xử lý";
  if (e == "commented") return "có ghi chú";
  if (e == "resolved") return "đã xử lý";
  return e;
}

std::string statusVi(const std::string& s) {
  if (s == "open") return "mở";
  if (s == "acknowledged") return "đã xác nhận";
  if (s == "resolved") return "đã xử lý";
  return s;
}

std::string formatTime(std::int64_t at, const char* format, int offsetHours = 0) {
  std::time_t t = static_cast<std::time_t>(at + offsetHours * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// RFC 5322 date, UTC, English names whatever the locale.
std::string mailDate(std::int64_t at) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = static_cast<std::time_t>(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
                tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string domainPart(const std::string& hostname) {
  std::string out;
  for (char c : hostname) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-')
      out += c;
  }
  return out.empty() ? "posture.invalid" : out;
}

std::string oneLine(const std::string& s) {
  std::string out = util::sanitizeUtf8(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

}  // namespace

std::string formatAlertMail(const AlertNotice& n, const std::string& from, const std::string& to,
                            const std::string& hostname, std::int64_t now) {
  std::string titleVi = oneLine(n.titleVi.empty() ? n.titleEn : n.titleVi);
  std::string titleEn = oneLine(n.titleEn.empty() ? n.titleVi : n.titleEn);
  std::string unit = n.unitCode.empty() ? "toàn hệ thống" : n.unitCode;
  std::string unitEn = n.unitCode.empty() ? "fleet" : n.unitCode;
  std::string subject = "[Posture] " + severityVi(n.severity) + ", " + eventVi(n.event) + ": " +
                        titleVi + " (" + unit + ") / " + n.severity + ", " + n.event + ": " +
                        titleEn + " (" + unitEn + ")";
  std::string whenVi =
      n.at > 0 ? formatTime(n.at, "%d/%m/%Y %H:%M:%S", 7) + " (giờ Việt Nam)" : "-";
  std::string whenEn = n.at > 0 ? formatTime(n.at, "%Y-%m-%d %H:%M:%S UTC") : "-";
  std::string body;
  body += "Cảnh báo " + eventVi(n.event) + ": " + titleVi + "\n\n";
  body += "Đơn vị: " + unit + "\n";
  body += "Đối tượng: " + oneLine(n.subject) + "\n";
  body += "Mức độ: " + severityVi(n.severity) + "\n";
  body += "Trạng thái: " + statusVi(n.status) + "\n";
  body += "Quy tắc: " + oneLine(n.rule) + "\n";
  body += "Chi tiết: " + oneLine(n.detail) + "\n";
  body += "Thời điểm: " + whenVi + "\n";
  body += "Người thực hiện: " + oneLine(n.actor) + "\n";
  body += "Mã cảnh báo: " + std::to_string(n.alertId) + "\n\n";
  body += "-- English --\n\n";
  body += "Alert " + n.event + ": " + titleEn + "\n\n";
  body += "Unit: " + unitEn + "\n";
  body += "Subject: " + oneLine(n.subject) + "\n";
  body += "Severity: " + n.severity + "\n";
  body += "Status: " + n.status + "\n";
  body += "Rule: " + oneLine(n.rule) + "\n";
  body += "Detail: " + oneLine(n.detail) + "\n";
  body += "Time: " + whenEn + "\n";
  body += "Actor: " + oneLine(n.actor) + "\n";
  body += "Alert id: " + std::to_string(n.alertId) + "\n\n";
  body += "posture-collector\n";
  std::string crlf;
  for (char c : body) {
    if (c == '\n')
      crlf += "\r\n";
    else
      crlf += c;
  }
  std::string encoded = base64(crlf);
  std::string host = domainPart(hostname);
  std::string m;
  m += "Date: " + mailDate(now) + "\r\n";
  m += "From: Posture <" + from + ">\r\n";
  m += "To: <" + to + ">\r\n";
  m += "Subject: " + encodeHeaderWords(subject) + "\r\n";
  // The same notice keeps its Message-ID when it is sent again after a lost answer.
  m += "Message-ID: <posture." + std::to_string(n.alertId) + "." + domainPart(n.event) + "." +
       std::to_string(n.at) + "@" + host + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "X-Posture-Alert: " + std::to_string(n.alertId) + "\r\n";
  m += "\r\n";
  for (std::size_t i = 0; i < encoded.size(); i += 76) m += encoded.substr(i, 76) + "\r\n";
  return m;
}

// ---------------------------------------------------------------- session

struct SmtpSession::Impl {
  asio::any_io_executor executor;
  std::shared_ptr<asio::ssl::context> tls;
  SmtpSettings settings;
  std::string helo;
  std::optional<asio::ssl::stream<beast::tcp_stream>> stream;
  std::shared_ptr<tcp::resolver> resolver;
  bool secure = false;
  bool cancelled = false;
  std::string buffer;

  struct Reply {
    int code = 0;
    std::vector<std::string> lines;
    std::string text() const {
      std::string out = std::to_string(code);
      for (const auto& l : lines) out += " " + l;
      return util::sanitizeUtf8(util::cutUtf8(out, 300));
    }
  };

  std::string where() const {
    return "SMTP server " + hostForUrl(settings.host) + ":" + std::to_string(settings.port);
  }
  beast::tcp_stream& lowest() { return stream->next_layer(); }

  void checkCancelled() {
    if (cancelled) throw SmtpError(where() + ": cancelled");
  }

  asio::awaitable<void> write(const std::string& data, const std::string& step,
                              std::chrono::milliseconds timeout) {
    error_code ec;
    lowest().expires_after(timeout);
    if (secure) {
      co_await asio::async_write(*stream, asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(lowest(), asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    checkCancelled();
    if (ec) throw SmtpError(where() + ": cannot send " + step + ": " + ec.message());
  }

  asio::awaitable<Reply> read(const std::string& step, std::chrono::milliseconds timeout) {
    Reply r;
    for (;;) {
      error_code ec;
      std::size_t n = 0;
      lowest().expires_after(timeout);
      auto dyn = asio::dynamic_buffer(buffer, 64 * 1024);
      if (secure) {
        n = co_await asio::async_read_until(*stream, dyn, "\r\n",
                                            asio::redirect_error(asio::use_awaitable, ec));
      } else {
        n = co_await asio::async_read_until(lowest(), dyn, "\r\n",
                                            asio::redirect_error(asio::use_awaitable, ec));
      }
      checkCancelled();
      if (ec == beast::error::timeout) {
        throw SmtpError(where() + ": no answer to " + step + " within " +
                        std::to_string(timeout.count()) + " ms");
      }
      if (ec) throw SmtpError(where() + ": no answer to " + step + ": " + ec.message());
      std::string line = buffer.substr(0, n - 2);
      buffer.erase(0, n);
      bool digits = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                    std::isdigit(static_cast<unsigned char>(line[1])) &&
                    std::isdigit(static_cast<unsigned char>(line[2]));
      if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-') ||
          r.lines.size() > 200) {
        throw SmtpError(where() + ": not an SMTP answer to " + step + ": " +
                        util::sanitizeUtf8(util::cutUtf8(line, 200)));
      }
      r.code = std::stoi(line.substr(0, 3));
      r.lines.push_back(line.size() > 4 ? line.substr(4) : "");
      if (line.size() == 3 || line[3] == ' ') break;
    }
    co_return r;
  }

  asio::awaitable<Reply> command(const std::string& line, const std::string& step, int expect,
                                 std::chrono::milliseconds timeout, int alsoOk = 0) {
    co_await write(line + "\r\n", step, timeout);
    Reply r = co_await read(step, timeout);
    if (r.code != expect && (alsoOk == 0 || r.code != alsoOk)) {
      throw SmtpError(where() + ": " + step + " refused: " + r.text());
    }
    co_return r;
  }

  static bool offers(const Reply& ehlo, const std::string& keyword, std::string* args = nullptr) {
    for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
      std::string l = ehlo.lines[i];
      for (char& c : l) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (l == keyword || l.rfind(keyword + " ", 0) == 0) {
        if (args) *args = l.size() > keyword.size() ? l.substr(keyword.size() + 1) : "";
        return true;
      }
    }
    return false;
  }

  asio::awaitable<void> connect(std::chrono::milliseconds timeout) {
    resolver = std::make_shared<tcp::resolver>(executor);
    error_code ec;
    auto results = co_await resolver->async_resolve(settings.host, std::to_string(settings.port),
                                                    asio::redirect_error(asio::use_awaitable, ec));
    checkCancelled();
    if (!ec && results.empty()) ec = asio::error::host_not_found;
    if (ec) throw SmtpError("cannot resolve " + where() + ": " + ec.message());
    stream.emplace(beast::tcp_stream(executor), *tls);
    lowest().expires_after(timeout);
    co_await lowest().async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
    checkCancelled();
    if (ec) throw SmtpError("cannot connect to " + where() + ": " + ec.message());
  }

  asio::awaitable<void> startTls(std::chrono::milliseconds timeout) {
    co_await command("STARTTLS", "STARTTLS", 220, timeout);
    // Anything the server sent after its 220 would be read as if it came over TLS
    // (command injection, CVE-2011-0411): refuse.
    if (!buffer.empty()) throw SmtpError(where() + ": sent data after its STARTTLS answer");
    SSL* ssl = stream->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    error_code ec;
    asio::ip::make_address(settings.host, ec);
    if (ec) {
      SSL_set_tlsext_host_name(ssl, settings.host.c_str());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, settings.host.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, settings.host.c_str());
    }
    ec.clear();
    lowest().expires_after(timeout);
    co_await stream->async_handshake(asio::ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
    checkCancelled();
    if (ec) {
      std::string detail = ec.message();
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK)
        detail += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
      throw SmtpError("TLS handshake with " + where() + " failed: " + detail);
    }
    secure = true;
  }

  asio::awaitable<void> authenticate(const Reply& ehlo, std::chrono::milliseconds timeout) {
    std::string mechanisms;
    if (!offers(ehlo, "AUTH", &mechanisms)) {
      throw SmtpError(where() +
                      ": a user is configured but the server offers no AUTH after STARTTLS");
    }
    mechanisms = " " + mechanisms + " ";
    if (mechanisms.find(" PLAIN ") != std::string::npos) {
      std::string token =
          std::string(1, '\0') + settings.user + std::string(1, '\0') + settings.password;
      co_await command("AUTH PLAIN " + base64(token), "AUTH PLAIN", 235, timeout);
    } else if (mechanisms.find(" LOGIN ") != std::string::npos) {
      co_await command("AUTH LOGIN", "AUTH LOGIN", 334, timeout);
      co_await command(base64(settings.user), "AUTH LOGIN (user)", 334, timeout);
      co_await command(base64(settings.password), "AUTH LOGIN (password)", 235, timeout);
    } else {
      throw SmtpError(where() + ": the server offers neither AUTH PLAIN nor AUTH LOGIN");
    }
  }
};

SmtpSession::SmtpSession(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls,
                         const SmtpSettings& settings, std::string heloName)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->tls = std::move(tls);
  impl_->settings = settings;
  impl_->helo = domainPart(heloName);
}

SmtpSession::~SmtpSession() = default;

void SmtpSession::cancel() {
  impl_->cancelled = true;
  if (impl_->resolver) impl_->resolver->cancel();
  if (impl_->stream) impl_->lowest().close();
}

asio::awaitable<void> SmtpSession::send(std::string to, std::string message,
                                        std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  if (!s.tls) throw SmtpError(s.where() + ": no TLS context");
  co_await s.connect(timeout);
  Impl::Reply greeting = co_await s.read("the greeting", timeout);
  if (greeting.code != 220)
    throw SmtpError(s.where() + ": refused the connection: " + greeting.text());
  Impl::Reply ehlo = co_await s.command("EHLO " + s.helo, "EHLO", 250, timeout);
  if (!Impl::offers(ehlo, "STARTTLS")) {
    try {
      co_await s.write("QUIT\r\n", "QUIT", timeout);
    } catch (const SmtpError&) {
    }
    throw SmtpError(s.where() + " does not offer STARTTLS: refusing to send e-mail in clear");
  }
  co_await s.startTls(timeout);
  ehlo = co_await s.command("EHLO " + s.helo, "EHLO after STARTTLS", 250, timeout);
  if (!s.settings.user.empty()) co_await s.authenticate(ehlo, timeout);
  co_await s.command("MAIL FROM:<" + s.settings.from + ">", "MAIL FROM", 250, timeout);
  co_await s.command("RCPT TO:<" + to + ">", "RCPT TO <" + to + ">", 250, timeout, 251);
  co_await s.command("DATA", "DATA", 354, timeout);
  // Dot-stuffing (RFC 5321 §4.5.2), then the end of data.
  std::string data;
  data.reserve(message.size() + 16);
  bool lineStart = true;
  for (char c : message) {
    if (lineStart && c == '.') data += '.';
    data += c;
    lineStart = c == '\n';
  }
  if (!data.ends_with("\r\n")) data += "\r\n";
  data += ".\r\n";
  co_await s.write(data, "the message", timeout);
  Impl::Reply accepted = co_await s.read("the message", timeout);
  if (accepted.code != 250)
    throw SmtpError(s.where() + ": the message was refused: " + accepted.text());
  try {
    co_await s.command("QUIT", "QUIT", 221, timeout);
  } catch (const SmtpError&) {
    // Delivered already; a server that drops the connection on QUIT is no failure.
  }
  error_code ignored;
  s.lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  s.lowest().close();
}

}  // namespace posture::collector

#pragma once
// Alert delivery, e-mail: one message per notice, submitted to the one configured server
// (`serve --smtp smtp://HOST:PORT --smtp-from ADDR [--smtp-ca FILE]
// [--smtp-user U --smtp-password-file F]`).
//   - STARTTLS is required: a server that does not offer it, or whose STARTTLS fails, is
//     refused before anything else is sent (no mail in clear, no credentials in clear).
//   - The certificate is checked against the system CAs plus the configured CA file, and
//     the server's name (or IP address) against it.
//   - AUTH PLAIN (or LOGIN when PLAIN is not offered) only after TLS, and only with a user.
//   - The message: Vietnamese then English subject (RFC 2047 UTF-8 encoded words), a
//     UTF-8 text body in base64, Date and Message-ID headers.
// See collector/alerts/README.md ("E-mail").
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "collector/alerts/delivery_format.h"

namespace posture::collector {

struct SmtpSettings {
  std::string host;  // empty: no e-mail delivery
  std::uint16_t port = 587;
  std::string from;      // the envelope and header sender
  std::string caFile;    // an extra PEM CA besides the system's
  std::string user;      // empty: no AUTH
  std::string password;  // read from --smtp-password-file
};

// "smtp://HOST:PORT" (IPv6 in brackets; default port 587). Throws std::invalid_argument
// naming what is wrong.
void parseSmtpServer(const std::string& url, SmtpSettings& into);

// The whole message (headers and body, CRLF line ends, not dot-stuffed) for `to`.
// `now` is the Date header (Unix seconds); hostname goes into the Message-ID.
std::string formatAlertMail(const AlertNotice& n, const std::string& from, const std::string& to,
                            const std::string& hostname, std::int64_t now);
// RFC 2047 "=?UTF-8?B?...?=" words, each at most 60 characters, split on character
// boundaries and folded with CRLF SP; pure ASCII without specials is returned as is.
std::string encodeHeaderWords(const std::string& text);
std::string base64(const std::string& bytes);

class SmtpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One SMTP session: connect, EHLO, STARTTLS, EHLO, [AUTH], MAIL, RCPT, DATA, QUIT.
// tls: a client context that verifies peers (system CAs plus caFile).
class SmtpSession {
 public:
  SmtpSession(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
              const SmtpSettings& settings, std::string heloName);
  ~SmtpSession();
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;
  // `timeout` bounds each step. Throws SmtpError saying which step failed and the
  // server's answer.
  boost::asio::awaitable<void> send(std::string to, std::string message,
                                    std::chrono::milliseconds timeout);
  // Aborts the session (closes the socket); on the thread that runs the executor.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posture::collector

#include "tests/bench/console_client.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/util/json.h"
#include "tests/integration/child_process.h"

namespace posture::bench {
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string loadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string procStatus(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "?";
}

double processCpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return -1;
  // The command name (field 2) may hold spaces: the fields after it start past its ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double selfCpuSeconds() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

RunDir::RunDir(const std::string& prefix, bool keep) : keep_(keep) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

RunDir::~RunDir() {
  if (keep_) {
    std::printf("kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---- Server ----

Server::Server(const std::vector<std::string>& argv) {
  int fd = -1;
  pid_ = test::spawnWithPipe(argv, true, fd);
  reader_ = std::thread([this, fd] {
    std::string partial;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      partial.append(buf, static_cast<std::size_t>(n));
      std::lock_guard lock(mutex_);
      for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
        lines_.push_back(partial.substr(0, nl));
        partial.erase(0, nl + 1);
      }
      cv_.notify_all();
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    eof_ = true;
    cv_.notify_all();
  });
}

Server::~Server() {
  stop();
  if (reader_.joinable()) reader_.join();
}

std::string Server::waitForLine(const std::string& needle, std::chrono::seconds timeout,
                                std::size_t* from) {
  std::unique_lock lock(mutex_);
  std::size_t i = from ? *from : 0;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    for (; i < lines_.size(); ++i)
      if (lines_[i].find(needle) != std::string::npos) {
        if (from) *from = i + 1;
        return lines_[i];
      }
    if (eof_) throw std::runtime_error("the collector exited before printing '" + needle + "'");
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && i == lines_.size())
      throw std::runtime_error("timed out waiting for '" + needle + "'");
  }
}

std::vector<std::string> Server::linesContaining(const std::string& needle) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& l : lines_)
    if (l.find(needle) != std::string::npos) out.push_back(l);
  return out;
}

std::string Server::consoleAddress(std::chrono::seconds timeout) {
  std::string line = waitForLine("console: https://", timeout);
  std::string hostPort = line.substr(line.find("https://") + 8);
  if (!hostPort.empty() && hostPort.back() == '/') hostPort.pop_back();
  return hostPort;
}

std::string Server::agentAddress(std::chrono::seconds timeout) {
  std::string line = waitForLine("listening on https://", timeout);
  std::string hostPort = line.substr(line.find("https://") + 8);
  auto end = hostPort.find_first_of(" /");
  return end == std::string::npos ? hostPort : hostPort.substr(0, end);
}

void Server::kill9() {
  if (!reaped_) ::kill(pid_, SIGKILL);
}

void Server::stop() {
  if (reaped_) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
}

// ---- Watchdog ----

Watchdog::Watchdog(std::chrono::seconds budget, std::string program)
    : program_(std::move(program)) {
  thread_ = std::thread([this, budget] {
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, budget, [this] { return done_; })) return;
    expired_ = true;
    std::fprintf(stderr, "%s: time budget of %llds exceeded, stopping\n", program_.c_str(),
                 static_cast<long long>(budget.count()));
    if (server_) server_->kill9();
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::guard(Server* server) {
  std::lock_guard lock(mutex_);
  server_ = server;
  if (expired_ && server_) server_->kill9();
}

bool Watchdog::expired() const {
  std::lock_guard lock(mutex_);
  return expired_;
}

void Watchdog::check() const {
  if (expired()) throw std::runtime_error("time budget exceeded");
}

// ---- Client ----

struct Client::Impl {
  std::string host, port;
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> stream;
  beast::flat_buffer buffer;
};

Client::Client(std::string host, std::string port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = std::move(port);
  impl_->tls.set_verify_mode(asio::ssl::verify_none);  // the console's own CA; not what is measured
}

Client::Client(const std::string& hostPort)
    : Client(hostPort.substr(0, hostPort.rfind(':')), hostPort.substr(hostPort.rfind(':') + 1)) {}

Client::~Client() = default;

Reply Client::request(http::verb method, const std::string& target, const std::string& body) {
  Impl& m = *impl_;
  for (int attempt = 0;; ++attempt) {
    try {
      if (!m.stream) {
        m.stream = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(m.io, m.tls);
        asio::ip::tcp::resolver resolver(m.io);
        asio::connect(m.stream->next_layer(), resolver.resolve(m.host, m.port));
        m.stream->handshake(asio::ssl::stream_base::client);
        m.buffer.clear();
        ++connects;
      }
      http::request<http::string_body> req{method, target, 11};
      req.set(http::field::host, m.host);
      req.keep_alive(true);
      if (!cookie.empty()) req.set(http::field::cookie, cookie);
      if (!body.empty()) req.set(http::field::content_type, "application/json");
      if (method == http::verb::post && !csrf.empty()) req.set("X-CSRF-Token", csrf);
      req.body() = body;
      req.prepare_payload();
      http::write(*m.stream, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{1} << 31);
      http::read(*m.stream, m.buffer, parser);
      auto res = parser.release();
      Reply r;
      r.status = res.result_int();
      r.body = std::move(res.body());
      if (auto it = res.find(http::field::set_cookie); it != res.end())
        r.setCookie = std::string(it->value());
      if (!res.keep_alive()) m.stream.reset();
      return r;
    } catch (const std::exception&) {
      m.stream.reset();
      if (attempt >= 1) throw;
    }
  }
}

double Client::login(const std::string& name, const std::string& password) {
  util::Json b = util::Json::object();
  b.set("name", name);
  b.set("password", password);
  auto t = Clock::now();
  auto r = request(http::verb::post, "/api/v1/session", util::writeJson(b, false));
  if (r.status != 200)
    throw std::runtime_error("login failed: " + std::to_string(r.status) + " " + r.body);
  cookie = r.setCookie.substr(0, r.setCookie.find(';'));
  csrf = util::parseJson(r.body).at("csrf").asString();
  return secondsSince(t) * 1000.0;
}

// ---- figures ----

double Series::at(double q) const {
  if (ms.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size())));
  return ms[std::min(ms.size(), std::max<std::size_t>(1, rank)) - 1];
}

Series measure(Client& c, const std::string& name, const std::string& target, int requests,
               int warmup, const std::function<void()>& before) {
  Series s;
  s.name = name + "  " + target;
  double warmupMax = 0;
  for (int i = 0; i < warmup + requests; ++i) {
    if (before) before();
    auto t = Clock::now();
    auto r = c.request(http::verb::get, target);
    double ms = secondsSince(t) * 1000.0;
    if (r.status != 200)
      throw std::runtime_error("GET " + target + " -> " + std::to_string(r.status) + ": " +
                               r.body.substr(0, 300));
    s.bytes = r.body.size();
    if (i >= warmup)
      s.ms.push_back(ms);
    else
      warmupMax = std::max(warmupMax, ms);
  }
  std::sort(s.ms.begin(), s.ms.end());
  std::printf(
      "  %-58s n=%zu p50 %7.1f  p95 %7.1f  p99 %7.1f  max %7.1f ms  (%zu bytes; "
      "warm-up max %.1f ms)\n",
      s.name.c_str(), s.ms.size(), s.at(0.5), s.at(0.95), s.at(0.99), s.ms.back(), s.bytes,
      warmupMax);
  std::fflush(stdout);
  return s;
}

}  // namespace posture::bench

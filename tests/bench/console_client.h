#pragma once
// What the benches that drive a real collector share (console_bench, federation_bench):
// the collector process with its log read by a thread, a browser-like HTTPS client, the
// percentile figures of a series of GETs, a time budget that kills the collector, and the
// machine's figures (load average, a process's /proc status and CPU).
#include <sys/types.h>

#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace posture::bench {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t);
std::string loadAverage();  // "/proc/loadavg": the 1, 5 and 15 minute figures
// A line of /proc/PID/status ("VmHWM" -> "1234 kB"); "?" when absent.
std::string procStatus(pid_t pid, const std::string& key);
// CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if gone.
double processCpuSeconds(pid_t pid);
// CPU seconds (user + system) of this process so far, every thread.
double selfCpuSeconds();

// A fresh directory under the system's temporary directory for one run, removed at the
// end unless kept (then its path is printed).
class RunDir {
 public:
  RunDir(const std::string& prefix, bool keep);
  ~RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool keep_;
};

// ---- the collector process: stdout and stderr (its log) read by a thread ----

class Server {
 public:
  explicit Server(const std::vector<std::string>& argv);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The first line (from `*from` on) containing needle; throws on timeout or exit.
  std::string waitForLine(const std::string& needle, std::chrono::seconds timeout,
                          std::size_t* from = nullptr);
  std::vector<std::string> linesContaining(const std::string& needle);
  // "HOST:PORT" of the console (`--console-listen`), from its "console: https://" line.
  std::string consoleAddress(std::chrono::seconds timeout = std::chrono::seconds(120));
  // "HOST:PORT" of the agent listener, from its "listening on https://" line.
  std::string agentAddress(std::chrono::seconds timeout = std::chrono::seconds(120));
  pid_t pid() const { return pid_; }
  void kill9();
  void stop();  // SIGTERM, SIGKILL after 30 s; reaps it

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

// The time budget of a whole run: past it the guarded collector is killed (which ends every
// blocking read on it) and expired() turns true; in-process steps check it between steps.
class Watchdog {
 public:
  Watchdog(std::chrono::seconds budget, std::string program);
  ~Watchdog();
  void guard(Server* server);  // nullptr: none
  bool expired() const;
  void check() const;  // throws once expired
  // Guards a server for its lifetime; declared after the server, so it ends first.
  struct Scope {
    Scope(Watchdog& w, Server* s) : w_(w) { w_.guard(s); }
    ~Scope() { w_.guard(nullptr); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Watchdog& w_;
  };

 private:
  std::string program_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false, expired_ = false;
  Server* server_ = nullptr;
  std::thread thread_;
};

// ---- a browser-like client: one keep-alive HTTPS connection, blocking ----

struct Reply {
  unsigned status = 0;
  std::string body, setCookie;
};

class Client {
 public:
  Client(std::string host, std::string port);
  explicit Client(const std::string& hostPort);
  ~Client();
  std::string cookie, csrf;
  int connects = 0;

  Reply request(boost::beast::http::verb method, const std::string& target,
                const std::string& body = {});
  // POST /api/v1/session; keeps the cookie and the CSRF token. Returns milliseconds.
  double login(const std::string& name, const std::string& password);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- figures ----

struct Series {
  std::string name;
  std::vector<double> ms;     // sorted
  std::size_t bytes = 0;      // of the last response
  double at(double q) const;  // nearest rank
};

// N sequential GETs after `warmup` uncounted ones; prints a line. `before`: a request made
// (and not timed) before each GET, e.g. an alert comment that makes a cached overview stale.
Series measure(Client& c, const std::string& name, const std::string& target, int requests,
               int warmup, const std::function<void()>& before = {});

struct Timed {
  std::string name;
  double seconds = 0;
  std::uintmax_t bytes = 0;
};

}  // namespace posture::bench

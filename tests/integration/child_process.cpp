#include "tests/integration/child_process.h"

#include <cstdio>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/process.h"

extern char** environ;

namespace posture::test {

std::string makeTempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  return templ;
}

pid_t spawnWithPipe(const std::vector<std::string>& argv, bool withStderr, int& readFd) {
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
  if (withStderr) posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 2);
  std::vector<std::string> store(argv);
  std::vector<char*> args;
  for (auto& s : store) args.push_back(s.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipeFds[1]);
  if (rc != 0) {
    ::close(pipeFds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  readFd = pipeFds[0];
  return pid;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  pid_ = spawnWithPipe(argv, false, out_);
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && !reaped_; ++i) {
      if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
  }
  if (out_ >= 0) ::close(out_);
}

std::string ChildProcess::waitForLine(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find(needle) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for '" + needle + "'");
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n <= 0) throw std::runtime_error("process exited before printing '" + needle + "'");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

int ChildProcess::stop() {
  if (!reaped_) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

void ChildProcess::kill9() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
  reaped_ = true;
}

CollectorProcess::CollectorProcess(const std::vector<std::string>& extra, const std::string& policies,
                                   Launch how)
    : extraArgs(extra),
      policyDir(policies.empty() ? std::string(POSTURE_SOURCE_DIR) + "/policies" : policies),
      launch(std::move(how)) {
  dataDir = launch.dataDir.empty() ? makeTempDir("posture-collector-") : launch.dataDir;
  start();
}

void CollectorProcess::start() {
  std::vector<std::string> argv = {POSTURE_COLLECTOR_BIN, "serve", "--data-dir", dataDir,
                                   "--listen", address.empty() ? "127.0.0.1:0" : address,
                                   "--policies", policyDir,
                                   "--evaluate-every", "1s"};
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  argv.insert(argv.begin(), launch.prefix.begin(), launch.prefix.end());
  if (launch.umask >= 0 || !launch.stderrPath.empty()) {
    // sh sets the umask and the redirection, then becomes the collector (same pid).
    std::string script;
    if (launch.umask >= 0) {
      char octal[16];
      std::snprintf(octal, sizeof octal, "%03o", static_cast<unsigned>(launch.umask) & 0777u);
      script += std::string("umask ") + octal + " && ";
    }
    script += "exec \"$@\"";
    if (!launch.stderrPath.empty()) script += " 2>>'" + launch.stderrPath + "'";
    argv.insert(argv.begin(), {"/bin/sh", "-c", script, "sh"});
  }
  process = std::make_unique<ChildProcess>(argv);
  std::string line = process->waitForLine("listening on https://127.0.0.1:");
  address = line.substr(line.find("127.0.0.1:"));
  auto ca = util::readFile(std::filesystem::path(dataDir) / "ca.crt");
  if (!ca) throw std::runtime_error("the collector wrote no ca.crt in " + dataDir);
  caFingerprint = crypto::certificateFingerprint(*ca);
  bool console = false;
  for (const auto& a : extraArgs) console = console || a == "--console-listen";
  if (console) {
    // Printed after the agent listeners: "posture-collector: console: https://HOST:PORT/".
    std::string c = process->waitForLine("console: https://");
    c = c.substr(c.find("https://") + 8);
    if (!c.empty() && c.back() == '/') c.pop_back();
    consoleAddress = c;
  }
  if (std::find(extraArgs.begin(), extraArgs.end(), "--metrics-listen") != extraArgs.end()) {
    // "posture-collector: metrics: http(s)://HOST:PORT/metrics", after the console's line.
    std::string m = process->waitForLine("metrics: http");
    m = m.substr(m.find("://") + 3);
    metricsAddress = m.substr(0, m.find('/'));
  }
}

void CollectorProcess::stop() { process.reset(); }

CollectorProcess::~CollectorProcess() {
  process.reset();
  std::error_code ec;
  std::filesystem::remove_all(dataDir, ec);
}

std::string CollectorProcess::createToken(const std::string& unit, int uses, const std::string& ttl) {
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "token", "create", "--data-dir", dataDir,
                             "--unit", unit, "--uses", std::to_string(uses), "--ttl", ttl});
  if (r.exitCode != 0) throw std::runtime_error("token create failed: " + r.err);
  std::string token = r.out;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  return token;
}

}  // namespace posture::test

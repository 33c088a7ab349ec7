#pragma once
// A real program started in the background for a test: its stdout is read line by line
// (the collector prints its bound address there), it is stopped with SIGTERM at the end.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace posture::test {

// Starts argv[0] (a path) with its stdout — and stderr too when withStderr — on a pipe
// whose read end (close-on-exec) goes to readFd; throws when it cannot start.
pid_t spawnWithPipe(const std::vector<std::string>& argv, bool withStderr, int& readFd);

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // SIGTERM, then SIGKILL after 10 s
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stdout until a line contains `needle`; returns that line, or throws on timeout
  // or when the child exits first.
  std::string waitForLine(const std::string& needle,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Sends SIGTERM and returns the exit status (-signal when killed).
  int stop();
  void kill9();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

// How a CollectorProcess starts, beyond its arguments.
struct Launch {
  std::vector<std::string> prefix;  // a command to run it under: {"prlimit", "--nofile=1024:4096"}
  std::string stderrPath;           // append its log (stderr) to this file
  int umask = -1;                   // start under this umask (-1: inherit)
  std::string dataDir;              // this one, created by the collector (default: a fresh temp dir)
};

// A started collector on 127.0.0.1 with a fresh data directory.
struct CollectorProcess {
  std::string dataDir;
  std::string address;  // "127.0.0.1:PORT"
  // SHA-256 of its CA, as `token create` prints it: the pin agents enrol with.
  std::string caFingerprint;
  // "127.0.0.1:PORT" of the console when extraArgs has --console-listen (else "").
  std::string consoleAddress;
  // "127.0.0.1:PORT" of the metrics listener when extraArgs has --metrics-listen (else "").
  std::string metricsAddress;
  std::unique_ptr<ChildProcess> process;
  std::vector<std::string> extraArgs;
  std::string policyDir;  // the shipped policies/ unless given
  Launch launch;
  explicit CollectorProcess(const std::vector<std::string>& extraArgs = {},
                            const std::string& policyDir = {}, Launch launch = {});
  ~CollectorProcess();
  void stop();   // SIGTERM; the data directory stays
  void start();  // again, on the same data directory and address
  // Runs `posture-collector token create` and returns the token.
  std::string createToken(const std::string& unit, int uses = 1, const std::string& ttl = "1h");
};

std::string makeTempDir(const std::string& prefix);

}  // namespace posture::test

#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace posture::util {

struct ProcessResult {
  bool started = false;      // false: the program could not be executed (see error)
  bool timedOut = false;     // killed after the time budget
  int exitCode = -1;         // valid when exited normally
  int signal = 0;            // non-zero when killed by a signal
  std::string out;           // stdout, truncated to maxOutput
  std::string err;           // stderr, truncated to maxOutput
  std::string error;         // why it did not start or finish
};

// Runs argv[0] (looked up in PATH) with no shell, stdin from /dev/null, the C locale
// (so output is parseable), and a time budget. Never throws for the child's failures.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         std::size_t maxOutput = 8 * 1024 * 1024);

// Exited normally with status 0 within its budget.
bool succeeded(const ProcessResult& result);
// Why a run did not succeed, in the words most useful to IT staff: the start error, the
// timeout, the first non-empty line of stderr, else the exit code or signal.
std::string failureReason(const ProcessResult& result);

// Absolute path of an executable found in PATH (or the standard sbin dirs), or "".
std::string findExecutable(const std::string& name);

}  // namespace posture::util

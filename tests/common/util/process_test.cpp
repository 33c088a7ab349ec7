#include "common/util/process.h"

#include <doctest/doctest.h>

using namespace posture::util;
using namespace std::chrono_literals;

TEST_CASE("runProcess captures stdout, stderr and the exit code") {
  auto r = runProcess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.started);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK(r.exitCode == 3);
  CHECK_FALSE(r.timedOut);
}

TEST_CASE("runProcess kills a child that overruns its time budget") {
  auto start = std::chrono::steady_clock::now();
  auto r = runProcess({"sleep", "30"}, 200ms);
  CHECK(r.timedOut);
  CHECK(r.signal == 9);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(r.error.find("did not finish") != std::string::npos);
}

TEST_CASE("runProcess reports a missing program instead of throwing") {
  auto r = runProcess({"posture-no-such-program"});
  CHECK_FALSE(r.started);
  CHECK(r.error == "posture-no-such-program not found");
}

TEST_CASE("runProcess runs children in the C locale") {
  auto r = runProcess({"sh", "-c", "echo $LC_ALL"});
  CHECK(r.out == "C\n");
}

TEST_CASE("failureReason names the cause a person can act on") {
  auto failed = runProcess({"sh", "-c", "echo '  E: Unable to lock  ' >&2; exit 100"});
  CHECK_FALSE(succeeded(failed));
  CHECK(failureReason(failed) == "E: Unable to lock");
  auto silent = runProcess({"sh", "-c", "exit 3"});
  CHECK(failureReason(silent) == "exit code 3");
  auto missing = runProcess({"posture-no-such-program"});
  CHECK(failureReason(missing) == "posture-no-such-program not found");
  auto slow = runProcess({"sleep", "5"}, 100ms);
  CHECK(failureReason(slow).find("did not finish") != std::string::npos);
  CHECK(succeeded(runProcess({"true"})));
}

#pragma once
// Time budgets: a deadline on the steady clock, and what is left of it for calls that take
// a timeout (subprocesses, WMI queries, connections). The one helper the probes and the
// subprocess runner share.
#include <algorithm>
#include <chrono>

namespace posture::util {

using SteadyClock = std::chrono::steady_clock;

// The deadline `budget` from now.
inline SteadyClock::time_point deadlineIn(SteadyClock::duration budget) {
  return SteadyClock::now() + budget;
}

// What is left until `deadline` in whole milliseconds, and at least `floor`: by default a
// spent budget reads 0, never negative; a caller that must still try once passes the
// shortest attempt it allows.
inline std::chrono::milliseconds remaining(SteadyClock::time_point deadline,
                                           std::chrono::milliseconds floor = std::chrono::milliseconds{0}) {
  return std::max(floor, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
}

}  // namespace posture::util

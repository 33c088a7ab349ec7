#pragma once
// When an endpoint counts as stale: no report for longer than this (`serve --stale-after`,
// 7 days unless set). A stale endpoint stays in every count as not compliant.
#include <cstdint>

#include "common/util/time.h"

namespace posture::collector {

inline constexpr std::int64_t kDefaultStaleAfterSeconds = 7 * util::kSecondsPerDay;
inline constexpr const char* kDefaultStaleAfter = "7d";  // the same, as the option reads it
// The rule of the alert a stale endpoint raises.
inline constexpr const char* kStaleRule = "posture/endpoint-stale";
// A child collector silent past 3 × its push interval (issue 16): its endpoints count stale.
inline constexpr const char* kChildStaleRule = "posture/child-collector-stale";
// A child collector's last push was refused (a unit outside its mount, a collision, a bad
// field): what it sends does not arrive until it is fixed.
inline constexpr const char* kChildRefusedRule = "posture/child-push-refused";

}  // namespace posture::collector

#pragma once
// The apt upgrade plan is a pure function of apt's inputs: the dpkg database, the package
// lists, the sources, preferences and configuration. Simulating it costs about a second of
// CPU (apt rebuilds its cache each time on hosts without pkgcache.bin), while the inputs
// change about once a day. The plan is kept beside the agent's state with a fingerprint of
// every input (path, size, mtime, inode) and reused only while all of them are unchanged
// and the plan is younger than a day.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent {

struct AptPlan {
  std::optional<std::uint32_t> pending;
  std::optional<std::uint32_t> security;
  Tristate automaticUpdates = Tristate::Unknown;
  std::vector<std::string> notes;  // the probe's notes about the counts, kept with them
  std::int64_t computedAt = 0;     // Unix seconds
};

// One line per input file, sorted: "path size mtime_ns inode", or "path absent". Files in
// the given directories are listed one level deep (apt reads them that way).
std::vector<std::string> aptInputFingerprint(const std::vector<std::filesystem::path>& files,
                                             const std::vector<std::filesystem::path>& dirs);
// The inputs apt-get -s dist-upgrade and apt-config read on this host.
std::vector<std::string> aptInputFingerprint();

std::string serializeAptPlan(const AptPlan& plan, const std::vector<std::string>& inputs);
// The cached plan if `text` is a well-formed cache for exactly these inputs and no older
// than maxAgeSeconds at `now`; nullopt otherwise (never throws on a damaged file).
std::optional<AptPlan> parseAptPlan(const std::string& text, const std::vector<std::string>& inputs,
                                    std::int64_t now, std::int64_t maxAgeSeconds);

}  // namespace posture::agent

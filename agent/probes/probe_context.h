#pragma once
// Types shared by every probe. Probes return plain structs; only report_builder.cpp knows
// the wire schema, so the probes and their tests never depend on protobuf.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace posture::agent {

struct ProbeContext {
  // Time budget of one probe; every subprocess and network wait is bounded by it.
  std::chrono::milliseconds budget{10000};
  std::string collectorHost;  // empty: the collector checks are not run
  std::uint16_t collectorPort = 0;
  // Where probes may keep results that are costly to recompute (the apt upgrade plan);
  // empty: nothing is cached.
  std::filesystem::path cacheDir;
};

enum class ProbeStatus { Ok, Unavailable, Error };

// "Unknown" is a real answer, distinct from "off".
enum class Tristate { Unknown, On, Off };

struct ProbeOutcome {
  ProbeStatus status = ProbeStatus::Ok;
  std::string message;

  // A primary value could not be read: the worse status wins and the reason is kept.
  void fail(ProbeStatus s, const std::string& reason) {
    if (s == ProbeStatus::Error || (s == ProbeStatus::Unavailable && status == ProbeStatus::Ok)) {
      status = s;
    }
    note(reason);
  }
  // A secondary value is missing or worth explaining; the status is unchanged.
  void note(const std::string& reason) {
    if (reason.empty()) return;
    if (!message.empty()) message += "; ";
    message += reason;
  }
};

}  // namespace posture::agent

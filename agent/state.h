#pragma once
// The agent's state directory: its private key (0600, never leaves the machine), the
// certificate issued at enrolment, the collector CA it pinned, its settings and the
// report sequence counter.
#include <cstdint>
#include <filesystem>
#include <string>

namespace posture::agent {

struct AgentState {
  std::filesystem::path dir;
  std::string collector;   // HOST:PORT
  std::string agentId;
  std::string unitCode;
  std::string keyPem, certPem, caPem;
};

bool isEnrolled(const std::filesystem::path& dir);
// Throws std::runtime_error naming the missing or unreadable file.
AgentState loadState(const std::filesystem::path& dir);
void saveState(const AgentState& state);

// Reserves the next report sequence number, durably, before the report is sent: a
// number is never reused, even after a crash.
std::uint64_t nextSequence(const std::filesystem::path& dir);

}  // namespace posture::agent

#pragma once
// The agent's state directory: its private key (0600, never leaves the machine), the
// certificate issued at enrolment, the collector CA it pinned and its settings. The
// spool (spool.h) keeps the report queue and sequence counter there too.
#include <cstdint>
#include <filesystem>
#include <string>

namespace posture::uplink {

struct AgentState {
  std::filesystem::path dir;
  std::string collector;   // HOST:PORT
  std::string agentId;
  std::string unitCode;
  std::string keyPem, certPem, caPem;
};

bool isEnrolled(const std::filesystem::path& dir);
// Creates DIR readable by its owner only (Linux: 0700; Windows: SYSTEM and Administrators,
// nothing inherited).
void ensureStateDir(const std::filesystem::path& dir);
// Throws std::runtime_error naming the missing or unreadable file.
AgentState loadState(const std::filesystem::path& dir);
void saveState(const AgentState& state);
// Replaces the key and certificate (renewal) so that a crash at any point leaves a
// matching pair: both are written as *.new first, then renamed key first; loadState
// finishes a rename a crash interrupted.
void replaceCredentials(AgentState& state, const std::string& keyPem, const std::string& certPem);

// Holds an exclusive lock on DIR/agent.lock for the life of the process, so two agents
// never share a state directory (and a spool). Throws naming the running agent's pid.
class InstanceLock {
 public:
  explicit InstanceLock(const std::filesystem::path& dir);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  int fd_ = -1;
  [[maybe_unused]] void* handle_ = nullptr;  // Windows: the lock file's HANDLE (unused elsewhere)
};

// Held by the process running a collection cycle (agent/agent.h), so two cycles never
// work on one spool at once: a cycle left running by a supervisor killed with -9 finishes
// before the next one starts. Waits for the lock; throws if interrupted by a signal.
class CycleLock {
 public:
  explicit CycleLock(const std::filesystem::path& dir);
  ~CycleLock();
  CycleLock(const CycleLock&) = delete;
  CycleLock& operator=(const CycleLock&) = delete;

 private:
  int fd_ = -1;
  [[maybe_unused]] void* handle_ = nullptr;  // Windows: the lock file's HANDLE (unused elsewhere)
};

}  // namespace posture::uplink

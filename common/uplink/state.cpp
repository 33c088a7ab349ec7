#include "common/uplink/state.h"

#ifdef _WIN32
#include <windows.h>
#include <sddl.h>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstring>

#include <sstream>
#include <stdexcept>

#include "common/util/files.h"

namespace posture::uplink {
namespace fs = std::filesystem;

namespace {
std::string mustRead(const fs::path& p) {
  auto c = util::readFile(p);
  if (!c) throw std::runtime_error("cannot read " + p.string() + " (is the agent enrolled?)");
  return *c;
}
}  // namespace

bool isEnrolled(const fs::path& dir) {
  return fs::exists(dir / "agent.conf") && fs::exists(dir / "agent.crt") &&
         fs::exists(dir / "agent.key") && fs::exists(dir / "ca.crt");
}

AgentState loadState(const fs::path& dir) {
  AgentState s;
  s.dir = dir;
  std::istringstream conf(mustRead(dir / "agent.conf"));
  std::string line;
  while (std::getline(conf, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line.starts_with('#')) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "collector") s.collector = value;
    else if (key == "agent_id") s.agentId = value;
    else if (key == "unit") s.unitCode = value;
  }
  if (s.collector.empty() || s.agentId.empty()) {
    throw std::runtime_error((dir / "agent.conf").string() + " lacks collector= or agent_id=");
  }
  // A renewal interrupted after renaming the key: finish it with the new certificate.
  if (fs::exists(dir / "agent.crt.new") && !fs::exists(dir / "agent.key.new")) {
    fs::rename(dir / "agent.crt.new", dir / "agent.crt");
  }
  // Interrupted before: the pair in place is still the old one and matches.
  fs::remove(dir / "agent.key.new");
  fs::remove(dir / "agent.crt.new");
  s.keyPem = mustRead(dir / "agent.key");
  s.certPem = mustRead(dir / "agent.crt");
  s.caPem = mustRead(dir / "ca.crt");
  return s;
}

#ifdef _WIN32
namespace {
// The private key lives here: only SYSTEM and Administrators may touch the directory, and
// nothing is inherited from %ProgramData% (whose ACL lets every user read).
void restrictDirectory(const fs::path& dir) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
          L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", SDDL_REVISION_1, &sd, nullptr)) {
    throw std::runtime_error("cannot build the state directory's ACL: Windows error " +
                             std::to_string(::GetLastError()));
  }
  BOOL ok = ::SetFileSecurityW(dir.c_str(), DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, sd);
  DWORD err = ::GetLastError();
  ::LocalFree(sd);
  if (!ok) {
    throw std::runtime_error("cannot restrict " + dir.string() + " to SYSTEM and Administrators: Windows error " +
                             std::to_string(err));
  }
}
}  // namespace
#endif

void ensureStateDir(const fs::path& dir) {
  fs::create_directories(dir);
#ifdef _WIN32
  restrictDirectory(dir);
#else
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
#endif
}

void saveState(const AgentState& s) {
  ensureStateDir(s.dir);
  util::writeFileAtomic(s.dir / "agent.key", s.keyPem, 0600);
  util::writeFileAtomic(s.dir / "agent.crt", s.certPem, 0644);
  util::writeFileAtomic(s.dir / "ca.crt", s.caPem, 0644);
  // Written last: its presence marks a complete enrolment.
  util::writeFileAtomic(s.dir / "agent.conf",
                        "# written by posture-agent enroll\ncollector=" + s.collector +
                            "\nagent_id=" + s.agentId + "\nunit=" + s.unitCode + "\n",
                        0644);
}

void replaceCredentials(AgentState& s, const std::string& keyPem, const std::string& certPem) {
  util::writeFileAtomic(s.dir / "agent.crt.new", certPem, 0644);
  util::writeFileAtomic(s.dir / "agent.key.new", keyPem, 0600);
  fs::rename(s.dir / "agent.key.new", s.dir / "agent.key");
  fs::rename(s.dir / "agent.crt.new", s.dir / "agent.crt");
  s.keyPem = keyPem;
  s.certPem = certPem;
}

#ifdef _WIN32
namespace {
// LockFileEx on a handle the process keeps: released when it closes or the process ends.
HANDLE openLockFile(const fs::path& path) {
  HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    throw std::runtime_error("cannot open " + path.string() + ": Windows error " +
                             std::to_string(::GetLastError()));
  }
  return h;
}
// Locks one byte far past the end, so the pid written at the start stays readable.
constexpr DWORD kLockOffsetHigh = 0x7fffffff;
}  // namespace

InstanceLock::InstanceLock(const fs::path& dir) {
  fs::create_directories(dir);
  auto path = dir / "agent.lock";
  HANDLE h = openLockFile(path);
  OVERLAPPED ov{};
  ov.OffsetHigh = kLockOffsetHigh;
  if (!::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
    char buf[32] = {};
    DWORD n = 0;
    ::ReadFile(h, buf, sizeof buf - 1, &n, nullptr);
    std::string pid = n > 0 ? std::string(buf, n) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::CloseHandle(h);
    throw std::runtime_error("another posture-agent (pid " + pid + ") is running with " +
                             dir.string());
  }
  std::string pid = std::to_string(::GetCurrentProcessId()) + "\n";
  DWORD written = 0;
  ::SetFilePointer(h, 0, nullptr, FILE_BEGIN);
  ::SetEndOfFile(h);
  ::WriteFile(h, pid.data(), static_cast<DWORD>(pid.size()), &written, nullptr);
  handle_ = h;
}

InstanceLock::~InstanceLock() {
  if (handle_) ::CloseHandle(static_cast<HANDLE>(handle_));
}

CycleLock::CycleLock(const fs::path& dir) {
  auto path = dir / "cycle.lock";
  HANDLE h = openLockFile(path);
  OVERLAPPED ov{};
  ov.OffsetHigh = kLockOffsetHigh;
  if (!::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ov)) {
    DWORD err = ::GetLastError();
    ::CloseHandle(h);
    throw std::runtime_error("cannot lock " + path.string() + ": Windows error " + std::to_string(err));
  }
  handle_ = h;
}

CycleLock::~CycleLock() {
  if (handle_) ::CloseHandle(static_cast<HANDLE>(handle_));
}
#else
InstanceLock::InstanceLock(const fs::path& dir) {
  fs::create_directories(dir);
  std::string path = (dir / "agent.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("another posture-agent (pid " + pid + ") is running with " +
                             dir.string());
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The lock is what matters; the pid is only for the message above.
  }
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

CycleLock::CycleLock(const fs::path& dir) {
  std::string path = (dir / "cycle.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX) != 0) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("cannot lock " + path + ": " + std::strerror(e));
  }
}

CycleLock::~CycleLock() {
  if (fd_ >= 0) ::close(fd_);
}

#endif

}  // namespace posture::uplink

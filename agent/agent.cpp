#include "agent/agent.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "common/uplink/uplink.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/crypto/crypto.h"
#include "common/util/time.h"
#include "common/util/utf16.h"

#ifndef _WIN32
extern char** environ;
#endif

namespace posture::agent {

CollectOptions collectOptionsFor(const AgentState& state) {
  CollectOptions c;
  c.agentId = state.agentId;
  c.unitCode = state.unitCode;
  c.cacheDir = state.dir;
  auto [host, port] = net::splitHostPort(state.collector);
  c.collectorHost = host;
  c.collectorPort = static_cast<std::uint16_t>(std::stoul(port));
  return c;
}

namespace {
// A collector that answered "sequence_conflict" more often than this in one cycle is not
// helped by renumbering again; the next cycle tries anew.
constexpr int kMaxRenumbersPerCycle = 3;

// The collector holds `sent`'s number, with another body, from before this agent's spool
// was lost: number the queue after what it holds. False when its answer does not fit
// (it must hold at least the number it refused).
bool renumberAfterConflict(Spool& spool, const SpooledReport& sent, const UplinkError& e) {
  std::uint64_t last = e.lastSequence();
  if (last < sent.sequence) {
    log::warn("máy chủ thu thập báo trùng số báo cáo ", sent.sequence, " nhưng chỉ có đến số ", last,
              ", không đánh số lại / collector answered sequence_conflict for report ", sent.sequence,
              " with last_sequence ", last, ", which does not include it; not renumbering");
    return false;
  }
  std::size_t n = spool.renumberAfter(last, [](const std::string& body, std::uint64_t seq) {
    posture::v1::Report r;
    if (!r.ParseFromString(body)) throw std::runtime_error("a spooled report does not parse");
    r.set_sequence(seq);
    return r.SerializeAsString();
  });
  log::warn("máy chủ thu thập đã có báo cáo đến số ", last, " từ trước khi hàng đợi của máy này bị mất; đánh số lại ",
            n, " báo cáo từ ", last + 1, " / the collector holds reports up to ", last,
            " from before this agent's spool was lost: renumbered ", n, " queued report(s) from ", last + 1);
  return true;
}
}  // namespace

CycleResult runCycle(const CycleOptions& o, const std::atomic<bool>& stop) {
  try {
    AgentState state = loadState(o.stateDir);
    CycleLock lock(o.stateDir);
    Spool spool(o.stateDir, o.spool);
    if (o.collect && !stop.load()) {
      posture::v1::Report report = collectReport(collectOptionsFor(state));
      std::uint64_t seq = spool.push([&](std::uint64_t s) {
        report.set_sequence(s);
        return report.SerializeAsString();
      });
      log::info("collected report ", seq, " (", spool.size(), " waiting)");
    }
    try {
      renewIfDue(state, o.renewBefore, o.timeout);
    } catch (const UplinkError& e) {
      // The current certificate still works until it expires; try again next cycle.
      log::warn("certificate renewal failed: ", e.what());
    }
    int renumbered = 0;
    // The whole queue over one kept-alive connection, opened at the first report.
    std::optional<ReportChannel> channel;
    while (!stop.load()) {
      auto next = spool.oldest();
      if (!next) return CycleResult::Drained;
      try {
        if (!channel) channel.emplace(state);
        auto ack = channel->send(next->body, next->sequence, o.timeout);
        spool.remove(next->sequence);
        log::info("report ", next->sequence, " acknowledged",
                  ack.duplicate() ? " (already stored)" : "");
      } catch (const UplinkError& e) {
        if (e.code() == "sequence_conflict" && renumbered < kMaxRenumbersPerCycle &&
            renumberAfterConflict(spool, *next, e)) {
          ++renumbered;
          continue;
        }
        log::warn("report ", next->sequence, " not delivered (", spool.size(),
                  " waiting): ", e.what());
        return e.retryable() ? CycleResult::Retry : CycleResult::Refused;
      }
    }
    log::info("cycle stopped (", spool.size(), " report(s) kept in the spool)");
    return spool.size() == 0 ? CycleResult::Drained : CycleResult::Retry;
  } catch (const std::exception& e) {
    log::error("collection cycle failed: ", e.what());
    return CycleResult::Failed;
  }
}

namespace {
using Clock = std::chrono::steady_clock;

// Sleeps in short steps so SIGTERM is honoured promptly.
void sleepUntil(Clock::time_point until, const std::atomic<bool>& stop) {
  while (!stop.load() && Clock::now() < until) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(200)));
  }
}

// The worker's command line after the executable; `supervisor` is our process id.
std::vector<std::string> workerArguments(const RunOptions& o, bool collect, unsigned long supervisor) {
  std::vector<std::string> args = {"cycle",
                                   "--state-dir",
                                   o.stateDir.string(),
                                   "--log-level",
                                   o.logLevel,
                                   "--timeout-ms",
                                   std::to_string(o.timeout.count()),
                                   "--spool-max-reports",
                                   std::to_string(o.spool.maxReports),
                                   "--spool-max-bytes",
                                   std::to_string(o.spool.maxBytes),
                                   "--supervisor",
                                   std::to_string(supervisor),
                                   "--renew-before",
                                   std::to_string(o.renewBefore.count()) + "s"};
  if (!o.logFile.empty()) {
    args.push_back("--log-file");
    args.push_back(o.logFile);
  }
  if (!collect) args.push_back("--send-only");
  return args;
}

CycleResult cycleResultOf(long code) {
  for (auto known : {CycleResult::Drained, CycleResult::Retry, CycleResult::Refused}) {
    if (code == static_cast<int>(known)) return known;
  }
  if (code != static_cast<int>(CycleResult::Failed))
    log::error("collection worker exited with status ", code);
  return CycleResult::Failed;
}

#ifdef _WIN32
// Quotes one argument the way the C runtime's argv parser reads it back.
std::wstring quoteArgument(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  out.push_back(L'"');
  return out;
}

std::wstring selfExecutable() {
  std::wstring buf(32768, L'\0');
  DWORD n = ::GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  if (n == 0 || n >= buf.size()) {
    throw std::runtime_error("cannot find the agent's own executable: Windows error " +
                             std::to_string(::GetLastError()));
  }
  buf.resize(n);
  return buf;
}

// Every worker runs in this job: when the supervisor ends, even killed, Windows closes the
// job's handle and kills the worker (the role PR_SET_PDEATHSIG plays on Linux).
HANDLE workerJob() {
  static HANDLE job = [] {
    HANDLE j = ::CreateJobObjectW(nullptr, nullptr);
    if (!j) return j;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!::SetInformationJobObject(j, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
      log::warn("cannot make the worker job kill on close: Windows error ", ::GetLastError());
    }
    return j;
  }();
  return job;
}

// How long a worker asked to stop may take before it is terminated.
constexpr auto kStopGrace = std::chrono::seconds(20);

// Starts `posture-agent cycle` and waits for it. Stopping is an inheritable event the
// worker watches (Windows has no SIGTERM); a worker that ignores it is terminated.
CycleResult runWorker(const std::wstring& exe, const RunOptions& o, bool collect,
                      const std::atomic<bool>& stop) {
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE stopEvent = ::CreateEventW(&inherit, TRUE, FALSE, nullptr);
  if (!stopEvent) {
    log::error("cannot create the worker's stop event: Windows error ", ::GetLastError());
    return CycleResult::Failed;
  }
  auto args = workerArguments(o, collect, ::GetCurrentProcessId());
  args.push_back("--stop-event");
  args.push_back(std::to_string(reinterpret_cast<std::uintptr_t>(stopEvent)));
  std::wstring cmdline = quoteArgument(exe);
  for (const auto& a : args) cmdline += L" " + quoteArgument(util::toWide(a));
  // The worker logs where the supervisor does: its console or pipe when run by hand (a
  // service has none and both log to --log-file).
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = ::GetStdHandle(STD_OUTPUT_HANDLE);
  si.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
  for (HANDLE h : {si.hStdInput, si.hStdOutput, si.hStdError}) {
    if (h && h != INVALID_HANDLE_VALUE) ::SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  }
  PROCESS_INFORMATION pi{};
  if (!::CreateProcessW(exe.c_str(), cmdline.data(), nullptr, nullptr, TRUE,
                        CREATE_SUSPENDED | CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi)) {
    log::error("cannot start the collection worker: Windows error ", ::GetLastError());
    ::CloseHandle(stopEvent);
    return CycleResult::Failed;
  }
  if (HANDLE job = workerJob(); !job || !::AssignProcessToJobObject(job, pi.hProcess)) {
    log::debug("the worker runs outside a kill-on-close job: Windows error ", ::GetLastError());
  }
  ::ResumeThread(pi.hThread);
  ::CloseHandle(pi.hThread);
  std::optional<std::chrono::steady_clock::time_point> stoppingSince;
  while (::WaitForSingleObject(pi.hProcess, 50) == WAIT_TIMEOUT) {
    if (stop.load() && !stoppingSince) {
      ::SetEvent(stopEvent);
      stoppingSince = std::chrono::steady_clock::now();
    }
    if (stoppingSince && std::chrono::steady_clock::now() - *stoppingSince > kStopGrace) {
      log::warn("the collection worker did not stop within ", kStopGrace.count(), " s: terminated");
      ::TerminateProcess(pi.hProcess, static_cast<UINT>(CycleResult::Failed));
    }
  }
  DWORD code = static_cast<DWORD>(CycleResult::Failed);
  ::GetExitCodeProcess(pi.hProcess, &code);
  ::CloseHandle(pi.hProcess);
  ::CloseHandle(stopEvent);
  if (code >= 0xC0000000u) {
    log::error("collection worker crashed (exception 0x", std::hex, code, std::dec, ")");
    return CycleResult::Failed;
  }
  return cycleResultOf(static_cast<long>(code));
}
#else
std::string selfExecutable() {
  std::vector<char> buf(4096);
  ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) throw std::runtime_error(std::string("cannot read /proc/self/exe: ") + std::strerror(errno));
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

// Starts `posture-agent cycle` and waits for it; on stop, forwards SIGTERM and still
// waits, so no worker outlives the service. Returns the cycle's result.
CycleResult runWorker(const std::string& exe, const RunOptions& o, bool collect,
                      const std::atomic<bool>& stop) {
  std::vector<std::string> args = workerArguments(o, collect, static_cast<unsigned long>(::getpid()));
  args.insert(args.begin(), exe);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    log::error("cannot start the collection worker ", exe, ": ", std::strerror(rc));
    return CycleResult::Failed;
  }
  bool forwarded = false;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      log::error("lost the collection worker ", pid, ": ", std::strerror(errno));
      return CycleResult::Failed;
    }
    if (stop.load() && !forwarded) {
      ::kill(pid, SIGTERM);
      forwarded = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (WIFEXITED(status)) return cycleResultOf(WEXITSTATUS(status));
  log::error("collection worker killed by signal ", WTERMSIG(status), " (", ::strsignal(WTERMSIG(status)), ")");
  return CycleResult::Failed;
}
#endif
}  // namespace

int runAgent(const RunOptions& o, const std::atomic<bool>& stop) {
  if (!isEnrolled(o.stateDir)) loadState(o.stateDir);  // throws, naming what is missing
  InstanceLock lock(o.stateDir);
  const auto exe = selfExecutable();
  std::mt19937_64 rng(std::random_device{}());

  auto nextCollect = Clock::now();
  bool waiting = false;  // reports wait to be resent at nextSend
  auto nextSend = Clock::now();
  auto backoff = o.firstBackoff;

  while (!stop.load()) {
    bool collect = Clock::now() >= nextCollect;
    if (collect || (waiting && Clock::now() >= nextSend)) {
      CycleResult result = runWorker(exe, o, collect, stop);
      if (collect) nextCollect = Clock::now() + o.interval;
      if (o.once) return result == CycleResult::Drained ? 0 : 1;
      if (result == CycleResult::Drained) {
        waiting = false;
        backoff = o.firstBackoff;
      } else if (!stop.load()) {
        // Equal jitter: wait a random time in [backoff/2, backoff], then double it. A
        // refusal that resending cannot fix (revoked, unknown agent) waits the longest.
        if (result == CycleResult::Refused) backoff = o.maxBackoff;
        std::uniform_int_distribution<long long> jitter(backoff.count() / 2, backoff.count());
        nextSend = Clock::now() + std::chrono::milliseconds(jitter(rng));
        waiting = true;
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, o.maxBackoff);
      }
    }
    auto wake = nextCollect;
    if (waiting) wake = std::min(wake, nextSend);
    sleepUntil(wake, stop);
  }
  log::info("agent stopped");
  return 0;
}

}  // namespace posture::agent

// posture-agent's commands (collect, enroll, run, service on Windows, cycle); main.cpp holds
// only the table.
#include "agent/cli.h"

#include <google/protobuf/util/json_util.h>
#ifndef _WIN32
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#endif

#include <atomic>
#include <iostream>
#include <map>
#include <optional>
#include <thread>
#include <cstdio>

#include "agent/agent.h"
#include "agent/deployment.h"
#include "common/uplink/enrol.h"
#include "agent/token_input.h"
#include "common/uplink/uplink.h"
#include "agent/windows_service.h"
#include "common/log/log.h"
#include "common/crypto/crypto.h"
#include "common/util/args.h"
#include "common/util/files.h"

namespace {
using namespace posture;
using namespace posture::agent;

constexpr const char* kUsage = R"(posture-agent — tác tử báo cáo tình trạng an toàn thông tin
Usage:
  posture-agent collect --json [--state-dir DIR]
  posture-agent enroll --collector HOST:PORT --state-dir DIR
                       (--token-file FILE | --token - | --token TOKEN)
                       (--ca-fingerprint SHA256 | --trust-on-first-use) [--force]
      --token-file FILE  the token from a file (warned when other users can read it)
      --token -          the token from standard input
      --token TOKEN      on the command line, which other local users can see (ps)
      --ca-fingerprint   the collector CA's SHA-256 (`posture-collector token create`
                         prints it): nothing is sent to a server whose TLS chain does not
                         end in that CA
      --trust-on-first-use  without a fingerprint: trust the CA the server sends, and
                         print its fingerprint (anyone on the network could answer)
  posture-agent run --state-dir DIR [--once] [--interval 1h] [--log-level info] [--config FILE]
                    [--spool-max-reports 1000] [--spool-max-mb 64] [--renew-before 30d]
                    [--log-file FILE]
Windows:
  posture-agent service   (started by the Service Control Manager as PostureAgent; settings
                           from HKLM\SOFTWARE\Posture\Agent, state in
                           %ProgramData%\Posture\Agent; --state-dir defaults to it)
  (posture-agent cycle … is the worker `run` starts for each cycle; not for direct use.)
)";

std::atomic<bool> g_stop{false};
#ifndef _WIN32
void onSignal(int) { g_stop.store(true); }
#endif

int collect(const std::vector<std::string>& argv) {
  util::Args a(argv, {"state-dir"}, {"json"});
  if (!a.flag("json")) throw util::ArgsError("collect prints JSON: add --json");
  CollectOptions c;
  if (auto dir = a.get("state-dir")) {
    // Its apt plan cache lives there: a new directory is made (0700) rather than every
    // later run paying for an uncached plan.
    util::ensurePrivateDirectory(*dir);
    if (isEnrolled(*dir)) c = collectOptionsFor(loadState(*dir));
    c.cacheDir = *dir;
  }
  auto report = collectReport(c);
  std::string json;
  google::protobuf::util::JsonPrintOptions p;
  p.add_whitespace = true;
  p.preserve_proto_field_names = true;
  auto st = google::protobuf::util::MessageToJsonString(report, &json, p);
  if (!st.ok()) throw std::runtime_error("cannot print the report as JSON: " + st.ToString());
  std::fputs(json.c_str(), stdout);
  return 0;
}

int enroll(const std::vector<std::string>& argv) {
  util::Args a(argv, {"collector", "token", "token-file", "state-dir", "ca-fingerprint"},
               {"force", "trust-on-first-use"});
  EnrolOptions o;
  o.collector = a.require("collector");
  o.stateDir = a.require("state-dir");
  o.caFingerprint = a.getOr("ca-fingerprint", "");
  o.trustOnFirstUse = a.flag("trust-on-first-use");
  o.force = a.flag("force");
  auto token = readToken(a.get("token"), a.get("token-file"), std::cin);
  if (!token.warning.empty()) std::fprintf(stderr, "%s\n", token.warning.c_str());
  o.token = std::move(token.token);
  auto s = enrol(o);
  std::printf("enrolled: agent %s in unit %s with collector %s\n", s.agentId.c_str(),
              s.unitCode.c_str(), s.collector.c_str());
  if (o.caFingerprint.empty()) {
    std::string fp = crypto::certificateFingerprint(s.caPem);
    std::fprintf(stderr,
                 "cảnh báo: không có --ca-fingerprint; đã tin CA của máy chủ trả lời đầu tiên: %s — "
                 "hãy đối chiếu với máy chủ thu thập / warning: no --ca-fingerprint; trusted the "
                 "collector CA on first use: %s — compare it with the collector's\n",
                 fp.c_str(), fp.c_str());
  }
  return 0;
}

void installSignalHandlers() {
#ifdef _WIN32
  windows::installConsoleStopHandler(g_stop);
#else
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
#endif
}

// --state-dir, which Windows defaults to %ProgramData%\Posture\Agent.
std::filesystem::path stateDirOf(const util::Args& a) {
#ifdef _WIN32
  if (!a.get("state-dir")) return windows::defaultStateDir();
#endif
  return a.require("state-dir");
}

void applyLogFile(const util::Args& a) {
  if (auto file = a.get("log-file")) {
    if (!log::setFile(*file)) throw util::ArgsError("cannot open --log-file " + *file);
  }
}

std::string applyLogLevel(const util::Args& a) {
  std::string name = a.getOr("log-level", "info");
  log::Level level;
  if (!log::parseLevel(name, level)) throw util::ArgsError("unknown --log-level '" + name + "'");
  log::setLevel(level);
  return name;
}

// Exit status when a person must act (bad token, CA mismatch, nothing configured): the
// service does not restart on it (RestartPreventExitStatus=3).
constexpr int kNeedsAttention = 3;

// Enrols from the deployment settings when the state directory holds no enrolment yet.
// Waits and retries while the collector cannot be reached; returns an exit status when a
// person must act, or nullopt once enrolled.
std::optional<int> enrolFromDeployment(const std::filesystem::path& stateDir, const Deployment& d) {
  if (isEnrolled(stateDir)) return std::nullopt;
  auto get = [&](const char* k) {
    auto it = d.find(k);
    return it == d.end() ? std::string() : it->second;
  };
  EnrolOptions e;
  e.collector = get("collector");
  e.token = get("token");
  e.caFingerprint = get("ca_fingerprint");
  e.trustOnFirstUse = isYes(get("trust_on_first_use"));
  e.stateDir = stateDir;
  if (e.collector.empty() || e.token.empty()) {
    log::error("chưa đăng ký và chưa cấu hình collector=, token= / not enrolled, and no collector= "
               "and token= in the configuration (or POSTURE_COLLECTOR, POSTURE_TOKEN)");
    return kNeedsAttention;
  }
  auto wait = std::chrono::seconds(5);
  while (!g_stop.load()) {
    try {
      // Without ca_fingerprint and trust_on_first_use this throws before connecting.
      auto s = enrol(e);
      log::info("enrolled: agent ", s.agentId, " in unit ", s.unitCode, " with collector ", s.collector);
      if (e.caFingerprint.empty()) {
        std::string fp = crypto::certificateFingerprint(s.caPem);
        log::warn("không có ca_fingerprint; đã tin CA của máy chủ trả lời đầu tiên (trust_on_first_use): ", fp,
                  " / no ca_fingerprint; trusted the collector CA on first use: ", fp);
      }
      return std::nullopt;
    } catch (const UplinkError& err) {
      if (!err.retryable()) {
        log::error("enrolment refused: ", err.what());
        return kNeedsAttention;
      }
      log::warn("enrolment failed, retrying in ", wait.count(), " s: ", err.what());
    }
    for (int i = 0; i < wait.count() * 5 && !g_stop.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    wait = std::min(wait * 2, std::chrono::seconds(600));
  }
  return 0;
}

// Before enrolling: a token in a file other users can read is worth a warning.
void warnAboutReadableToken(const std::string& configFile, const Deployment& d) {
  if (configFile.empty() || !d.count("token") || !util::readableByOthers(configFile)) return;
  log::warn("người dùng khác trên máy này đọc được mã đăng ký trong ", configFile, " (chmod 600 ", configFile,
            ") / ", configFile, " holds the enrolment token and other users of this machine can read it (chmod 600 ",
            configFile, ")");
}

// Once enrolled the token has no use, and a configuration file gets copied and read: it
// leaves agent.conf (the other lines stay). The environment cannot be rewritten from here.
void forgetDeploymentToken(const std::string& configFile) {
  if (!configFile.empty()) {
    try {
      if (forgetToken(configFile)) {
        log::info("đã xoá mã đăng ký khỏi ", configFile, " / removed the enrolment token from ", configFile);
      }
    } catch (const std::exception& e) {
      log::warn("không xoá được mã đăng ký khỏi ", configFile, ", hãy xoá dòng token= / cannot remove the "
                "enrolment token from ", configFile, " (remove the token= line by hand): ", e.what());
    }
  }
  if (const char* t = std::getenv("POSTURE_TOKEN"); t && *t) {
    log::warn("đã đăng ký, hãy xoá POSTURE_TOKEN (ví dụ trong /etc/posture/agent.env) / enrolled: remove "
              "POSTURE_TOKEN from the environment (e.g. /etc/posture/agent.env)");
  }
}

// Interval, spool and renewal settings shared by `run` and the Windows service.
void applyRunSettings(RunOptions& o, const util::Args& a, Deployment& deployment) {
  std::string intervalText = a.getOr("interval", deployment.count("interval") ? deployment["interval"] : "1h");
  auto interval = util::parseDurationSeconds(intervalText);
  if (!interval || *interval < 1) throw util::ArgsError("--interval must be a duration like 30s or 1h");
  o.interval = std::chrono::seconds(*interval);
  o.spool.maxReports = static_cast<std::size_t>(a.number("spool-max-reports", 1000, 1, 1000000));
  o.spool.maxBytes = static_cast<std::size_t>(a.number("spool-max-mb", 64, 1, 65536)) << 20;
  auto renew = util::parseDurationSeconds(a.getOr("renew-before", "30d"));
  if (!renew || *renew < 0) throw util::ArgsError("--renew-before must be a duration like 30d");
  o.renewBefore = std::chrono::seconds(*renew);
}

int run(const std::vector<std::string>& argv) {
  util::Args a(argv, {"state-dir", "interval", "log-level", "spool-max-reports", "spool-max-mb",
                      "renew-before", "config", "log-file"},
               {"once"});
  RunOptions o;
  o.logLevel = applyLogLevel(a);
  applyLogFile(a);
  o.logFile = a.getOr("log-file", "");
  o.stateDir = stateDirOf(a);
  o.once = a.flag("once");
  installSignalHandlers();
  std::string config = a.getOr("config", "");
  auto deployment = readDeployment(config);
  if (a.get("config") || std::getenv("POSTURE_TOKEN")) {
    if (!isEnrolled(o.stateDir)) warnAboutReadableToken(config, deployment);
    if (auto status = enrolFromDeployment(o.stateDir, deployment)) return *status;
    forgetDeploymentToken(config);
  }
  applyRunSettings(o, a, deployment);
  return runAgent(o, g_stop);
}

#ifdef _WIN32
// The Windows service: waits until the registry holds a collector and a token (the MSI
// writes them; an install without them must not fail), enrols, then runs as `run` does.
int service(const std::vector<std::string>& argv) {
  util::Args a(argv, {"log-level", "state-dir"}, {});
  RunOptions o;
  o.logLevel = applyLogLevel(a);
  o.stateDir = stateDirOf(a);
  ensureStateDir(o.stateDir);
  o.logFile = (o.stateDir / "agent.log").string();
  log::setFile(o.logFile);
  return windows::runService(
      [&](const std::atomic<bool>& stop) -> int {
        auto deployment = windows::readRegistryDeployment();
        while (enrolFromDeployment(o.stateDir, deployment)) {
          if (stop.load()) return 0;
          log::warn("chưa đăng ký được; đọc lại HKLM\\SOFTWARE\\Posture\\Agent sau 60 giây / not enrolled; "
                    "reading HKLM\\SOFTWARE\\Posture\\Agent again in 60 s (msiexec … COLLECTOR=HOST:PORT "
                    "TOKEN=… CA_FINGERPRINT=SHA256)");
          for (int i = 0; i < 300 && !stop.load(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
          deployment = windows::readRegistryDeployment();
        }
        if (stop.load()) return 0;
        windows::forgetRegistryToken();
        applyRunSettings(o, a, deployment);
        return runAgent(o, stop);
      },
      g_stop);
}
#endif

// The worker of one cycle, started by `run` (agent/agent.h); its exit status is the
// CycleResult.
int cycle(const std::vector<std::string>& argv) {
  util::Args a(argv,
               {"state-dir", "log-level", "timeout-ms", "spool-max-reports", "spool-max-bytes",
                "supervisor", "renew-before", "log-file", "stop-event"},
               {"send-only"});
  applyLogLevel(a);
  applyLogFile(a);
  installSignalHandlers();
  auto supervisor = a.number("supervisor", 0, 0, 1LL << 40);
#ifdef _WIN32
  // The supervisor's job object kills a worker it leaves behind; the event asks it to stop.
  windows::watchSupervisor(static_cast<unsigned long>(supervisor),
                           static_cast<std::uintptr_t>(a.number("stop-event", 0, 0, 1LL << 62)), g_stop);
#else
  // A worker whose supervisor is gone stops too (SIGTERM); if it is gone already, the
  // worker does not start at all.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (supervisor != 0 && ::getppid() != static_cast<pid_t>(supervisor)) {
    return static_cast<int>(CycleResult::Failed);
  }
#endif
  CycleOptions o;
  o.stateDir = a.require("state-dir");
  o.collect = !a.flag("send-only");
  o.timeout = std::chrono::milliseconds(a.number("timeout-ms", 30000, 100, 3600000));
  o.spool.maxReports = static_cast<std::size_t>(a.number("spool-max-reports", 1000, 1, 1000000));
  o.spool.maxBytes =
      static_cast<std::size_t>(a.number("spool-max-bytes", 64LL << 20, 1024, 1LL << 46));
  auto renew = util::parseDurationSeconds(a.getOr("renew-before", "30d"));
  if (!renew || *renew < 0) throw util::ArgsError("--renew-before must be a duration like 30d");
  o.renewBefore = std::chrono::seconds(*renew);
  return static_cast<int>(runCycle(o, g_stop));
}
}  // namespace

namespace posture::agent {

const char* const kAgentUsage = kUsage;

std::vector<util::Command> agentCommands() {
  return {{{"collect"}, collect},
          {{"enroll"}, enroll},
          {{"enrol"}, enroll},
          {{"run"}, run},
#ifdef _WIN32
          {{"service"}, service},
#endif
          {{"cycle"}, cycle}};
}

}  // namespace posture::agent

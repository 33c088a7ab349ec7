// The Windows agent, cross-built with mingw-w64, run under Wine (headless, no X): it
// enrols and reports to a real collector on loopback over mTLS, says which probes Wine
// cannot answer and why, and its MSI installs, upgrades and removes the service.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "common/db/sqlite.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "posture/v1/report.pb.h"
#include "tests/integration/child_process.h"

using namespace posture;
using posture::test::CollectorProcess;
namespace fs = std::filesystem;

namespace {

// A Wine prefix of its own (a fresh "C:" drive and registry), removed at the end; every
// Wine process of it is killed first, services included.
struct WinePrefix {
  std::string dir = test::makeTempDir("posture-wine-");
  WinePrefix() {
    ::setenv("WINEPREFIX", dir.c_str(), 1);
    ::setenv("WINEDEBUG", "-all", 1);
    ::setenv("WINEDLLOVERRIDES", "mscoree,mshtml=", 1);  // no Mono/Gecko install prompts
    auto boot = run({"wineboot", "--init"}, std::chrono::minutes(4));
    INFO(boot.err);
    REQUIRE(boot.exitCode == 0);
    settle();
  }
  // Waits until every process of the prefix has ended. Wine's msiexec creates a service
  // and then fails to open it (1060, "InstallFinalize returned 1627") when an earlier
  // services.exe of the prefix is still shutting down, so installs start from a quiet
  // prefix.
  void settle() const {
    ::setenv("WINEPREFIX", dir.c_str(), 1);
    util::runProcess({fs::path(POSTURE_WINE64).parent_path() / "wineserver", "-w"},
                     std::chrono::seconds(60));
  }
  ~WinePrefix() {
    ::setenv("WINEPREFIX", dir.c_str(), 1);
    util::runProcess({fs::path(POSTURE_WINE64).parent_path() / "wineserver", "-k"},
                     std::chrono::seconds(30));
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // A program of the prefix (wineboot, msiexec, reg) or a Windows .exe path.
  util::ProcessResult run(std::vector<std::string> argv,
                          std::chrono::milliseconds timeout = std::chrono::minutes(2)) const {
    ::setenv("WINEPREFIX", dir.c_str(), 1);
    argv.insert(argv.begin(), POSTURE_WINE64);
    return util::runProcess(argv, timeout);
  }
  fs::path driveC() const { return fs::path(dir) / "drive_c"; }
};

// Unix path as Wine sees it (drive Z: is the Unix root).
std::string winPath(const fs::path& p) {
  std::string s = "Z:" + p.string();
  for (auto& c : s) {
    if (c == '/') c = '\\';
  }
  return s;
}

std::vector<posture::v1::Report> storedReports(const CollectorProcess& c) {
  db::Connection conn(fs::path(c.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = conn.prepare("SELECT body FROM reports ORDER BY id");
  std::vector<posture::v1::Report> out;
  while (st.step()) {
    posture::v1::Report r;
    REQUIRE(r.ParseFromString(st.getBlob(0)));
    out.push_back(r);
  }
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string statusName(posture::v1::ProbeStatus s) { return posture::v1::ProbeStatus_Name(s); }

// What the probes said, for the test log: the note's "which probes are unavailable".
std::string describe(const posture::v1::Report& r) {
  std::ostringstream out;
  out << "identity: " << statusName(r.identity().probe().status()) << " " << r.identity().os_name()
      << " | " << r.identity().probe().message() << "\n";
  out << "antivirus: " << statusName(r.antivirus().probe().status()) << " | "
      << r.antivirus().probe().message() << "\n";
  out << "patches: " << statusName(r.patches().probe().status()) << " | "
      << r.patches().probe().message() << "\n";
  out << "ipv6: " << statusName(r.ipv6().probe().status()) << " level " << r.ipv6().readiness_level()
      << " | " << r.ipv6().probe().message() << "\n";
  out << "firewall: " << statusName(r.firewall().probe().status()) << " | "
      << r.firewall().probe().message() << "\n";
  return out.str();
}

}  // namespace

TEST_CASE("the Windows agent is one static executable that needs only system DLLs") {
  auto dump = util::runProcess({POSTURE_MINGW_OBJDUMP, "-p", POSTURE_WINDOWS_AGENT_EXE});
  REQUIRE(dump.exitCode == 0);
  CHECK(contains(dump.out, "file format pei-x86-64"));
  std::set<std::string> dlls;
  std::istringstream lines(dump.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find("DLL Name: ");
    if (at != std::string::npos) dlls.insert(line.substr(at + 10));
  }
  // Every one ships with Windows 10 / Server 2016.
  const std::set<std::string> system = {
      "ADVAPI32.dll", "KERNEL32.dll", "msvcrt.dll",  "WS2_32.dll",   "CRYPT32.dll",
      "ole32.dll",    "OLEAUT32.dll", "IPHLPAPI.DLL", "USER32.dll",  "bcrypt.dll",
      "SHELL32.dll",  "DNSAPI.dll",   "GDI32.dll",    "MSWSOCK.dll", "api-ms-win-crt-runtime-l1-1-0.dll"};
  REQUIRE_FALSE(dlls.empty());
  for (const auto& d : dlls) {
    INFO("imports " << d);
    CHECK(system.count(d) == 1);
  }
}

TEST_CASE("under Wine the agent enrols, collects and reports to the collector over mTLS") {
  CollectorProcess collector;
  WinePrefix wine;
  fs::path state = fs::path(test::makeTempDir("posture-winagent-")) / "state";

  auto enrol = wine.run({POSTURE_WINDOWS_AGENT_EXE, "enroll", "--collector", collector.address,
                         "--token", collector.createToken("BS-UBND"), "--state-dir", winPath(state),
                         "--ca-fingerprint", collector.caFingerprint});
  INFO("enroll stderr: " << enrol.err);
  REQUIRE(enrol.exitCode == 0);
  CHECK(contains(enrol.out, "in unit BS-UBND"));
  CHECK(fs::exists(state / "agent.key"));
  CHECK(fs::exists(state / "agent.crt"));

  // The service's supervisor and worker processes, as on Windows.
  auto run = wine.run({POSTURE_WINDOWS_AGENT_EXE, "run", "--state-dir", winPath(state), "--once"},
                      std::chrono::minutes(3));
  INFO("run stderr: " << run.err);
  REQUIRE(run.exitCode == 0);
  CHECK(contains(run.err, "report 1 acknowledged"));
  // It says, in its log, what Wine could not answer.
  CHECK(contains(run.err, "antivirus probe unavailable: "));
  CHECK(contains(run.err, "SecurityCenter2"));

  auto reports = storedReports(collector);
  REQUIRE(reports.size() == 1);
  const auto& r = reports[0];
  MESSAGE("what the probes said under Wine:\n" << describe(r));
  CHECK(r.identity().probe().status() == posture::v1::PROBE_STATUS_OK);
  CHECK(contains(r.identity().os_name(), "Windows"));
  CHECK_FALSE(r.identity().hostname().empty());
  // Wine has no Security Center and no Defender: unavailable, with the reason.
  CHECK(r.antivirus().probe().status() == posture::v1::PROBE_STATUS_UNAVAILABLE);
  CHECK(contains(r.antivirus().probe().message(), "SecurityCenter2"));
  // Every probe answered or said why not; none crashed the report.
  for (const auto* p : {&r.patches().probe(), &r.ipv6().probe(), &r.firewall().probe()}) {
    if (p->status() != posture::v1::PROBE_STATUS_OK) CHECK_FALSE(p->message().empty());
  }
  // GetAdaptersAddresses works under Wine: the IPv6 probe reads the loopback at least.
  CHECK(r.ipv6().probe().status() != posture::v1::PROBE_STATUS_ERROR);
}

namespace {
// `reg query KEY [/v NAME]` under Wine; "" when the key or value does not exist.
std::string regQuery(const WinePrefix& wine, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"reg", "query"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = wine.run(argv, std::chrono::seconds(60));
  return r.exitCode == 0 ? r.out : std::string();
}

constexpr const char* kServiceKey = "HKLM\\System\\CurrentControlSet\\Services\\PostureAgent";

// The MSI of another version, from the same program and .wxs (an upgrade to install).
// wixl wants relative paths, so it runs in a directory holding all three files.
fs::path buildMsi(const std::string& version, const fs::path& dir) {
  std::string name = "posture-agent-" + version + "-x64.msi";
  fs::copy_file(POSTURE_WINDOWS_AGENT_EXE, dir / "posture-agent.exe");
  for (const char* f : {"posture-agent.wxs", "README.txt"}) {
    fs::copy_file(fs::path(POSTURE_SOURCE_DIR) / "installers" / "windows" / f, dir / f);
  }
  auto cwd = fs::current_path();
  fs::current_path(dir);
  auto r = util::runProcess({POSTURE_WIXL, "-a", "x64", "-D", "Version=" + version, "-D",
                             "AgentExe=posture-agent.exe", "-D", "Readme=README.txt", "-o", name,
                             "posture-agent.wxs"},
                            std::chrono::minutes(2));
  fs::current_path(cwd);
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  return dir / name;
}

// Wine starts automatic services whenever a prefix wakes up, msiexec included, so the old
// agent would start in the middle of msiexec's stop, delete and file removal, which never
// happens on Windows (Wine then fails the install with 1627 or leaves the in-use .exe).
// Set to start on demand, it stays stopped; the upgrade's ServiceInstall makes it
// automatic again, and stopping and removing it is still msiexec's work.
void onDemand(const WinePrefix& wine) {
  auto r = wine.run({"reg", "add", kServiceKey, "/v", "Start", "/t", "REG_DWORD", "/d", "3", "/f"});
  REQUIRE(r.exitCode == 0);
  wine.settle();
}

template <typename Pred>
bool waitFor(Pred pred, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return pred();
}
}  // namespace

TEST_CASE("under Wine the MSI installs the service silently, an upgrade keeps the enrolment, "
          "uninstalling removes the service") {
  CollectorProcess collector;
  WinePrefix wine;
  std::string token = collector.createToken("BS-XA-BINHCHAU");

  wine.settle();
  auto install = wine.run({"msiexec", "/i", winPath(POSTURE_WINDOWS_AGENT_MSI), "/qn",
                           "COLLECTOR=" + collector.address, "TOKEN=" + token,
                           "CA_FINGERPRINT=" + collector.caFingerprint},
                          std::chrono::minutes(4));
  INFO("msiexec /i: " << install.out << install.err);
  REQUIRE(install.exitCode == 0);

  fs::path exe = wine.driveC() / "Program Files" / "Posture" / "Agent" / "posture-agent.exe";
  CHECK(fs::exists(exe));
  // The service, as the SCM will start it: automatic, LocalSystem, `service` argument.
  auto service = regQuery(wine, {kServiceKey});
  INFO("service key: " << service);
  REQUIRE_FALSE(service.empty());
  CHECK(contains(service, "posture-agent.exe"));
  CHECK(contains(service, "service"));
  CHECK(contains(service, "LocalSystem"));
  CHECK(contains(service, "0x2"));  // Start = SERVICE_AUTO_START
  // The deployment properties reached the registry.
  CHECK(contains(regQuery(wine, {"HKLM\\SOFTWARE\\Posture\\Agent", "/v", "Collector"}),
                 collector.address));
  CHECK(contains(regQuery(wine, {"HKLM\\SOFTWARE\\Posture\\Agent", "/v", "CaFingerprint"}),
                 collector.caFingerprint));

  // msiexec started the service; it enrols with the token and reports.
  fs::path state = wine.driveC() / "ProgramData" / "Posture" / "Agent";
  // Wine ends a service with the prefix's last ordinary process and starts it again
  // (automatic start) with the next one: each poll runs one, so the service keeps running.
  bool reported = waitFor(
      [&] {
        regQuery(wine, {kServiceKey});
        return !storedReports(collector).empty();
      },
      std::chrono::seconds(120));
  auto log = util::readFile(state / "agent.log").value_or("(no agent.log)");
  INFO("agent.log: " << log);
  REQUIRE(reported);
  CHECK(storedReports(collector)[0].identity().unit_code() == "BS-XA-BINHCHAU");
  auto conf = util::readFile(state / "agent.conf");
  REQUIRE(conf.has_value());
  // Once enrolled, the token leaves the registry (every user can read HKLM\SOFTWARE).
  CHECK(waitFor([&] { return !contains(regQuery(wine, {"HKLM\\SOFTWARE\\Posture\\Agent"}), "Token"); },
                std::chrono::seconds(30)));

  // Upgrade to a newer version, without properties: same enrolment, service still there.
  fs::path msiDir = test::makeTempDir("posture-msi-");
  fs::path newer = buildMsi("0.99.0", msiDir);
  onDemand(wine);
  auto upgrade = wine.run({"msiexec", "/i", winPath(newer), "/qn"},
                          std::chrono::minutes(4));
  INFO("upgrade: " << upgrade.out << upgrade.err);
  REQUIRE(upgrade.exitCode == 0);
  CHECK(util::readFile(state / "agent.conf") == conf);
  CHECK(fs::exists(exe));
  auto upgraded = regQuery(wine, {kServiceKey});
  CHECK(contains(upgraded, "0x2"));  // automatic again
  CHECK(contains(upgraded, "posture-agent.exe service"));

  onDemand(wine);
  auto remove = wine.run({"msiexec", "/x", winPath(msiDir / "posture-agent-0.99.0-x64.msi"), "/qn"},
                         std::chrono::minutes(4));
  INFO("msiexec /x: " << remove.out << remove.err);
  REQUIRE(remove.exitCode == 0);
  CHECK(regQuery(wine, {kServiceKey}).empty());
  CHECK_FALSE(fs::exists(exe));
  // The enrolment stays for a reinstall; removing it is the administrator's decision.
  CHECK(fs::exists(state / "agent.conf"));
}

TEST_CASE("under Wine the MSI's service refuses to enrol without CA_FINGERPRINT and says why, "
          "and enrols with TRUST_ON_FIRST_USE=1") {
  CollectorProcess collector;
  WinePrefix wine;
  std::string token = collector.createToken("BS-XA-BINHCHAU");
  fs::path state = wine.driveC() / "ProgramData" / "Posture" / "Agent";
  auto agentLog = [&] { return util::readFile(state / "agent.log").value_or(""); };
  auto install = [&](std::vector<std::string> properties) {
    wine.settle();
    std::vector<std::string> argv = {"msiexec", "/i", winPath(POSTURE_WINDOWS_AGENT_MSI), "/qn"};
    argv.insert(argv.end(), properties.begin(), properties.end());
    auto r = wine.run(argv, std::chrono::minutes(4));
    INFO("msiexec /i: " << r.out << r.err);
    REQUIRE(r.exitCode == 0);
  };

  install({"COLLECTOR=" + collector.address, "TOKEN=" + token});
  // Each poll runs a process of the prefix, which keeps Wine's services running.
  bool refused = waitFor(
      [&] {
        regQuery(wine, {kServiceKey});
        return contains(agentLog(), "enrolment refused");
      },
      std::chrono::seconds(120));
  INFO("agent.log: " << agentLog());
  REQUIRE(refused);
  CHECK(contains(agentLog(), "không đăng ký: chưa có dấu vân tay CA"));
  CHECK(contains(agentLog(), "MSI: CA_FINGERPRINT="));
  CHECK(contains(agentLog(), "TRUST_ON_FIRST_USE=1"));
  CHECK(storedReports(collector).empty());
  CHECK_FALSE(fs::exists(state / "agent.conf"));
  // Nothing was sent, so the token is still good and still where the MSI put it.
  CHECK(contains(regQuery(wine, {"HKLM\\SOFTWARE\\Posture\\Agent", "/v", "Token"}), token));

  // Deployed again, accepting trust on first use.
  onDemand(wine);
  auto remove = wine.run({"msiexec", "/x", winPath(POSTURE_WINDOWS_AGENT_MSI), "/qn"}, std::chrono::minutes(4));
  INFO("msiexec /x: " << remove.out << remove.err);
  REQUIRE(remove.exitCode == 0);
  install({"COLLECTOR=" + collector.address, "TOKEN=" + token, "TRUST_ON_FIRST_USE=1"});
  CHECK(contains(regQuery(wine, {"HKLM\\SOFTWARE\\Posture\\Agent", "/v", "TrustOnFirstUse"}), "1"));
  bool reported = waitFor(
      [&] {
        regQuery(wine, {kServiceKey});
        return !storedReports(collector).empty();
      },
      std::chrono::seconds(120));
  INFO("agent.log: " << agentLog());
  REQUIRE(reported);
  CHECK(contains(agentLog(), "trusted the collector CA on first use: " + collector.caFingerprint));
  CHECK(waitFor([&] { return !contains(regQuery(wine, {"HKLM\\SOFTWARE\\Posture\\Agent"}), "Token"); },
                std::chrono::seconds(30)));
}

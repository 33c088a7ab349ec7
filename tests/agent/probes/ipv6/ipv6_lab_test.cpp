// IPv6 readiness on a real network: a router namespace runs radvd (2001:db8:1::/64 with
// RDNSS) and dnsmasq (AAAA of the collector's name) on a bridge, with a listening TCP
// socket standing in for the collector; one client namespace per readiness level runs
// the probe (through ipv6_probe_helper under `ip netns exec`, which bind-mounts the
// client's /etc/netns/<name>/resolv.conf) and must report that level with its reasons.
// Root only; only documentation addresses (2001:db8::/32) are used.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/util/files.h"
#include "common/util/process.h"

namespace fs = std::filesystem;
using posture::util::runProcess;

namespace {

constexpr const char* kCollector = "collector.posture.test";
constexpr const char* kRouterAddress = "2001:db8:1::1";
constexpr int kOpenPort = 8443;
constexpr int kClosedPort = 8444;  // nothing listens there in the fresh router namespace

std::string joined(const std::vector<std::string>& parts, const std::string& separator = " ") {
  std::string s;
  for (const auto& a : parts) s += (s.empty() ? "" : separator) + a;
  return s;
}

std::string run(const std::vector<std::string>& argv) {
  auto r = runProcess(argv, std::chrono::seconds(20));
  if (!r.started || r.timedOut || r.exitCode != 0) {
    throw std::runtime_error("`" + joined(argv) + "` failed: " + r.error + " " + r.err);
  }
  return r.out;
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

// The lab: every resource is registered as soon as it exists, and the destructor removes
// all of them, so a failed step leaves nothing behind.
class Lab {
 public:
  Lab() : prefix_("pv6-" + std::to_string(::getpid()) + "-") {
    dir_ = fs::temp_directory_path() / ("posture-ipv6-lab-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  ~Lab() {
    for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
      ::kill(*it, SIGTERM);
      for (int i = 0; i < 50 && ::waitpid(*it, nullptr, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (::waitpid(*it, nullptr, WNOHANG) == 0) {
        ::kill(*it, SIGKILL);
        ::waitpid(*it, nullptr, 0);
      }
    }
    if (listener_ >= 0) ::close(listener_);
    for (const auto& ns : namespaces_) runProcess({"ip", "netns", "del", ns}, std::chrono::seconds(10));
    std::error_code ec;
    for (const auto& d : etcDirs_) fs::remove_all(d, ec);
    if (createdEtcNetns_) fs::remove("/etc/netns", ec);  // only if empty
    fs::remove_all(dir_, ec);
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  std::string addNamespace(const std::string& suffix) {
    auto name = prefix_ + suffix;
    run({"ip", "netns", "add", name});
    namespaces_.push_back(name);
    run({"ip", "-n", name, "link", "set", "lo", "up"});
    return name;
  }

  static void sysctl(const std::string& ns, const std::string& key, const std::string& value) {
    // /proc/sys/net shows the namespace of the process that opens it.
    std::string path = "/proc/sys/" + key;
    for (auto& c : path) {
      if (c == '.') c = '/';
    }
    run({"ip", "netns", "exec", ns, "sh", "-c", "echo " + value + " > " + path});
  }

  void resolvConf(const std::string& ns, const std::string& text) {
    if (!fs::exists("/etc/netns")) {
      fs::create_directories("/etc/netns");
      createdEtcNetns_ = true;
    }
    fs::path d = fs::path("/etc/netns") / ns;
    fs::create_directories(d);
    etcDirs_.push_back(d);
    writeFile(d / "resolv.conf", text);
  }

  // A foreground daemon in a namespace; `ip netns exec` execs it, so the pid is its own.
  void startDaemon(const std::string& ns, std::vector<std::string> argv, const std::string& logName) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
    auto log = dir_ / logName;
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (out >= 0) {
        ::dup2(out, 1);
        ::dup2(out, 2);
      }
      if (in >= 0) ::dup2(in, 0);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    daemons_.push_back(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      daemons_.pop_back();
      auto text = posture::util::readFile(log.string(), 64 * 1024);
      throw std::runtime_error("`" + joined(argv) + "` exited at start: " + (text ? *text : ""));
    }
  }

  // A listening TCP socket created inside the router namespace (a socket stays in the
  // namespace it was made in), standing in for the collector.
  void listenIn(const std::string& ns, const char* address, int port) {
    int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      if (self >= 0) ::close(self);
      if (target >= 0) ::close(target);
      throw std::runtime_error("cannot enter namespace " + ns);
    }
    ::close(target);
    listener_ = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET6, address, &sa.sin6_addr);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = listener_ >= 0 && ::bind(listener_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
              ::listen(listener_, 16) == 0;
    int back = ::setns(self, CLONE_NEWNET);
    ::close(self);
    if (back != 0) throw std::runtime_error("cannot return to the original network namespace");
    if (!ok) throw std::runtime_error("cannot listen on [" + std::string(address) + "]:" + std::to_string(port));
  }

  const fs::path& dir() const { return dir_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string prefix_;
  fs::path dir_;
  std::vector<std::string> namespaces_;
  std::vector<fs::path> etcDirs_;
  bool createdEtcNetns_ = false;
  std::vector<pid_t> daemons_;
  int listener_ = -1;
};

// Waits (bounded) until `ip -6 addr` / `ip -6 route` of a client show what SLAAC gives.
bool waitFor(const std::string& ns, bool needRoute) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < until) {
    auto addr = runProcess({"ip", "-n", ns, "-6", "addr", "show", "dev", "eth0", "scope", "global"});
    bool haveAddr = addr.out.find("2001:db8:1:") != std::string::npos &&
                    addr.out.find("tentative") == std::string::npos;
    bool haveRoute = !needRoute || runProcess({"ip", "-n", ns, "-6", "route", "show", "default"}).out.find(
                                       "default") != std::string::npos;
    if (haveAddr && haveRoute) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

struct Report {
  std::multimap<std::string, std::string> values;
  std::string raw;
  std::string one(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  }
  std::vector<std::string> all(const std::string& key) const {
    std::vector<std::string> out;
    for (auto [it, end] = values.equal_range(key); it != end; ++it) out.push_back(it->second);
    return out;
  }
};

Report probeIn(const std::string& ns, int port) {
  auto r = runProcess({"ip", "netns", "exec", ns, POSTURE_IPV6_PROBE_HELPER, kCollector, std::to_string(port)},
                      std::chrono::seconds(30));
  if (!r.started || r.exitCode != 0) throw std::runtime_error("probe helper failed in " + ns + ": " + r.error + r.err);
  Report out;
  out.raw = r.out;
  std::size_t pos = 0;
  while (pos < r.out.size()) {
    auto eol = r.out.find('\n', pos);
    if (eol == std::string::npos) eol = r.out.size();
    auto line = r.out.substr(pos, eol - pos);
    auto tab = line.find('\t');
    if (tab != std::string::npos) out.values.emplace(line.substr(0, tab), line.substr(tab + 1));
    pos = eol + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("IPv6 lab: radvd and dnsmasq in namespaces, one client per readiness level") {
  if (::geteuid() != 0) {
    FAIL("the IPv6 lab needs root (network namespaces); run the test as root");
  }
  for (const char* tool : {"ip", "radvd", "dnsmasq"}) {
    if (posture::util::findExecutable(tool).empty()) {
      FAIL(tool << " is not installed: run scripts/install-deps.sh (packages radvd dnsmasq-base iproute2)");
    }
  }

  Lab lab;
  // Router: one bridge with the router's address, radvd, dnsmasq and the collector socket.
  auto router = lab.addNamespace("r");
  Lab::sysctl(router, "net.ipv6.conf.all.forwarding", "1");  // radvd refuses to advertise otherwise
  Lab::sysctl(router, "net.ipv6.conf.default.accept_dad", "0");
  run({"ip", "-n", router, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"});

  // Clients: sysctl defaults are set before eth0 arrives, because a device moved into a
  // namespace takes that namespace's defaults. DAD is off so addresses are usable at once.
  struct Client {
    int level;
    std::string ns;
  };
  std::vector<Client> clients;
  for (int level = 0; level <= 4; ++level) {
    auto ns = lab.addNamespace("c" + std::to_string(level));
    Lab::sysctl(ns, "net.ipv6.conf.default.accept_dad", "0");
    Lab::sysctl(ns, "net.ipv6.conf.default.forwarding", "0");
    Lab::sysctl(ns, "net.ipv6.conf.default.accept_ra", level == 1 ? "0" : "2");
    if (level == 2) Lab::sysctl(ns, "net.ipv6.conf.default.accept_ra_defrtr", "0");
    auto port = "v" + std::to_string(level);
    run({"ip", "-n", router, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns});
    run({"ip", "-n", router, "link", "set", port, "master", "br0", "up"});
    if (level == 0) {
      Lab::sysctl(ns, "net.ipv6.conf.default.disable_ipv6", "1");
      Lab::sysctl(ns, "net.ipv6.conf.all.disable_ipv6", "1");
    }
    run({"ip", "-n", ns, "link", "set", "eth0", "up"});
    // Level 2 has no resolver at all; the others point at the router (RDNSS is not read
    // by the kernel, so the file is what a resolver daemon would have written).
    lab.resolvConf(ns, level == 2 ? "# level 2 client: no resolver\n"
                                  : std::string("nameserver ") + kRouterAddress + "\noptions timeout:1 attempts:2\n");
    clients.push_back({level, ns});
  }
  run({"ip", "-n", router, "addr", "add", std::string(kRouterAddress) + "/64", "dev", "br0", "nodad"});
  run({"ip", "-n", router, "link", "set", "br0", "up"});

  auto radvdConf = lab.dir() / "radvd.conf";
  writeFile(radvdConf,
            "interface br0 {\n"
            "  AdvSendAdvert on;\n"
            "  MinRtrAdvInterval 3;\n"
            "  MaxRtrAdvInterval 4;\n"
            "  prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };\n"
            "  RDNSS 2001:db8:1::1 { };\n"
            "};\n");
  lab.startDaemon(router,
                  {"radvd", "--nodaemon", "--config", radvdConf.string(), "--pidfile",
                   (lab.dir() / "radvd.pid").string(), "--logmethod", "stderr"},
                  "radvd.log");
  lab.startDaemon(router,
                  {"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                   "--user=root", "--pid-file=" + (lab.dir() / "dnsmasq.pid").string(), "--bind-interfaces",
                   std::string("--listen-address=") + kRouterAddress, "--port=53",
                   std::string("--host-record=") + kCollector + "," + kRouterAddress, "--local=/posture.test/",
                   "--log-facility=-"},
                  "dnsmasq.log");
  lab.listenIn(router, kRouterAddress, kOpenPort);

  for (const auto& c : clients) {
    if (c.level >= 2) {
      INFO("client " << c.ns);
      REQUIRE_MESSAGE(waitFor(c.ns, c.level >= 3), "no SLAAC address (and default route) within 15 s");
    }
  }

  for (const auto& c : clients) {
    auto r = probeIn(c.ns, c.level == 3 ? kClosedPort : kOpenPort);
    INFO("client " << c.ns << " (expected level " << c.level << ") reported:\n" << r.raw);
    CHECK(r.one("status") == "ok");
    CHECK(r.one("source") == "netlink");
    CHECK(r.one("level") == std::to_string(c.level));
    auto reasons = r.all("reason");
    MESSAGE("level " << r.one("level") << " in " << c.ns << ": "
                     << (reasons.empty() ? std::string("(no reasons)") : joined(reasons, "; ")));
    switch (c.level) {
      case 0:
        CHECK(r.one("enabled") == "off");
        CHECK(reasons == std::vector<std::string>{"IPv6 is disabled on the host"});
        CHECK(r.one("interface") == "lo off");
        break;
      case 1:
        CHECK(r.one("enabled") == "on");
        CHECK(reasons ==
              std::vector<std::string>{"no routable IPv6 address (global 2000::/3 or unique-local fc00::/7)"});
        break;
      case 2:
        CHECK(r.one("best_scope") == "4");  // AddressScope::Global
        CHECK(r.one("default_route") == "off");
        CHECK(r.all("resolver").empty());
        CHECK(reasons == std::vector<std::string>{"no IPv6 default route", "no IPv6 DNS resolver configured"});
        // The kernel built the address from the RA: IFA_PROTO kernel_ra on kernels >= 5.18.
        CHECK(r.raw.find("address\teth0 2001:db8:1:") != std::string::npos);
        CHECK((r.raw.find("origin 2 proto 2") != std::string::npos ||
               r.raw.find("origin 6 proto -1") != std::string::npos));
        break;
      case 3:
        CHECK(r.one("default_route") == "on");
        CHECK(r.one("default_route_origin") == "ra");
        CHECK(r.one("default_route_device") == "eth0");
        CHECK(r.all("resolver") == std::vector<std::string>{kRouterAddress});
        CHECK(r.all("aaaa") == std::vector<std::string>{kRouterAddress});
        CHECK(reasons == std::vector<std::string>{"no TCP connection to the collector over IPv6: Connection refused"});
        break;
      case 4:
        CHECK(r.one("best_scope") == "4");
        CHECK(r.one("connect_status") == "ok ");
        CHECK(reasons.empty());
        break;
      default:
        break;
    }
  }
}

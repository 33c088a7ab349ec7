// The firewall probe against real nftables rule sets, each loaded in a network namespace
// this test creates, so the host's own rule set is never touched. Needs root and the
// nftables and iproute2 packages.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/probes/firewall.h"
#include "common/util/files.h"
#include "common/util/process.h"

using namespace posture;
using posture::agent::Tristate;

namespace {

struct Observed {
  int status = -1;
  Tristate enabled = Tristate::Unknown;
  Tristate defaultDeny = Tristate::Unknown;
  long ruleCount = -1;
  std::string backend;
  std::string message;
};

// Creates the namespace and deletes it however the test ends.
class Netns {
 public:
  Netns() : name_("posture-fw-" + std::to_string(::getpid())) {
    util::runProcess({"ip", "netns", "del", name_});  // a leftover of a killed run
    auto p = util::runProcess({"ip", "netns", "add", name_});
    REQUIRE_MESSAGE(p.exitCode == 0, "ip netns add failed: " << p.err << p.error);
  }
  ~Netns() { util::runProcess({"ip", "netns", "del", name_}); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  // Runs a command inside the namespace.
  void exec(std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", name_});
    auto p = util::runProcess(argv);
    REQUIRE_MESSAGE(p.exitCode == 0, argv[4] << " failed: " << p.err << p.error);
  }

  void load(const std::string& ruleset) {
    auto flush = util::runProcess({"ip", "netns", "exec", name_, "nft", "flush", "ruleset"});
    REQUIRE_MESSAGE(flush.exitCode == 0, "nft flush ruleset failed: " << flush.err);
    if (ruleset.empty()) return;
    auto file = std::filesystem::temp_directory_path() / (name_ + ".nft");
    util::writeFileAtomic(file, ruleset);
    auto p = util::runProcess({"ip", "netns", "exec", name_, "nft", "-f", file.string()});
    std::filesystem::remove(file);
    REQUIRE_MESSAGE(p.exitCode == 0, "nft -f failed: " << p.err);
  }

  // Runs the probe in a child that has joined the namespace; the result comes back
  // through a pipe as lines.
  Observed probe() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      int ns = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(2);
      auto r = agent::probeFirewall(agent::ProbeContext{});
      std::string out = std::to_string(static_cast<int>(r.outcome.status)) + "\n" +
                        std::to_string(static_cast<int>(r.enabled)) + "\n" +
                        std::to_string(static_cast<int>(r.defaultDenyInput)) + "\n" +
                        std::to_string(r.ruleCount ? static_cast<long>(*r.ruleCount) : -1L) + "\n" +
                        r.backend + "\n" + r.outcome.message;
      std::size_t done = 0;
      while (done < out.size()) {
        auto n = ::write(fds[1], out.data() + done, out.size() - done);
        if (n <= 0) ::_exit(3);
        done += static_cast<std::size_t>(n);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
      text.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    REQUIRE_MESSAGE((WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0),
                    "probe child failed: " << wstatus);

    Observed o;
    std::size_t pos = 0;
    auto next = [&] {
      auto nl = text.find('\n', pos);
      auto field = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? text.size() : nl + 1;
      return field;
    };
    o.status = std::stoi(next());
    o.enabled = static_cast<Tristate>(std::stoi(next()));
    o.defaultDeny = static_cast<Tristate>(std::stoi(next()));
    o.ruleCount = std::stol(next());
    o.backend = next();
    o.message = text.substr(pos);
    return o;
  }

 private:
  std::string name_;
};

constexpr const char* kDefaultDeny = R"(table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" accept
    ct state established,related accept
    tcp dport 22 accept
  }
}
)";

constexpr const char* kAllowAll = R"(table inet filter {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 23 drop
  }
}
)";

constexpr const char* kIpv4Only = R"(table ip filter {
  chain input {
    type filter hook input priority filter; policy drop;
    iif "lo" accept
  }
}
)";

}  // namespace

TEST_CASE("firewall probe tells default-deny, allow-all and empty nftables rule sets apart") {
  REQUIRE_MESSAGE(::geteuid() == 0, "this test creates network namespaces and needs root");
  REQUIRE_MESSAGE(!util::findExecutable("nft").empty(), "nftables is not installed");
  REQUIRE_MESSAGE(!util::findExecutable("ip").empty(), "iproute2 is not installed");
  Netns ns;

  ns.load(kDefaultDeny);
  auto deny = ns.probe();
  INFO("message: " << deny.message);
  CHECK(deny.status == static_cast<int>(agent::ProbeStatus::Ok));
  CHECK(deny.enabled == Tristate::On);
  CHECK(deny.defaultDeny == Tristate::On);
  CHECK(deny.ruleCount == 3);

  ns.load(kAllowAll);
  auto allow = ns.probe();
  INFO("message: " << allow.message);
  CHECK(allow.status == static_cast<int>(agent::ProbeStatus::Ok));
  CHECK(allow.enabled == Tristate::On);
  CHECK(allow.defaultDeny == Tristate::Off);
  CHECK(allow.ruleCount == 1);

  // A fresh namespace has IPv6 on, so an IPv4-only drop leaves input open over IPv6.
  ns.load(kIpv4Only);
  auto v4 = ns.probe();
  INFO("message: " << v4.message);
  CHECK(v4.enabled == Tristate::On);
  CHECK(v4.defaultDeny == Tristate::Off);
  CHECK(v4.message.find("default-deny for IPv4 only") != std::string::npos);

  ns.load("");
  auto empty = ns.probe();
  INFO("message: " << empty.message);
  CHECK(empty.status == static_cast<int>(agent::ProbeStatus::Ok));
  CHECK(empty.enabled == Tristate::Off);
  CHECK(empty.defaultDeny == Tristate::Off);
  CHECK(empty.ruleCount == 0);
  CHECK(empty.backend == "nftables");
}

TEST_CASE("firewall probe sees a legacy iptables policy that nft cannot show") {
  REQUIRE_MESSAGE(::geteuid() == 0, "this test creates network namespaces and needs root");
  REQUIRE_MESSAGE(!util::findExecutable("iptables-legacy").empty(), "iptables is not installed");
  Netns ns;
  ns.load("");
  ns.exec({"iptables-legacy", "-P", "INPUT", "DROP"});
  auto v4 = ns.probe();
  INFO("message: " << v4.message);
  CHECK(v4.backend == "iptables-legacy");
  CHECK(v4.enabled == Tristate::On);
  CHECK(v4.defaultDeny == Tristate::Off);  // IPv6 is still open

  ns.exec({"ip6tables-legacy", "-P", "INPUT", "DROP"});
  auto both = ns.probe();
  INFO("message: " << both.message);
  CHECK(both.backend == "iptables-legacy");
  CHECK(both.defaultDeny == Tristate::On);
  CHECK(both.ruleCount == 0);
}

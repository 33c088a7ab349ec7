// posture-flood-bench: the collector under slow clients (slowloris) and idle connections,
// the way a compromised machine of the same network would hold it. Starts a real collector
// (soft descriptor limit 1,024, as systemd gives it), then from 127.0.0.2.. (--sources of
// them) keeps --slow clients that finish the TLS handshake and send a request's headers
// one byte per second, reconnecting whenever the collector drops them, and --idle TCP
// connections that never send a byte. Meanwhile a legitimate client on 127.0.0.1 asks
// /healthz four times a second. Prints the collector's CPU and memory and the legitimate
// client's latency; never fails on the figures, only on errors.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/util/args.h"
#include "common/util/files.h"
#include "tests/integration/child_process.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace posture;
using Clock = std::chrono::steady_clock;

namespace {
struct Figures {
  std::atomic<std::uint64_t> handshakes{0}, dropped{0}, bytes{0}, failedConnects{0};
  std::atomic<int> established{0}, peakEstablished{0};
};

double cpuSeconds(pid_t pid) {
  auto stat = util::readFile("/proc/" + std::to_string(pid) + "/stat").value_or("");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string f;
  long ticks = 0;
  for (int i = 3; i <= 15 && in >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(f);
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long statusKiB(pid_t pid, const char* field) {
  auto s = util::readFile("/proc/" + std::to_string(pid) + "/status").value_or("");
  auto at = s.find(field);
  return at == std::string::npos ? -1 : std::stol(s.substr(at + std::string(field).size()));
}

// One slow client: handshake, then a byte a second, reconnecting until the deadline.
asio::awaitable<void> slowClient(tcp::endpoint to, asio::ip::address from,
                                 std::shared_ptr<asio::ssl::context> tls, Clock::time_point until,
                                 Figures& f) {
  auto ex = co_await asio::this_coro::executor;
  const std::string request = "POST /v1/enrol HTTP/1.1\r\nHost: collector\r\nContent-Length: 10\r\n";
  while (Clock::now() < until) {
    asio::ssl::stream<tcp::socket> s(ex, *tls);
    error_code ec;
    s.next_layer().open(to.protocol(), ec);
    if (!ec) s.next_layer().bind(tcp::endpoint(from, 0), ec);
    if (!ec) co_await s.next_layer().async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_await s.async_handshake(asio::ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
    asio::steady_timer t(ex);
    if (ec) {
      ++f.failedConnects;
      t.expires_after(std::chrono::milliseconds(200));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    ++f.handshakes;
    int now = ++f.established;
    int peak = f.peakEstablished.load();
    while (now > peak && !f.peakEstablished.compare_exchange_weak(peak, now)) {
    }
    for (std::size_t i = 0; Clock::now() < until; i = (i + 1) % request.size()) {
      co_await asio::async_write(s, asio::buffer(&request[i], 1),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      ++f.bytes;
      t.expires_after(std::chrono::seconds(1));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --f.established;
    if (Clock::now() < until) ++f.dropped;
  }
}
}  // namespace

int main(int argc, char** argv) {
  try {
    util::Args a(std::vector<std::string>(argv + 1, argv + argc),
                 {"slow", "idle", "sources", "seconds", "threads"}, {});
    int slow = std::stoi(a.getOr("slow", "2000"));
    int idle = std::stoi(a.getOr("idle", "0"));
    int sources = std::max(1, std::stoi(a.getOr("sources", "40")));
    int seconds = std::max(1, std::stoi(a.getOr("seconds", "30")));
    int threads = std::max(1, std::stoi(a.getOr("threads", "1")));
    // This process holds every client's descriptor; the collector starts with a soft limit
    // of 1,024 under the same hard limit, as systemd starts it.
    std::size_t hard = net::raiseDescriptorLimit();
    test::Launch launch;
    launch.prefix = {"prlimit", "--nofile=1024:" + std::to_string(hard), "--"};
    launch.stderrPath = "/dev/null";
    test::CollectorProcess collector({"--threads", "1"}, {}, launch);
    pid_t pid = collector.process->pid();
    auto [host, port] = net::splitHostPort(collector.address);
    tcp::endpoint to(asio::ip::make_address(host), static_cast<unsigned short>(std::stoi(port)));
    std::printf("collector %s (pid %d), %d slow and %d idle clients from %d addresses, %d s\n",
                collector.address.c_str(), pid, slow, idle, sources, seconds);

    asio::io_context io;
    auto tls = net::makeClientContext({});
    Figures f;
    auto start = Clock::now();
    auto until = start + std::chrono::seconds(seconds);
    double cpuBefore = cpuSeconds(pid);
    long rssBefore = statusKiB(pid, "VmRSS:");
    auto source = [&](int i) {
      return asio::ip::make_address("127.0.0." + std::to_string(2 + i % sources));
    };
    for (int i = 0; i < slow; ++i) asio::co_spawn(io, slowClient(to, source(i), tls, until, f), asio::detached);
    std::vector<std::unique_ptr<tcp::socket>> idlers;
    for (int i = 0; i < idle; ++i) {
      auto s = std::make_unique<tcp::socket>(io);
      error_code ec;
      s->open(tcp::v4(), ec);
      if (!ec) s->bind(tcp::endpoint(source(i), 0), ec);
      if (!ec) s->connect(to, ec);
      if (ec) ++f.failedConnects;
      idlers.push_back(std::move(s));
    }
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([&] { io.run(); });

    // The legitimate client: /healthz from 127.0.0.1, a fresh connection each time.
    std::vector<double> latencies;
    int failures = 0;
    long peakRss = rssBefore;
    while (Clock::now() < until) {
      auto t0 = Clock::now();
      try {
        auto r = net::postBlocking(tls, host, port, "/healthz", "text/plain", "",
                                   std::chrono::seconds(10));
        if (r.status == 200) {
          latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        } else {
          ++failures;
        }
      } catch (const std::exception&) {
        ++failures;
      }
      peakRss = std::max(peakRss, statusKiB(pid, "VmRSS:"));
      std::this_thread::sleep_until(t0 + std::chrono::milliseconds(250));
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = cpuSeconds(pid) - cpuBefore;
    idlers.clear();
    for (auto& t : pool) t.join();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
      return latencies.empty() ? -1.0
                               : latencies[std::min(latencies.size() - 1,
                                                    static_cast<std::size_t>(p * latencies.size()))];
    };
    std::printf("collector_cpu_seconds: %.2f (%.1f%% of one core over %.1f s)\n", cpu,
                100.0 * cpu / elapsed, elapsed);
    std::printf("collector_rss_kib: before %ld, peak %ld\n", rssBefore, peakRss);
    std::printf("slow_clients: %llu handshakes, peak %d established at once, %llu dropped by the "
                "collector, %llu bytes sent, %llu connects refused or failed\n",
                static_cast<unsigned long long>(f.handshakes.load()), f.peakEstablished.load(),
                static_cast<unsigned long long>(f.dropped.load()),
                static_cast<unsigned long long>(f.bytes.load()),
                static_cast<unsigned long long>(f.failedConnects.load()));
    std::printf("legit_healthz: %zu answered, %d failed, p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
                latencies.size(), failures, pct(0.5), pct(0.95), latencies.empty() ? -1.0 : latencies.back());
    if (latencies.empty()) {
      std::fprintf(stderr, "posture-flood-bench: the legitimate client never got an answer\n");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "posture-flood-bench: %s\n", e.what());
    return 1;
  }
}

#include "agent/probes/report_builder.h"

#include <doctest/doctest.h>
#include <google/protobuf/util/json_util.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "common/util/process.h"

using namespace posture::agent;
namespace pb = posture::v1;

namespace {

// Lines starting with "Inst " of a fresh simulation: the probe's count, computed another way.
std::optional<unsigned> independentInstCount() {
  auto p = posture::util::runProcess({"apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"},
                                     std::chrono::seconds(60));
  if (!p.started || p.exitCode != 0) return std::nullopt;
  unsigned n = 0;
  std::size_t pos = 0;
  while (pos < p.out.size()) {
    if (p.out.compare(pos, 5, "Inst ") == 0) ++n;
    auto nl = p.out.find('\n', pos);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return n;
}

}  // namespace

TEST_CASE("collectReport on this host fills a well-formed report") {
  auto report = collectReport({});

  if (std::getenv("POSTURE_PRINT_REPORT")) {
    std::string json;
    google::protobuf::util::JsonPrintOptions opts;
    opts.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(report, &json, opts);
    std::cout << json << "\n";
  }

  CHECK(report.sequence() == 0);
  CHECK(report.collected_at().seconds() > 1700000000);

  const auto& id = report.identity();
  char host[HOST_NAME_MAX + 1] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  CHECK_FALSE(id.hostname().empty());
  CHECK(id.hostname() == host);
  utsname uts{};
  REQUIRE(::uname(&uts) == 0);
  CHECK(id.kernel() == uts.release);
  CHECK(id.architecture() == uts.machine);
  CHECK(id.agent_version() == POSTURE_VERSION);
  CHECK(id.agent_id().empty());

  for (const pb::ProbeResult* probe :
       {&id.probe(), &report.antivirus().probe(), &report.patches().probe(), &report.ipv6().probe(),
        &report.firewall().probe()}) {
    CHECK(probe->status() != pb::PROBE_STATUS_UNSPECIFIED);
    if (probe->status() != pb::PROBE_STATUS_OK) CHECK_FALSE(probe->message().empty());
  }

  // Without a collector the IPv6 end-to-end checks must say why they were not run.
  CHECK(report.ipv6().collector_aaaa().status() == pb::PROBE_STATUS_UNAVAILABLE);
  CHECK(report.ipv6().collector_aaaa().message() == "no collector configured");
  CHECK(report.ipv6().readiness_level() <= 3);
  if (report.ipv6().readiness_level() < 4) CHECK(report.ipv6().readiness_reasons_size() > 0);

  const auto& patches = report.patches();
  if (patches.probe().status() == pb::PROBE_STATUS_OK) {
    REQUIRE(patches.has_pending_updates());
    auto expected = independentInstCount();
    REQUIRE(expected);
    CHECK(patches.pending_updates() == *expected);
    if (patches.has_pending_security_updates()) {
      CHECK(patches.pending_security_updates() <= patches.pending_updates());
    }
  } else {
    CHECK_FALSE(patches.has_pending_updates());
  }

  const auto& fw = report.firewall();
  if (fw.probe().status() != pb::PROBE_STATUS_OK) CHECK_FALSE(fw.has_rule_count());
}

TEST_CASE("collectReport copies enrolment data and reports an unresolvable collector") {
  CollectOptions options;
  options.agentId = "agent-123";
  options.unitCode = "H.001.X02";
  options.collectorHost = "collector.invalid";
  options.collectorPort = 8443;
  auto report = collectReport(options);
  CHECK(report.identity().agent_id() == "agent-123");
  CHECK(report.identity().unit_code() == "H.001.X02");
  const auto& aaaa = report.ipv6().collector_aaaa();
  CHECK(aaaa.name() == "collector.invalid");
  CHECK(aaaa.status() == pb::PROBE_STATUS_ERROR);
  CHECK_FALSE(aaaa.message().empty());
  CHECK(aaaa.addresses_size() == 0);
  CHECK(report.ipv6().collector_connect().status() != pb::PROBE_STATUS_OK);
  CHECK(report.ipv6().readiness_level() < 4);
}

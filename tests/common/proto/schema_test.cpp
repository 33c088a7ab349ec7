// Every field of posture.v1 survives the binary wire format and protobuf's JSON mapping.
#include <doctest/doctest.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"

using namespace posture::v1;
using google::protobuf::util::MessageDifferencer;

namespace {
Report fullReport() {
  Report r;
  r.set_sequence(42);
  r.mutable_collected_at()->set_seconds(1763900000);
  auto* id = r.mutable_identity();
  id->set_agent_id("0123456789abcdef0123456789abcdef");
  id->set_hostname("BS-UBND-PC023");
  id->set_os_name("Windows 11 Pro");
  id->set_os_version("23H2");
  id->set_os_build("22631.4460");
  id->set_kernel("10.0.22631");
  id->set_architecture("x86_64");
  id->set_agent_version("0.1.0");
  id->set_unit_code("BS-UBND");
  id->mutable_probe()->set_status(PROBE_STATUS_OK);
  id->mutable_probe()->set_duration_ms(3);

  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_name("BKAV Pro Internet Security");
  p->set_vendor("BKAV");
  p->set_real_time_protection(TRISTATE_ON);
  p->set_signature_version("2026.11.23");
  p->mutable_signature_time()->set_seconds(1763800000);
  p->set_up_to_date(TRISTATE_ON);
  p->set_managed(TRISTATE_OFF);
  p->set_source("root\\SecurityCenter2 AntiVirusProduct — “Bảo vệ”");

  auto* pa = r.mutable_patches();
  pa->mutable_probe()->set_status(PROBE_STATUS_ERROR);
  pa->mutable_probe()->set_message("apt-get timed out");
  pa->set_pending_updates(0);  // explicit zero must stay distinguishable from unset
  pa->set_pending_security_updates(3);
  pa->mutable_last_install_time()->set_seconds(1763000000);
  pa->mutable_last_check_time()->set_seconds(1763100000);
  pa->set_reboot_required(TRISTATE_ON);
  pa->set_automatic_updates(TRISTATE_OFF);
  pa->set_source("apt-get -s upgrade");

  auto* v6 = r.mutable_ipv6();
  v6->mutable_probe()->set_status(PROBE_STATUS_OK);
  v6->set_enabled(TRISTATE_ON);
  auto* itf = v6->add_interfaces();
  itf->set_name("eth0");
  auto* a = itf->add_addresses();
  a->set_address("2001:db8::23");
  a->set_prefix_length(64);
  a->set_scope(ADDRESS_SCOPE_GLOBAL);
  a->set_origin(ADDRESS_ORIGIN_SLAAC);
  a->set_deprecated(true);
  a->set_tentative(true);
  v6->set_default_route(TRISTATE_ON);
  v6->set_default_gateway("fe80::1");
  v6->add_resolvers("2001:db8::53");
  v6->mutable_collector_aaaa()->set_status(PROBE_STATUS_OK);
  v6->mutable_collector_aaaa()->set_name("collector.example");
  v6->mutable_collector_aaaa()->add_addresses("2001:db8::10");
  v6->mutable_collector_connect()->set_status(PROBE_STATUS_ERROR);
  v6->mutable_collector_connect()->set_message("Connection refused");
  v6->set_readiness_level(3);
  v6->add_readiness_reasons("no TCP connection to the collector over IPv6");
  v6->set_best_scope(ADDRESS_SCOPE_GLOBAL);

  auto* fw = r.mutable_firewall();
  fw->mutable_probe()->set_status(PROBE_STATUS_UNAVAILABLE);
  fw->set_enabled(TRISTATE_ON);
  fw->set_backend("nftables");
  fw->set_default_deny_input(TRISTATE_OFF);
  fw->set_rule_count(0);
  return r;
}
}  // namespace

TEST_CASE("a full report survives the binary wire format") {
  Report in = fullReport();
  std::string wire = in.SerializeAsString();
  Report out;
  REQUIRE(out.ParseFromString(wire));
  std::string diff;
  MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  CHECK_MESSAGE(d.Compare(in, out), diff);
  CHECK(out.patches().has_pending_updates());
  CHECK(out.patches().pending_updates() == 0);
  CHECK(out.firewall().has_rule_count());
  CHECK_FALSE(Report().patches().has_pending_updates());
}

TEST_CASE("a full report survives protobuf's JSON mapping") {
  Report in = fullReport();
  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(in, &json).ok());
  CHECK(json.find("BS-UBND-PC023") != std::string::npos);
  CHECK(json.find("TRISTATE_ON") != std::string::npos);
  Report out;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &out).ok());
  CHECK(MessageDifferencer::Equals(in, out));
}

TEST_CASE("a changed field is detected by the comparison") {
  Report a = fullReport(), b = fullReport();
  b.mutable_ipv6()->mutable_interfaces(0)->mutable_addresses(0)->set_deprecated(false);
  CHECK_FALSE(MessageDifferencer::Equals(a, b));
}

TEST_CASE("enrolment messages and the acknowledgement round-trip") {
  EnrolRequest req;
  req.set_token("t");
  req.set_csr_pem("-----BEGIN CERTIFICATE REQUEST-----");
  req.set_hostname("h");
  req.set_agent_version("0.1.0");
  EnrolResponse res;
  res.set_agent_id("a");
  res.set_unit_code("u");
  res.set_certificate_pem("c");
  res.set_ca_certificate_pem("ca");
  ReportAck ack;
  ack.set_agent_id("a");
  ack.set_sequence(9);
  ack.set_duplicate(true);
  ack.mutable_committed_at()->set_seconds(5);
  ErrorResponse err;
  err.set_code("token_used");
  err.set_message("used");
  err.set_message_vi("đã dùng");
  EnrolRequest req2;
  EnrolResponse res2;
  ReportAck ack2;
  ErrorResponse err2;
  REQUIRE(req2.ParseFromString(req.SerializeAsString()));
  REQUIRE(res2.ParseFromString(res.SerializeAsString()));
  REQUIRE(ack2.ParseFromString(ack.SerializeAsString()));
  REQUIRE(err2.ParseFromString(err.SerializeAsString()));
  CHECK(MessageDifferencer::Equals(req, req2));
  CHECK(MessageDifferencer::Equals(res, res2));
  CHECK(MessageDifferencer::Equals(ack, ack2));
  CHECK(MessageDifferencer::Equals(err, err2));
}

TEST_CASE("truncated bytes do not parse as a report") {
  std::string wire = fullReport().SerializeAsString();
  Report out;
  CHECK_FALSE(out.ParseFromString(wire.substr(0, wire.size() / 2)));
}

#include "collector/policy/facts.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "posture/v1/federation.pb.h"
#include "posture/v1/report.pb.h"

using namespace posture::policy;
namespace v1 = posture::v1;

namespace {

constexpr std::int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z
constexpr std::int64_t kDay = 86400;

v1::Report okReport() {
  v1::Report r;
  r.mutable_collected_at()->set_seconds(kNow - 2 * 3600);
  auto* id = r.mutable_identity();
  id->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  id->set_hostname("pc-ketoan-01");
  id->set_os_name("Windows 10 Pro");
  r.mutable_antivirus()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  r.mutable_patches()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  r.mutable_ipv6()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  r.mutable_firewall()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  return r;
}

v1::AntivirusProduct* addProduct(v1::Report& r, const std::string& name, v1::Tristate rtp) {
  auto* p = r.mutable_antivirus()->add_products();
  p->set_name(name);
  p->set_real_time_protection(rtp);
  return p;
}

bool isUnknown(const Facts& f, const char* name) {
  const FactValue* v = f.get(name);
  REQUIRE(v != nullptr);
  return std::holds_alternative<std::monostate>(*v);
}

template <typename T>
T valueOf(const Facts& f, const char* name) {
  const FactValue* v = f.get(name);
  REQUIRE(v != nullptr);
  REQUIRE(std::holds_alternative<T>(*v));
  return std::get<T>(*v);
}

}  // namespace

TEST_CASE("a child collector's facts: as sent, with the ages moved on to now") {
  posture::v1::FederatedEndpoint e;
  auto add = [&](const char* name) {
    auto* f = e.add_facts();
    f->set_name(name);
    return f;
  };
  add("antivirus.real_time")->set_flag(true);
  add("antivirus.signature_age_days")->set_number(2);
  add("report.age_hours")->set_number(0.5);
  add("endpoint.os_name")->set_text("Windows 10 Pro");
  add("firewall.enabled");  // no value: unknown
  std::string bytes = e.SerializeAsString();
  const std::int64_t at = 1764979200;  // 2025-12-06 00:00 UTC, 07:00 in Vietnam
  auto same = factsFromFederated(bytes, at, at);
  CHECK(std::get<double>(*same.get("antivirus.signature_age_days")) == 2);
  CHECK(std::get<bool>(*same.get("antivirus.real_time")));
  CHECK(std::get<std::string>(*same.get("endpoint.os_name")) == "Windows 10 Pro");
  CHECK(std::holds_alternative<std::monostate>(*same.get("firewall.enabled")));
  // Three days and six hours later the signatures are 5.25 days old, the report 78.5 hours.
  auto later = factsFromFederated(bytes, at, at + 3 * 86400 + 6 * 3600);
  CHECK(std::get<double>(*later.get("antivirus.signature_age_days")) == doctest::Approx(5.25));
  CHECK(std::get<double>(*later.get("report.age_hours")) == doctest::Approx(78.5));
  CHECK(std::get<bool>(*later.get("antivirus.real_time")));
  // Unreadable bytes: every fact unknown.
  auto bad = factsFromFederated("\xff\xff", at, at);
  CHECK(std::holds_alternative<std::monostate>(*bad.get("antivirus.real_time")));
}

TEST_CASE("an OK antivirus probe with no product means not installed and no real-time protection") {
  Facts f = factsFromReport(okReport(), kNow);
  CHECK(valueOf<bool>(f, "antivirus.installed") == false);
  CHECK(valueOf<bool>(f, "antivirus.real_time") == false);
  CHECK(valueOf<bool>(f, "antivirus.managed") == false);
  CHECK(valueOf<double>(f, "antivirus.product_count") == 0);
  CHECK(isUnknown(f, "antivirus.signature_age_days"));
}

TEST_CASE("real-time protection: any ON wins, all OFF is false, UNKNOWN without ON is unknown") {
  v1::Report r = okReport();
  addProduct(r, "Windows Defender", v1::TRISTATE_OFF);
  addProduct(r, "BKAV Pro", v1::TRISTATE_UNKNOWN);
  Facts f = factsFromReport(r, kNow);
  CHECK(valueOf<bool>(f, "antivirus.installed") == true);
  CHECK(isUnknown(f, "antivirus.real_time"));
  CHECK(valueOf<std::string>(f, "antivirus.products") == "Windows Defender, BKAV Pro");

  r.mutable_antivirus()->mutable_products(1)->set_real_time_protection(v1::TRISTATE_OFF);
  CHECK(valueOf<bool>(factsFromReport(r, kNow), "antivirus.real_time") == false);

  r.mutable_antivirus()->mutable_products(1)->set_real_time_protection(v1::TRISTATE_ON);
  CHECK(valueOf<bool>(factsFromReport(r, kNow), "antivirus.real_time") == true);
}

TEST_CASE("a probe that is not OK makes all of its facts unknown") {
  v1::Report r = okReport();
  addProduct(r, "Kaspersky", v1::TRISTATE_ON)->mutable_signature_time()->set_seconds(kNow);
  r.mutable_antivirus()->mutable_probe()->set_status(v1::PROBE_STATUS_ERROR);
  r.mutable_patches()->mutable_probe()->set_status(v1::PROBE_STATUS_UNAVAILABLE);
  r.mutable_patches()->set_pending_security_updates(0);
  r.mutable_firewall()->clear_probe();  // an agent that never ran the probe
  r.mutable_firewall()->set_enabled(v1::TRISTATE_ON);
  Facts f = factsFromReport(r, kNow);
  for (const char* name : {"antivirus.installed", "antivirus.real_time", "antivirus.managed",
                           "antivirus.signature_age_days", "antivirus.product_count",
                           "patches.pending_security", "patches.automatic", "firewall.enabled"}) {
    CAPTURE(name);
    CHECK(isUnknown(f, name));
  }
  CHECK(valueOf<std::string>(f, "endpoint.hostname") == "pc-ketoan-01");
}

TEST_CASE("signature age is the youngest product signature, in fractional days") {
  v1::Report r = okReport();
  addProduct(r, "old", v1::TRISTATE_ON)->mutable_signature_time()->set_seconds(kNow - 10 * kDay);
  addProduct(r, "new", v1::TRISTATE_ON)->mutable_signature_time()->set_seconds(kNow - kDay - kDay / 2);
  addProduct(r, "no time", v1::TRISTATE_ON);
  Facts f = factsFromReport(r, kNow);
  CHECK(valueOf<double>(f, "antivirus.signature_age_days") == doctest::Approx(1.5));
  // Measured against the collector's clock, so an old report ages.
  CHECK(valueOf<double>(factsFromReport(r, kNow + kDay), "antivirus.signature_age_days") ==
        doctest::Approx(2.5));
}

TEST_CASE("optional patch counts stay unknown when unset and are numbers when set") {
  v1::Report r = okReport();
  Facts f = factsFromReport(r, kNow);
  CHECK(isUnknown(f, "patches.pending"));
  CHECK(isUnknown(f, "patches.pending_security"));
  CHECK(isUnknown(f, "patches.days_since_install"));
  CHECK(isUnknown(f, "patches.reboot_required"));

  r.mutable_patches()->set_pending_updates(12);
  r.mutable_patches()->set_pending_security_updates(0);
  r.mutable_patches()->mutable_last_install_time()->set_seconds(kNow - 3 * kDay);
  r.mutable_patches()->set_reboot_required(v1::TRISTATE_OFF);
  r.mutable_patches()->set_automatic_updates(v1::TRISTATE_ON);
  f = factsFromReport(r, kNow);
  CHECK(valueOf<double>(f, "patches.pending") == 12);
  CHECK(valueOf<double>(f, "patches.pending_security") == 0);
  CHECK(valueOf<double>(f, "patches.days_since_install") == doctest::Approx(3));
  CHECK(valueOf<bool>(f, "patches.reboot_required") == false);
  CHECK(valueOf<bool>(f, "patches.automatic") == true);
}

TEST_CASE("report age, identity, IPv6 and firewall facts") {
  v1::Report r = okReport();
  r.mutable_ipv6()->set_enabled(v1::TRISTATE_ON);
  r.mutable_ipv6()->set_readiness_level(3);
  r.mutable_firewall()->set_enabled(v1::TRISTATE_ON);
  r.mutable_firewall()->set_default_deny_input(v1::TRISTATE_UNKNOWN);
  r.mutable_firewall()->set_backend("nftables");
  Facts f = factsFromReport(r, kNow);
  CHECK(valueOf<double>(f, "report.age_hours") == doctest::Approx(2));
  CHECK(valueOf<std::string>(f, "endpoint.os_name") == "Windows 10 Pro");
  CHECK(isUnknown(f, "endpoint.unit_code"));  // empty string is not a value
  CHECK(valueOf<bool>(f, "ipv6.enabled") == true);
  CHECK(valueOf<double>(f, "ipv6.level") == 3);
  CHECK(valueOf<bool>(f, "firewall.enabled") == true);
  CHECK(isUnknown(f, "firewall.default_deny"));
  CHECK(valueOf<std::string>(f, "firewall.backend") == "nftables");
  CHECK(isUnknown(f, "firewall.rule_count"));

  r.clear_collected_at();
  r.mutable_identity()->mutable_probe()->set_status(v1::PROBE_STATUS_ERROR);
  f = factsFromReport(r, kNow);
  CHECK(isUnknown(f, "report.age_hours"));
  CHECK(isUnknown(f, "endpoint.hostname"));
}

TEST_CASE("every fact factsFromReport sets is catalogued, and an empty report knows nothing") {
  Facts empty = factsFromReport(v1::Report{}, kNow);
  CHECK(empty.values().size() == factCatalogue().size());
  for (const auto& entry : empty.values()) {
    // Named copies, not structured bindings: clang 14 cannot capture those (CAPTURE does).
    const auto& name = entry.first;
    const auto& value = entry.second;
    CAPTURE(name);
    CHECK(findFact(name) != nullptr);
    CHECK(std::holds_alternative<std::monostate>(value));
  }
  CHECK(empty.get("antivirus.realtime") == nullptr);
}

TEST_CASE("each fact's value has the catalogued type") {
  v1::Report r = okReport();
  addProduct(r, "BKAV Pro", v1::TRISTATE_ON)->mutable_signature_time()->set_seconds(kNow);
  Facts f = factsFromReport(r, kNow);
  for (const auto& info : factCatalogue()) {
    CAPTURE(info.name);
    const FactValue* v = f.get(info.name);
    REQUIRE(v != nullptr);
    if (std::holds_alternative<std::monostate>(*v)) continue;
    switch (info.type) {
      case FactType::Bool: CHECK(std::holds_alternative<bool>(*v)); break;
      case FactType::Number: CHECK(std::holds_alternative<double>(*v)); break;
      case FactType::String: CHECK(std::holds_alternative<std::string>(*v)); break;
    }
  }
}

TEST_CASE("facts are formatted in Vietnamese and English") {
  CHECK(formatFact(true, true) == "có");
  CHECK(formatFact(false, true) == "không");
  CHECK(formatFact(std::monostate{}, true) == "không rõ");
  CHECK(formatFact(true, false) == "yes");
  CHECK(formatFact(false, false) == "no");
  CHECK(formatFact(std::monostate{}, false) == "unknown");
  CHECK(formatFact(7.0, false) == "7");
  CHECK(formatFact(100.0, false) == "100");
  CHECK(formatFact(0.0, false) == "0");
  CHECK(formatFact(7.5, false) == "7.5");
  CHECK(formatFact(7.5, true) == "7,5");
  CHECK(formatFact(1.0 / 3.0, false) == "0.33");
  CHECK(formatFact(-0.001, false) == "0");
  CHECK(formatFact(std::string("BKAV Pro"), true) == "BKAV Pro");
}

TEST_CASE("the README documents every fact") {
  std::ifstream in(std::string(POSTURE_SOURCE_DIR) + "/collector/policy/README.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<FactInfo> all = factCatalogue();
  all.insert(all.end(), systemFactCatalogue().begin(), systemFactCatalogue().end());
  for (const auto& info : all) {
    CAPTURE(info.name);
    std::string row = "| `" + std::string(info.name) + "` | " + std::string(factTypeName(info.type)) + " |";
    CHECK(text.str().find(row) != std::string::npos);
  }
}

TEST_CASE("system facts are their own catalogue and start unknown") {
  Facts system(FactSubject::System);
  CHECK(system.values().size() == systemFactCatalogue().size());
  for (const auto& info : systemFactCatalogue()) {
    CAPTURE(info.name);
    CHECK(info.subject == FactSubject::System);
    CHECK(std::string_view(info.name).starts_with("system."));
    CHECK(findFact(info.name) == nullptr);  // not an endpoint fact
    REQUIRE(system.get(info.name) != nullptr);
    CHECK(std::holds_alternative<std::monostate>(*system.get(info.name)));
  }
  CHECK(system.get("antivirus.real_time") == nullptr);
  CHECK(findSystemFact("system.level")->type == FactType::Number);
}

TEST_CASE("a Facts knows its catalogue; Facts() is the endpoint one") {
  CHECK(Facts().subject() == FactSubject::Endpoint);
  CHECK(Facts(FactSubject::Endpoint).subject() == FactSubject::Endpoint);
  CHECK(Facts(FactSubject::System).subject() == FactSubject::System);
  CHECK(factSubjectName(FactSubject::Endpoint) == "endpoint");
  CHECK(factSubjectName(FactSubject::System) == "system");
  for (const auto& info : factCatalogue()) {
    CAPTURE(info.name);
    CHECK(info.subject == FactSubject::Endpoint);
    CHECK(findSystemFact(info.name) == nullptr);
    CHECK_FALSE(info.vi.empty());
    CHECK_FALSE(info.en.empty());
  }
  for (const auto& info : systemFactCatalogue()) {
    CAPTURE(info.name);
    CHECK_FALSE(info.vi.empty());
    CHECK_FALSE(info.en.empty());
  }
  // The six registry facts the evaluation derives, with their types.
  std::vector<std::pair<std::string_view, FactType>> expected = {
      {"system.level", FactType::Number},
      {"system.shared", FactType::Bool},
      {"system.dossier_approved", FactType::Bool},
      {"system.plan_implemented", FactType::Bool},
      {"system.assessment_required", FactType::Bool},
      {"system.assessment_current", FactType::Bool}};
  REQUIRE(systemFactCatalogue().size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(systemFactCatalogue()[i].name == expected[i].first);
    CHECK(systemFactCatalogue()[i].type == expected[i].second);
  }
}

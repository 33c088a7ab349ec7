// Each shipped plan evaluated on a small crafted fleet and organization; every expected
// figure below is counted by hand from the fleet written next to it.
#include <doctest/doctest.h>

#include <filesystem>

#include "collector/evaluation/model.h"
#include "collector/policy/policy.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

using namespace posture;
using namespace posture::collector;

namespace {
struct Machine {
  std::string id, unit;
  bool realTime = true;
  bool managed = true;
  double signatureDays = 1;
  bool firewall = true;
  int ipv6 = 2;
};

StoredEndpoint stored(const Machine& m, std::int64_t now) {
  posture::v1::Report r;
  r.set_sequence(1);
  r.mutable_collected_at()->set_seconds(now - 600);
  r.mutable_identity()->set_hostname(m.id);
  r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_name("BKAV Pro Internet Security");
  p->set_real_time_protection(m.realTime ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  p->set_managed(m.managed ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  p->mutable_signature_time()->set_seconds(now - static_cast<std::int64_t>(m.signatureDays * 86400));
  auto* fw = r.mutable_firewall();
  fw->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  fw->set_enabled(m.firewall ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  auto* ip = r.mutable_ipv6();
  ip->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  ip->set_readiness_level(static_cast<std::uint32_t>(m.ipv6));
  auto* pa = r.mutable_patches();
  pa->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  pa->set_pending_security_updates(0);
  return {m.id, m.unit, m.id, 1, now - 600, now - 600, r.SerializeAsString()};
}

std::int64_t day(const char* iso) { return *util::parseDate(iso); }
// Noon in Vietnam on that day.
std::int64_t noon(const char* iso) { return day(iso) * 86400 + 5 * 3600; }

struct Evaluated {
  std::shared_ptr<const std::vector<policy::Policy>> policies;
  std::unique_ptr<FleetModel> model;
  std::int64_t today = 0;

  Evaluated(const char* file, const std::vector<Machine>& machines, org::OrgModel o,
            const char* date) {
    auto v = std::make_shared<std::vector<policy::Policy>>();
    v->push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) / "policies" / file));
    policies = v;
    ModelOptions opts;
    opts.org = std::make_shared<const org::OrgModel>(std::move(o));
    model = std::make_unique<FleetModel>(policies, opts);
    std::int64_t now = noon(date);
    today = util::vietnamDay(now);
    std::vector<StoredEndpoint> fleet;
    for (const auto& m : machines) fleet.push_back(stored(m, now));
    model->rebuild(fleet, now);
  }

  policy::TargetEvaluation target(const std::string& id, const std::string& unit) const {
    for (std::size_t t = 0; t < model->targets().size(); ++t) {
      if (model->targets()[t].target->id == id) return model->evaluate(t, unit, today);
    }
    FAIL("no target " << id);
    return {};
  }
};

// A province, a district with an office and a commune. Each local plan binds its own unit
// (applies_to), so each is evaluated on a tree holding that unit: Bình Sơn "BS", Đức Cơ
// "DC", Thanh Hà "TH", and An Khương as the commune "AK".
org::OrgModel tree(const std::string& district = "BS", std::string commune = "") {
  if (commune.empty()) commune = district + "-BT";
  org::OrgModel o;
  o.units = {{"P", "", "Tỉnh", "", org::UnitKind::Province},
             {district, "P", "Huyện", "", org::UnitKind::District},
             {district + "-VP", district, "Văn phòng", "", org::UnitKind::Department},
             {commune, district, "Xã", "", org::UnitKind::Commune}};
  return o;
}

// All four layers on record for a unit, current in 2022-2026.
void allLayers(org::OrgModel& o, const std::string& unit) {
  o.layers.push_back({unit, 1, "Cán bộ A", "1/QĐ", day("2022-01-01"), std::nullopt, 12, "t", 0});
  o.layers.push_back({unit, 2, "VNPT", "2/HĐ", 0, day("2027-12-31"), 12, "t", 0});
  o.layers.push_back({unit, 3, "Trung tâm CNTT tỉnh", "3/BC", day("2022-06-01"), std::nullopt, 60, "t", 0});
  o.layers.push_back({unit, 4, "SOC tỉnh", "", day("2022-01-01"), std::nullopt, 12, "t", 0});
}

org::InfoSystem system(const std::string& code, const std::string& unit, int level, bool shared,
                       bool dossier, bool plan, std::optional<const char*> assessed = {}) {
  org::InfoSystem s;
  s.code = code;
  s.unitCode = unit;
  s.nameVi = code;
  s.level = level;
  s.shared = shared;
  if (dossier) s.dossierApprovedDay = day("2022-01-10");
  if (plan) s.planImplementedDay = day("2022-02-10");
  if (assessed) s.lastAssessmentDay = day(*assessed);
  return s;
}
}  // namespace

TEST_CASE("Bình Sơn 2022: 90% protected in 2022 then 100%; systems 100% / 70%; four layers") {
  // 10 machines in BS-VP, 9 protected (the 10th has real-time protection off).
  std::vector<Machine> fleet;
  for (int i = 0; i < 10; ++i) fleet.push_back({"vp" + std::to_string(i), "BS-VP"});
  fleet[9].realTime = false;
  auto o = tree();
  // 10 systems of BS: all levels determined, 7 with their plan implemented.
  for (int i = 0; i < 10; ++i) o.systems.push_back(system("S" + std::to_string(i), "BS", 2, false, true, i < 7));
  allLayers(o, "BS");

  Evaluated at2022("binh-son-2022.yaml", fleet, o, "2022-12-31");
  auto share = at2022.target("endpoints-protected-share", "BS-VP");
  CHECK(share.satisfied == 9);
  CHECK(share.total == 10);
  CHECK(share.status == policy::TargetStatus::AtRisk);  // 90% meets 90%, not next year's 100%
  CHECK(at2022.target("endpoints-protected-share", "BS").satisfied == 9);   // rolled up
  // The province above counts its subtree, but the plan is Bình Sơn's, not the province's.
  CHECK(at2022.target("endpoints-protected-share", "P").total == 10);
  CHECK_FALSE(at2022.model->applies(0, "P"));
  CHECK(at2022.target("systems-level-determined", "BS").status == policy::TargetStatus::Met);
  auto plan = at2022.target("systems-level-plan-implemented", "BS");
  CHECK(plan.satisfied == 7);
  CHECK(plan.total == 10);
  CHECK(plan.status == policy::TargetStatus::AtRisk);  // 70% now, 100% due by 2025
  // Four layers: BS has its records and 9/10 of its subtree protected and managed (90%):
  // passes. BS-VP, BS-BT and P have no records. BS's subtree: BS pass, BS-VP, BS-BT fail.
  // The province P is outside the plan's binding (applies_to: [BS]): 3 units, not 4.
  auto layersBs = at2022.target("four-layer-model", "BS");
  CHECK(layersBs.satisfied == 1);
  CHECK(layersBs.total == 3);
  CHECK(at2022.target("four-layer-model", "").total == 3);
  CHECK(at2022.target("four-layer-model", "BS-VP").status == policy::TargetStatus::Missed);

  Evaluated at2024("binh-son-2022.yaml", fleet, o, "2024-01-01");
  CHECK(at2024.target("endpoints-protected-share", "BS-VP").status == policy::TargetStatus::Missed);
  Evaluated at2026("binh-son-2022.yaml", fleet, o, "2026-01-01");
  CHECK(at2026.target("systems-level-plan-implemented", "BS").status == policy::TargetStatus::Missed);
}

TEST_CASE("Đức Cơ 2023: centrally managed anti-malware on every machine; levels approved") {
  // 4 machines: 3 protected and managed, 1 protected but not managed.
  std::vector<Machine> fleet = {{"a", "DC-VP"}, {"b", "DC-VP"}, {"c", "DC-BT"}, {"d", "DC-BT"}};
  fleet[3].managed = false;
  auto o = tree("DC");
  o.systems = {system("S1", "DC-VP", 2, false, true, true), system("S2", "DC-BT", 2, false, false, false)};
  Evaluated e("duc-co-2023.yaml", fleet, o, "2023-12-31");
  auto share = e.target("antivirus-centralised-share", "");
  CHECK(share.satisfied == 3);
  CHECK(share.total == 4);
  CHECK(share.status == policy::TargetStatus::Missed);
  CHECK(e.target("antivirus-centralised-share", "DC-VP").status == policy::TargetStatus::Met);
  auto approved = e.target("systems-level-approved", "DC");
  CHECK(approved.satisfied == 1);
  CHECK(approved.total == 2);
  CHECK(e.target("systems-level-approved", "DC-VP").status == policy::TargetStatus::Met);
}

TEST_CASE("Thanh Hà 2022: systems by level, four layers, and SOC monitoring (layers 2 and 4)") {
  std::vector<Machine> fleet = {{"a", "TH"}, {"b", "TH"}};
  auto o = tree("TH");
  allLayers(o, "TH");
  // TH-VP has layers 2 and 4 only: it passes soc-monitoring but not the four-layer model.
  o.layers.push_back({"TH-VP", 2, "VNPT", "2/HĐ", 0, day("2027-12-31"), 12, "t", 0});
  o.layers.push_back({"TH-VP", 4, "SOC tỉnh", "", day("2022-01-01"), std::nullopt, 12, "t", 0});
  std::vector<Machine> withVp = fleet;
  withVp.push_back({"v", "TH-VP"});  // layer 2 of TH-VP needs its own telemetry: 1/1
  o.systems = {system("S1", "TH", 3, true, true, true, "2022-06-01"), system("S2", "TH", 1, false, true, false)};
  Evaluated e("thanh-ha-2022.yaml", withVp, o, "2022-12-31");
  CHECK(e.target("systems-level-determined", "TH").status == policy::TargetStatus::Met);
  auto secured = e.target("systems-secured-by-level", "TH");
  CHECK(secured.satisfied == 1);
  CHECK(secured.total == 2);
  // Units in TH's subtree: TH (all four), TH-VP (2 and 4), TH-BT (none).
  auto four = e.target("four-layer-model", "TH");
  CHECK(four.satisfied == 1);
  CHECK(four.total == 3);
  auto soc = e.target("soc-monitoring", "TH");
  CHECK(soc.satisfied == 2);
  CHECK(soc.total == 3);
}

TEST_CASE("An Khương 2024: shared systems secured by level, level 3 assessed, workstations connected") {
  std::vector<Machine> fleet = {{"a", "AK"}, {"b", "AK"}, {"c", "AK"}};
  fleet[2].managed = false;  // not connected to the provincial SOC
  auto o = tree("HQ", "AK");
  o.systems = {
      system("QLVB", "AK", 3, true, true, true, "2024-03-01"),  // shared, assessed: secured
      system("MC", "AK", 2, true, true, true),                  // shared level 2: secured
      system("KT", "AK", 1, false, false, false),               // not shared: not counted
      system("OLD", "AK", 3, false, true, true, "2022-01-01"),  // level 3, assessment expired
  };
  Evaluated e("an-khuong-2024.yaml", fleet, o, "2024-12-31");
  auto shared = e.target("shared-systems-secured-by-level", "AK");
  CHECK(shared.satisfied == 2);
  CHECK(shared.total == 2);  // only shared systems are in the denominator
  CHECK(shared.status == policy::TargetStatus::Met);
  auto assessed = e.target("level3-independently-assessed", "AK");
  CHECK(assessed.satisfied == 1);
  CHECK(assessed.total == 2);  // QLVB current, OLD expired; level 1-2 not counted
  auto dossier = e.target("systems-dossier-approved", "AK");
  CHECK(dossier.satisfied == 3);
  CHECK(dossier.total == 4);
  auto connected = e.target("workstations-connected-share", "AK");
  CHECK(connected.satisfied == 2);
  CHECK(connected.total == 3);
  CHECK(connected.status == policy::TargetStatus::Missed);
}

TEST_CASE("national baseline: four layers per unit, levels approved, level 3+ assessed") {
  std::vector<Machine> fleet;
  for (int i = 0; i < 10; ++i) fleet.push_back({"m" + std::to_string(i), "BS-VP"});
  fleet[0].managed = false;
  fleet[1].managed = false;  // 8/10 protected and managed: layer 2 of BS fails (< 90%)
  auto o = tree();
  allLayers(o, "BS");
  o.systems = {system("S1", "BS", 4, true, true, true, "2026-01-05"), system("S2", "BS", 2, false, false, false)};
  Evaluated e("national-baseline.yaml", fleet, o, "2026-06-01");
  auto four = e.target("four-layer-model", "BS");
  CHECK(four.satisfied == 0);  // BS fails layer 2 on telemetry; its children have no records
  CHECK(four.total == 3);
  CHECK(e.model->layer2("BS").satisfied == 8);
  CHECK(e.model->layer2("BS").total == 10);
  auto approved = e.target("systems-dossier-approved", "");
  CHECK(approved.satisfied == 1);
  CHECK(approved.total == 2);
  auto assessed = e.target("level3-independently-assessed", "");
  CHECK(assessed.satisfied == 1);
  CHECK(assessed.total == 1);
  CHECK(assessed.status == policy::TargetStatus::Met);
}

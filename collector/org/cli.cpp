#include "collector/org/cli.h"

#include <cstdio>
#include <functional>
#include <string_view>

#include "collector/audit/audit.h"
#include "collector/cli/options.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"

namespace posture::collector::org {

const char* const kOrgUsage = R"(  posture-collector org import FILE --data-dir DIR
  posture-collector org show --data-dir DIR [--unit CODE] [--lang vi|en]
  posture-collector unit add --data-dir DIR --code C --name-vi TEXT --kind province|district|commune|department
                          [--name-en TEXT] [--parent CODE]
  posture-collector unit set --data-dir DIR --code C [--name-vi TEXT] [--name-en TEXT] [--kind K] [--parent CODE]
  posture-collector layer set --data-dir DIR --unit C --layer 1-4, then by layer:
                          1: --officer NAME --decision NO --date YYYY-MM-DD
                          2: --provider NAME --contract NO --until YYYY-MM-DD
                          3: --assessor NAME --report NO --date YYYY-MM-DD [--period-months N]
                          4: --reference TEXT --date YYYY-MM-DD [--until YYYY-MM-DD]
                          (options left out keep the stored record's values)
  posture-collector system add|set --data-dir DIR --code C --unit U --name-vi TEXT --level 1-5 [--name-en TEXT]
                          [--shared yes|no] [--dossier-decision D --dossier-date DATE] [--plan-date DATE]
                          [--assessment-date DATE --assessor TEXT] [--assessment-period-months N]
                          (system set keeps the stored values of options left out)
  posture-collector system remove --data-dir DIR --code C
  posture-collector audit list --data-dir DIR [--object PREFIX] [--limit N]
)";

namespace {
std::optional<std::int64_t> dateOption(const util::Args& a, const std::string& name) {
  auto v = a.get(name);
  if (!v) return std::nullopt;
  auto d = util::parseDate(*v);
  if (!d) throw util::ArgsError("--" + name + " must be a date YYYY-MM-DD, got '" + *v + "'");
  return d;
}

using cli::vietnamese;

int report(bool changed, const std::string& what) {
  std::printf("%s: %s\n", what.c_str(), changed ? "đã ghi / saved" : "không thay đổi / unchanged");
  return 0;
}

int importCmd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir"}, {});
  if (a.positional().size() != 1) throw util::ArgsError("org import needs exactly one FILE");
  auto db = openDatabase(a.require("data-dir"));
  auto r = importOrgFile(*db, a.positional()[0], cliActor(), util::unixNow());
  std::printf("Đã nhập %s: %zu mới, %zu thay đổi, %zu không đổi.\n"
              "Imported %s: %zu added, %zu changed, %zu unchanged.\n",
              a.positional()[0].c_str(), r.added, r.changed, r.unchanged,
              a.positional()[0].c_str(), r.added, r.changed, r.unchanged);
  return 0;
}

int showCmd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "lang", "unit"}, {});
  bool vi = vietnamese(a);
  auto db = openExistingDatabase(a.require("data-dir"));
  auto model = loadOrg(*db);
  std::int64_t today = util::vietnamDay(util::unixNow());
  auto printUnit = [&](const std::string& code, int depth) {
    std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    if (const Unit* u = model.findUnit(code)) {
      std::printf("%s%s  %s (%s)\n", indent.c_str(), u->code.c_str(),
                  (vi || u->nameEn.empty() ? u->nameVi : u->nameEn).c_str(),
                  std::string(unitKindName(u->kind)).c_str());
    } else {
      // A code seen only in reports: an unknown root unit.
      std::printf("%s%s  (%s)\n", indent.c_str(), code.c_str(),
                  vi ? "đơn vị chưa có trong cây đơn vị" : "unit not in the unit tree");
    }
    // Endpoint counts are not read here, so layer 2 shows its record only (with full
    // telemetry the record alone would pass): `posture-collector status` has the rest.
    for (const auto& v : evaluateLayers(model, code, today, Layer2Telemetry{1, 1, 0}, util::unixNow())) {
      std::string label = v.pass ? (vi ? "đạt" : "pass") : (vi ? "chưa đạt" : "fail");
      std::string evidence = vi ? v.evidenceVi : v.evidenceEn;
      if (v.layer == 2 && model.findLayer(code, 2)) {
        label = v.pass ? (vi ? "hồ sơ đạt" : "record ok") : (vi ? "hồ sơ hết hạn" : "record expired");
        auto cut = evidence.find("; ");
        evidence = (vi ? "Lớp 2: " : "Layer 2: ") + evidence.substr(cut == std::string::npos ? 0 : cut + 2) +
                   (vi ? " (tỷ lệ máy được bảo vệ: posture-collector status)"
                       : " (share of protected endpoints: posture-collector status)");
      }
      std::printf("%s    [%s] %s\n", indent.c_str(), label.c_str(), evidence.c_str());
    }
    for (const auto& s : model.systems) {
      if (s.unitCode != code) continue;
      std::string dossier = s.dossierApprovedDay
                                ? (vi ? "hồ sơ " + s.dossierDecision + " ngày " + formatDayVi(*s.dossierApprovedDay)
                                      : "dossier " + s.dossierDecision + " of " + util::formatDate(*s.dossierApprovedDay))
                                : (vi ? "chưa phê duyệt hồ sơ cấp độ" : "level dossier not approved");
      std::string assessed;
      if (s.lastAssessmentDay) {
        assessed = vi ? "; đánh giá độc lập ngày " + formatDayVi(*s.lastAssessmentDay) + " bởi " + s.assessor
                      : "; independent assessment of " + util::formatDate(*s.lastAssessmentDay) + " by " + s.assessor;
      } else if (s.level >= 3) {
        assessed = vi ? "; chưa có đánh giá độc lập (bắt buộc từ cấp độ 3)"
                      : "; no independent assessment (required from level 3)";
      }
      std::printf("%s    %s %s: %s, %s %d%s; %s%s\n", indent.c_str(), vi ? "HTTT" : "system", s.code.c_str(),
                  (vi || s.nameEn.empty() ? s.nameVi : s.nameEn).c_str(), vi ? "cấp độ" : "level", s.level,
                  s.shared ? (vi ? " (dùng chung)" : " (shared)") : "", dossier.c_str(), assessed.c_str());
    }
  };
  auto printTree = [&](const std::string& root) {
    std::size_t base = model.ancestors(root).size();
    for (const auto& code : model.subtree(root)) {
      printUnit(code, static_cast<int>(model.ancestors(code).size() - base));
    }
  };
  if (auto unit = a.get("unit")) {
    printTree(*unit);
    return 0;
  }
  if (model.units.empty()) {
    std::printf("%s\n", vi ? "Chưa có đơn vị nào. Dùng: posture-collector org import FILE"
                           : "No units yet. Use: posture-collector org import FILE");
  }
  for (const auto& u : model.units) {
    // Roots, and units whose parent is missing from the tree.
    if (u.parent.empty() || !model.findUnit(u.parent)) printTree(u.code);
  }
  return 0;
}

// "add" creates only; "set" changes an existing unit (options left out keep their stored
// values) or creates one when given everything "add" needs.
int unitCmd(const std::vector<std::string>& argv, bool create) {
  util::Args a(argv, {"data-dir", "code", "name-vi", "name-en", "kind", "parent"}, {});
  std::string code = a.require("code");
  std::optional<UnitKind> kind;
  if (auto k = a.get("kind")) {
    kind = parseUnitKind(*k);
    if (!kind) throw util::ArgsError("--kind must be province, district, commune or department, got '" + *k + "'");
  }
  if (create) {
    a.require("name-vi");
    if (!kind) throw util::ArgsError("missing required option --kind");
  }
  auto db = openDatabase(a.require("data-dir"));
  auto model = loadOrg(*db);
  const Unit* stored = model.findUnit(code);
  if (create && stored) throw OrgError("unit " + code + " already exists (use: unit set)");
  if (!stored && !create && (!a.get("name-vi") || !kind)) {
    throw util::ArgsError("no unit '" + code + "' yet: a new unit needs --name-vi and --kind (or use: unit add)");
  }
  Unit u = stored ? *stored : Unit{};
  u.code = code;
  if (auto v = a.get("name-vi")) u.nameVi = *v;
  if (auto v = a.get("name-en")) u.nameEn = *v;
  if (auto v = a.get("parent")) u.parent = *v;
  if (kind) u.kind = *kind;
  return report(putUnit(*db, u, cliActor(), util::unixNow()), "unit " + u.code);
}

// The options of each layer; --reference and --document name the first two for any layer.
struct LayerOptions {
  const char* reference;  // officer, provider, assessor, reference
  const char* document;   // decision, contract, report, (none)
  bool date, until, period;
};
const LayerOptions kLayerOptions[] = {{"officer", "decision", true, false, false},
                                      {"provider", "contract", false, true, false},
                                      {"assessor", "report", true, false, true},
                                      {"reference", nullptr, true, true, false}};

// Options not given keep the stored record's values, so one field can be corrected alone.
int layerCmd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "unit", "layer", "reference", "document", "officer", "decision", "provider",
                      "contract", "assessor", "report", "date", "until", "period-months"},
               {});
  std::string unit = a.require("unit");
  if (!a.get("layer")) throw util::ArgsError("missing --layer (1-4)");
  int layer = static_cast<int>(a.number("layer", 0, 1, 4));
  const LayerOptions& o = kLayerOptions[layer - 1];
  // An option of another layer is a mistake worth naming.
  static const std::pair<const char*, int> kOwn[] = {{"officer", 1}, {"decision", 1}, {"provider", 2},
                                                     {"contract", 2}, {"assessor", 3}, {"report", 3}};
  for (const auto& [name, owner] : kOwn) {
    if (owner != layer && a.get(name)) {
      throw util::ArgsError("--" + std::string(name) + " is for layer " + std::to_string(owner) + ", not layer " +
                            std::to_string(layer));
    }
  }
  if (!o.date && a.get("date")) throw util::ArgsError("layer 2 has no --date (use --until, the contract's end)");
  if (!o.until && a.get("until")) throw util::ArgsError("layer " + std::to_string(layer) + " has no --until");
  if (!o.period && a.get("period-months")) throw util::ArgsError("--period-months is for layer 3");
  if (!o.document && a.get("document")) throw util::ArgsError("layer 4 has no --document");
  auto reference = a.get(o.reference);
  if (!reference) reference = a.get("reference");
  auto document = o.document ? a.get(o.document) : std::nullopt;
  if (!document) document = a.get("document");
  auto date = dateOption(a, "date");
  auto until = dateOption(a, "until");
  std::optional<int> period;
  if (a.get("period-months")) period = static_cast<int>(a.number("period-months", 12, 1, 120));
  auto db = openDatabase(a.require("data-dir"));
  auto model = loadOrg(*db);
  if (!model.findUnit(unit)) throw util::ArgsError("--unit: no unit '" + unit + "'");
  LayerRecord r;
  if (const auto* stored = model.findLayer(unit, layer)) r = *stored;
  r.unitCode = unit;
  r.layer = layer;
  if (reference) r.reference = *reference;
  if (document) r.document = *document;
  if (date) r.date = *date;
  if (until) r.validUntil = until;
  if (period) r.periodMonths = *period;
  if (r.reference.empty()) {
    throw util::ArgsError("layer " + std::to_string(layer) + " needs --" + o.reference);
  }
  if (layer != 2 && !r.date) throw util::ArgsError("layer " + std::to_string(layer) + " needs --date");
  if (layer == 2 && !r.validUntil) throw util::ArgsError("layer 2 needs --until (the contract's end)");
  return report(putLayer(*db, r, cliActor(), util::unixNow()),
                "layer " + std::to_string(layer) + " of " + unit);
}

// "add" creates only; "set" starts from the stored system, so options left out keep their
// values (a new system needs everything "add" needs).
int systemPut(const std::vector<std::string>& argv, bool create) {
  util::Args a(argv, {"data-dir", "code", "unit", "name-vi", "name-en", "level", "shared", "dossier-decision",
                      "dossier-date", "plan-date", "assessment-date", "assessor", "assessment-period-months"},
               {});
  std::string code = a.require("code");
  std::optional<bool> shared;
  if (auto v = a.get("shared")) {
    if (*v != "yes" && *v != "no") throw util::ArgsError("--shared must be yes or no, got '" + *v + "'");
    shared = *v == "yes";
  }
  std::optional<int> level;
  if (a.get("level")) level = static_cast<int>(a.number("level", 0, 1, 5));
  auto dossierDay = dateOption(a, "dossier-date");
  auto planDay = dateOption(a, "plan-date");
  auto assessmentDay = dateOption(a, "assessment-date");
  std::optional<int> period;
  if (a.get("assessment-period-months")) period = static_cast<int>(a.number("assessment-period-months", 12, 1, 120));
  auto db = openDatabase(a.require("data-dir"));
  auto model = loadOrg(*db);
  const InfoSystem* stored = nullptr;
  for (const auto& existing : model.systems) {
    if (existing.code == code) stored = &existing;
  }
  if (create && stored) throw OrgError("system " + code + " already exists (use: system set)");
  if (!stored) {
    a.require("unit");
    a.require("name-vi");
    if (!level) throw util::ArgsError("missing --level (1-5)");
  }
  InfoSystem s = stored ? *stored : InfoSystem{};
  s.code = code;
  if (auto v = a.get("unit")) s.unitCode = *v;
  if (auto v = a.get("name-vi")) s.nameVi = *v;
  if (auto v = a.get("name-en")) s.nameEn = *v;
  if (level) s.level = *level;
  if (shared) s.shared = *shared;
  if (auto v = a.get("dossier-decision")) s.dossierDecision = *v;
  if (dossierDay) s.dossierApprovedDay = dossierDay;
  if (planDay) s.planImplementedDay = planDay;
  if (assessmentDay) s.lastAssessmentDay = assessmentDay;
  if (auto v = a.get("assessor")) s.assessor = *v;
  if (period) s.assessmentPeriodMonths = *period;
  if (s.dossierApprovedDay && s.dossierDecision.empty()) throw util::ArgsError("--dossier-date needs --dossier-decision");
  if (s.lastAssessmentDay && s.assessor.empty()) throw util::ArgsError("--assessment-date needs --assessor");
  if (!model.findUnit(s.unitCode)) throw util::ArgsError("--unit: no unit '" + s.unitCode + "'");
  return report(putSystem(*db, s, cliActor(), util::unixNow()), "system " + s.code);
}

int systemRemove(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "code"}, {});
  auto db = openExistingDatabase(a.require("data-dir"));
  return report(removeSystem(*db, a.require("code"), cliActor(), util::unixNow()),
                "system " + a.require("code"));
}

int auditList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "object", "limit"}, {});
  auto db = openExistingDatabase(a.require("data-dir"));
  for (const auto& e : listAudit(*db, a.getOr("object", ""),
                                 static_cast<std::size_t>(a.number("limit", 100, 1, 1000000)))) {
    std::printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(e.id),
                util::formatIso8601(e.at).c_str(), e.actor.c_str(), e.action.c_str(),
                e.object.c_str(), e.before.c_str(), e.after.c_str());
  }
  return 0;
}
}  // namespace

std::vector<util::Command> orgCommands() {
  return {{{"org", "import"}, importCmd},   {{"org", "show"}, showCmd},
          {{"unit", "add"}, [](const auto& argv) { return unitCmd(argv, true); }},
          {{"unit", "set"}, [](const auto& argv) { return unitCmd(argv, false); }},
          {{"layer", "set"}, layerCmd},
          {{"system", "add"}, [](const auto& argv) { return systemPut(argv, true); }},
          {{"system", "set"}, [](const auto& argv) { return systemPut(argv, false); }},
          {{"system", "remove"}, systemRemove},
          {{"audit", "list"}, auditList}};
}

}  // namespace posture::collector::org

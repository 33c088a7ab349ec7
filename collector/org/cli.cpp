#include "collector/org/cli.h"

#include <cstdio>
#include <functional>

#include "collector/audit/audit.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"

namespace posture::collector::org {

const char* const kOrgUsage = R"(  posture-collector org import FILE --data-dir DIR
  posture-collector org show --data-dir DIR [--lang vi|en]
  posture-collector unit add|set --data-dir DIR --code C --name-vi TEXT --kind province|district|commune|department
                          [--name-en TEXT] [--parent CODE]
  posture-collector layer set --data-dir DIR --unit C --layer 1-4 [--reference TEXT] [--document TEXT]
                          [--date YYYY-MM-DD] [--until YYYY-MM-DD] [--period-months N]
                          (options left out keep the stored record's values)
  posture-collector system add|set --data-dir DIR --code C --unit U --name-vi TEXT --level 1-5 [--name-en TEXT]
                          [--shared] [--dossier-decision D --dossier-date DATE] [--plan-date DATE]
                          [--assessment-date DATE --assessor TEXT] [--assessment-period-months N]
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

bool vietnamese(const util::Args& a) {
  std::string lang = a.getOr("lang", "vi");
  if (lang != "vi" && lang != "en") throw util::ArgsError("--lang must be vi or en, got '" + lang + "'");
  return lang == "vi";
}

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
  util::Args a(argv, {"data-dir", "lang"}, {});
  bool vi = vietnamese(a);
  auto db = openDatabase(a.require("data-dir"));
  auto model = loadOrg(*db);
  std::int64_t today = util::vietnamDay(util::unixNow());
  std::function<void(const std::string&, int)> show = [&](const std::string& parent, int depth) {
    for (const auto& u : model.units) {
      if (u.parent != parent) continue;
      std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
      std::printf("%s%s  %s (%s)\n", indent.c_str(), u.code.c_str(),
                  (vi || u.nameEn.empty() ? u.nameVi : u.nameEn).c_str(),
                  std::string(unitKindName(u.kind)).c_str());
      // Telemetry is not known here: layer 2 shows its record only.
      // Endpoint counts are not read here, so layer 2 shows its record only (with full
      // telemetry the record alone would pass): `posture-collector status` has the rest.
      for (const auto& v : evaluateLayers(model, u.code, today, Layer2Telemetry{1, 1, 0})) {
        std::string label = v.pass ? (vi ? "đạt" : "pass") : (vi ? "chưa đạt" : "fail");
        std::string evidence = vi ? v.evidenceVi : v.evidenceEn;
        if (v.layer == 2 && model.findLayer(u.code, 2)) {
          label = v.pass ? (vi ? "hồ sơ đạt" : "record ok") : (vi ? "hồ sơ hết hạn" : "record expired");
          auto cut = evidence.find("; ");
          evidence = (vi ? "Lớp 2: " : "Layer 2: ") + evidence.substr(cut == std::string::npos ? 0 : cut + 2) +
                     (vi ? " (tỷ lệ máy được bảo vệ: posture-collector status)"
                         : " (share of protected endpoints: posture-collector status)");
        }
        std::printf("%s    [%s] %s\n", indent.c_str(), label.c_str(), evidence.c_str());
      }
      for (const auto& s : model.systems) {
        if (s.unitCode != u.code) continue;
        std::string dossier = s.dossierApprovedDay
                                  ? (vi ? "hồ sơ " + s.dossierDecision + " ngày " + formatDayVi(*s.dossierApprovedDay)
                                        : "dossier " + s.dossierDecision + " of " + util::formatDate(*s.dossierApprovedDay))
                                  : (vi ? "chưa phê duyệt hồ sơ cấp độ" : "level dossier not approved");
        std::printf("%s    %s %s: %s, %s %d%s; %s\n", indent.c_str(), vi ? "HTTT" : "system", s.code.c_str(),
                    (vi || s.nameEn.empty() ? s.nameVi : s.nameEn).c_str(), vi ? "cấp độ" : "level", s.level,
                    s.shared ? (vi ? " (dùng chung)" : " (shared)") : "", dossier.c_str());
      }
      show(u.code, depth + 1);
    }
  };
  if (model.units.empty()) {
    std::printf("%s\n", vi ? "Chưa có đơn vị nào. Dùng: posture-collector org import FILE"
                           : "No units yet. Use: posture-collector org import FILE");
  }
  show("", 0);
  return 0;
}

// "add" creates only; "set" creates or replaces.
int unitCmd(const std::vector<std::string>& argv, bool create) {
  util::Args a(argv, {"data-dir", "code", "name-vi", "name-en", "kind", "parent"}, {});
  Unit u;
  u.code = a.require("code");
  u.nameVi = a.require("name-vi");
  u.nameEn = a.getOr("name-en", "");
  auto kind = parseUnitKind(a.require("kind"));
  if (!kind) throw util::ArgsError("--kind must be province, district, commune or department, got '" + a.require("kind") + "'");
  u.kind = *kind;
  u.parent = a.getOr("parent", "");
  auto db = openDatabase(a.require("data-dir"));
  if (create && loadOrg(*db).findUnit(u.code)) {
    throw OrgError("unit " + u.code + " already exists (use: unit set)");
  }
  return report(putUnit(*db, u, cliActor(), util::unixNow()), "unit " + u.code);
}

// Options not given keep the stored record's values, so one field can be corrected alone.
int layerCmd(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "unit", "layer", "reference", "document", "date", "until", "period-months"}, {});
  std::string unit = a.require("unit");
  if (!a.get("layer")) throw util::ArgsError("missing --layer (1-4)");
  int layer = static_cast<int>(a.number("layer", 0, 1, 4));
  auto reference = a.get("reference");
  auto document = a.get("document");
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
    static const char* kWhat[] = {"the officer", "the provider", "the assessor", "the connection"};
    throw util::ArgsError("layer " + std::to_string(layer) + " needs --reference (" + kWhat[layer - 1] + ")");
  }
  if (layer != 2 && !r.date) throw util::ArgsError("layer " + std::to_string(layer) + " needs --date");
  if (layer == 2 && !r.validUntil) throw util::ArgsError("layer 2 needs --until (the contract's end)");
  return report(putLayer(*db, r, cliActor(), util::unixNow()),
                "layer " + std::to_string(layer) + " of " + unit);
}

int systemPut(const std::vector<std::string>& argv, bool create) {
  util::Args a(argv, {"data-dir", "code", "unit", "name-vi", "name-en", "level", "dossier-decision",
                      "dossier-date", "plan-date", "assessment-date", "assessor", "assessment-period-months"},
               {"shared"});
  InfoSystem s;
  s.code = a.require("code");
  s.unitCode = a.require("unit");
  s.nameVi = a.require("name-vi");
  s.nameEn = a.getOr("name-en", "");
  if (!a.get("level")) throw util::ArgsError("missing --level (1-5)");
  s.level = static_cast<int>(a.number("level", 0, 1, 5));
  s.shared = a.flag("shared");
  s.dossierDecision = a.getOr("dossier-decision", "");
  s.dossierApprovedDay = dateOption(a, "dossier-date");
  if (s.dossierApprovedDay && s.dossierDecision.empty()) throw util::ArgsError("--dossier-date needs --dossier-decision");
  s.planImplementedDay = dateOption(a, "plan-date");
  s.lastAssessmentDay = dateOption(a, "assessment-date");
  s.assessor = a.getOr("assessor", "");
  if (s.lastAssessmentDay && s.assessor.empty()) throw util::ArgsError("--assessment-date needs --assessor");
  s.assessmentPeriodMonths = static_cast<int>(a.number("assessment-period-months", 12, 1, 120));
  auto db = openDatabase(a.require("data-dir"));
  auto model = loadOrg(*db);
  if (!model.findUnit(s.unitCode)) throw util::ArgsError("--unit: no unit '" + s.unitCode + "'");
  if (create) {
    for (const auto& existing : model.systems) {
      if (existing.code == s.code) throw OrgError("system " + s.code + " already exists (use: system set)");
    }
  }
  return report(putSystem(*db, s, cliActor(), util::unixNow()), "system " + s.code);
}

int systemRemove(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "code"}, {});
  auto db = openDatabase(a.require("data-dir"));
  return report(removeSystem(*db, a.require("code"), cliActor(), util::unixNow()),
                "system " + a.require("code"));
}

int auditList(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "object", "limit"}, {});
  auto db = openDatabase(a.require("data-dir"));
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

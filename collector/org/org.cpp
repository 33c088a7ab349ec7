#include "collector/org/org.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include "collector/audit/audit.h"
#include "common/util/unit_code.h"
#include "collector/policy/strict_yaml.h"
#include "collector/storage/storage.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/time.h"

namespace posture::collector::org {
using util::invalidCodeMessage;
using util::validCode;

// --- calendar ---------------------------------------------------------------------------

std::string formatDayVi(std::int64_t day) {
  util::CivilDate c = util::civilFromDays(day);
  char buf[40];  // room for any int, so -Wformat-truncation is satisfied
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", c.day, c.month, c.year);
  return buf;
}

// --- model ------------------------------------------------------------------------------

std::string_view unitKindName(UnitKind kind) {
  switch (kind) {
    case UnitKind::Province: return "province";
    case UnitKind::District: return "district";
    case UnitKind::Commune: return "commune";
    case UnitKind::Department: return "department";
  }
  return "commune";
}

std::optional<UnitKind> parseUnitKind(std::string_view text) {
  for (auto k : {UnitKind::Province, UnitKind::District, UnitKind::Commune, UnitKind::Department}) {
    if (unitKindName(k) == text) return k;
  }
  return std::nullopt;
}

const Unit* OrgModel::findUnit(std::string_view code) const {
  for (const auto& u : units) {
    if (u.code == code) return &u;
  }
  return nullptr;
}

const LayerRecord* OrgModel::findLayer(std::string_view unit, int layer) const {
  for (const auto& l : layers) {
    if (l.unitCode == unit && l.layer == layer) return &l;
  }
  return nullptr;
}

std::map<std::string, std::string> OrgModel::parents() const {
  std::map<std::string, std::string> out;
  for (const auto& u : units) out[u.code] = u.parent;
  return out;
}

std::vector<std::string> OrgModel::ancestors(std::string_view code) const {
  std::vector<std::string> out;
  const Unit* u = findUnit(code);
  // Bounded by the number of units, so a hand-built model with a cycle cannot loop.
  while (u && !u->parent.empty() && out.size() < units.size()) {
    if (u->parent == code || std::find(out.begin(), out.end(), u->parent) != out.end()) break;
    out.push_back(u->parent);
    u = findUnit(u->parent);
  }
  return out;
}

std::vector<std::string> OrgModel::subtree(std::string_view code) const {
  std::vector<std::string> out{std::string(code)};
  std::set<std::string, std::less<>> seen{std::string(code)};
  // Depth-first: each unit is followed by its children (sorted by code), each only once.
  std::function<void(const std::string&)> visit = [&](const std::string& parent) {
    std::vector<std::string> kids;
    for (const auto& u : units) {
      if (u.parent == parent && !seen.count(u.code)) kids.push_back(u.code);
    }
    std::sort(kids.begin(), kids.end());
    for (const auto& k : kids) {
      if (!seen.insert(k).second) continue;
      out.push_back(k);
      visit(k);
    }
  };
  visit(std::string(code));
  return out;
}

namespace {
std::optional<std::int64_t> optionalInt(db::Statement& st, int col) {
  if (st.isNull(col)) return std::nullopt;
  return st.getInt(col);
}
void bindOptional(db::Statement& st, int index, const std::optional<std::int64_t>& v) {
  if (v) st.bind(index, *v);
  else st.bindNull(index);
}

std::string json(const std::string& s) { return util::jsonString(s); }
std::string json(const std::optional<std::int64_t>& day) {
  return day ? json(util::formatDate(*day)) : std::string("null");
}

std::string unitJson(const Unit& u) {
  return "{\"code\":" + json(u.code) + ",\"parent\":" + json(u.parent) + ",\"kind\":" +
         json(std::string(unitKindName(u.kind))) + ",\"name_vi\":" + json(u.nameVi) +
         ",\"name_en\":" + json(u.nameEn) + "}";
}
std::string layerJson(const LayerRecord& l) {
  return "{\"unit\":" + json(l.unitCode) + ",\"layer\":" + std::to_string(l.layer) +
         ",\"reference\":" + json(l.reference) + ",\"document\":" + json(l.document) +
         ",\"date\":" + json(l.date ? std::optional<std::int64_t>(l.date) : std::nullopt) +
         ",\"valid_until\":" + json(l.validUntil) +
         ",\"period_months\":" + std::to_string(l.periodMonths) + "}";
}
std::string systemJson(const InfoSystem& s) {
  return "{\"code\":" + json(s.code) + ",\"unit\":" + json(s.unitCode) + ",\"name_vi\":" +
         json(s.nameVi) + ",\"name_en\":" + json(s.nameEn) + ",\"level\":" +
         std::to_string(s.level) + ",\"shared\":" + (s.shared ? "true" : "false") +
         ",\"dossier_decision\":" + json(s.dossierDecision) + ",\"dossier_date\":" +
         json(s.dossierApprovedDay) + ",\"plan_date\":" + json(s.planImplementedDay) +
         ",\"assessment_date\":" + json(s.lastAssessmentDay) + ",\"assessor\":" +
         json(s.assessor) + ",\"assessment_period_months\":" +
         std::to_string(s.assessmentPeriodMonths) + "}";
}

std::optional<Unit> readUnit(db::Connection& db, const std::string& code) {
  auto st = db.prepare("SELECT code, parent, kind, name_vi, name_en FROM org_units WHERE code = ?");
  st.bind(1, code);
  if (!st.step()) return std::nullopt;
  return Unit{st.getText(0), st.getText(1), st.getText(3), st.getText(4),
              parseUnitKind(st.getText(2)).value_or(UnitKind::Commune)};
}

constexpr const char* kLayerColumns =
    "SELECT unit_code, layer, reference, document, date, valid_until, period_months, "
    "recorded_by, recorded_at FROM org_layers";
LayerRecord readLayerRow(db::Statement& st) {
  LayerRecord l;
  l.unitCode = st.getText(0);
  l.layer = static_cast<int>(st.getInt(1));
  l.reference = st.getText(2);
  l.document = st.getText(3);
  l.date = st.isNull(4) ? 0 : st.getInt(4);
  l.validUntil = optionalInt(st, 5);
  l.periodMonths = static_cast<int>(st.getInt(6));
  l.recordedBy = st.getText(7);
  l.recordedAt = st.getInt(8);
  return l;
}

constexpr const char* kSystemColumns =
    "SELECT code, unit_code, name_vi, name_en, level, shared, dossier_decision, dossier_day, "
    "plan_day, assessment_day, assessor, assessment_period_months FROM org_systems";
InfoSystem readSystemRow(db::Statement& st) {
  InfoSystem s;
  s.code = st.getText(0);
  s.unitCode = st.getText(1);
  s.nameVi = st.getText(2);
  s.nameEn = st.getText(3);
  s.level = static_cast<int>(st.getInt(4));
  s.shared = st.getInt(5) != 0;
  s.dossierDecision = st.getText(6);
  s.dossierApprovedDay = optionalInt(st, 7);
  s.planImplementedDay = optionalInt(st, 8);
  s.lastAssessmentDay = optionalInt(st, 9);
  s.assessor = st.getText(10);
  s.assessmentPeriodMonths = static_cast<int>(st.getInt(11));
  return s;
}

void validate(const Unit& u) {
  if (!validCode(u.code)) throw OrgError(invalidCodeMessage("unit code", u.code));
  if (u.nameVi.empty()) throw OrgError("unit " + u.code + " needs a Vietnamese name (name_vi)");
  if (u.parent == u.code) throw OrgError("unit " + u.code + " cannot be its own parent");
}
void validate(const LayerRecord& l) {
  if (l.layer < 1 || l.layer > 4) throw OrgError("layer must be 1, 2, 3 or 4, got " + std::to_string(l.layer));
  if (l.reference.empty()) throw OrgError("layer " + std::to_string(l.layer) + " of " + l.unitCode + " needs its reference (officer, provider, assessor or connection)");
  if (l.periodMonths < 1 || l.periodMonths > 120) throw OrgError("period_months must be 1..120");
}
void validate(const InfoSystem& s) {
  if (!validCode(s.code)) throw OrgError(invalidCodeMessage("system code", s.code));
  if (s.level < 1 || s.level > 5) throw OrgError("system " + s.code + ": level must be 1..5, got " + std::to_string(s.level));
  if (s.nameVi.empty()) throw OrgError("system " + s.code + " needs a Vietnamese name (name_vi)");
  if (s.assessmentPeriodMonths < 1 || s.assessmentPeriodMonths > 120) throw OrgError("assessment_period_months must be 1..120");
}

// Within the caller's transaction.
bool putUnitTx(db::Connection& db, const Unit& u, const std::string& actor, std::int64_t now) {
  validate(u);
  if (!u.parent.empty()) {
    if (!readUnit(db, u.parent)) throw OrgError("unit " + u.code + ": parent unit '" + u.parent + "' does not exist");
    // The new parent must not lie under this unit.
    std::string at = u.parent;
    for (int guard = 0; !at.empty() && guard < 10000; ++guard) {
      if (at == u.code) throw OrgError("unit " + u.code + ": parent '" + u.parent + "' would make a cycle in the tree");
      auto p = readUnit(db, at);
      at = p ? p->parent : std::string();
    }
  }
  auto before = readUnit(db, u.code);
  std::string after = unitJson(u);
  if (before && unitJson(*before) == after) return false;
  db.prepare("INSERT INTO org_units(code, parent, kind, name_vi, name_en) VALUES (?, ?, ?, ?, ?) "
             "ON CONFLICT(code) DO UPDATE SET parent = excluded.parent, kind = excluded.kind, "
             "name_vi = excluded.name_vi, name_en = excluded.name_en")
      .bind(1, u.code).bind(2, u.parent).bind(3, std::string(unitKindName(u.kind)))
      .bind(4, u.nameVi).bind(5, u.nameEn).run();
  announceChange(db, Change::Organization);
  appendAudit(db, {0, now, actor, before ? "unit.set" : "unit.add", "unit:" + u.code,
                   before ? unitJson(*before) : "", after});
  return true;
}

bool putLayerTx(db::Connection& db, const LayerRecord& l, const std::string& actor, std::int64_t now) {
  validate(l);
  if (!readUnit(db, l.unitCode)) throw OrgError("layer record for unknown unit '" + l.unitCode + "'");
  auto st = db.prepare(std::string(kLayerColumns) + " WHERE unit_code = ? AND layer = ?");
  st.bind(1, l.unitCode).bind(2, l.layer);
  std::optional<LayerRecord> before;
  if (st.step()) before = readLayerRow(st);
  std::string after = layerJson(l);
  if (before && layerJson(*before) == after) return false;
  auto up = db.prepare(
      "INSERT INTO org_layers(unit_code, layer, reference, document, date, valid_until, "
      "period_months, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(unit_code, layer) DO UPDATE SET reference = excluded.reference, "
      "document = excluded.document, date = excluded.date, valid_until = excluded.valid_until, "
      "period_months = excluded.period_months, recorded_by = excluded.recorded_by, "
      "recorded_at = excluded.recorded_at");
  up.bind(1, l.unitCode).bind(2, l.layer).bind(3, l.reference).bind(4, l.document);
  if (l.date) up.bind(5, l.date);
  else up.bindNull(5);
  bindOptional(up, 6, l.validUntil);
  up.bind(7, l.periodMonths).bind(8, actor).bind(9, now).run();
  announceChange(db, Change::Organization);
  appendAudit(db, {0, now, actor, "layer.set", "layer:" + l.unitCode + ":" + std::to_string(l.layer),
                   before ? layerJson(*before) : "", after});
  return true;
}

std::optional<InfoSystem> readSystem(db::Connection& db, const std::string& code) {
  auto st = db.prepare(std::string(kSystemColumns) + " WHERE code = ?");
  st.bind(1, code);
  if (!st.step()) return std::nullopt;
  return readSystemRow(st);
}

bool putSystemTx(db::Connection& db, const InfoSystem& s, const std::string& actor, std::int64_t now) {
  validate(s);
  if (!readUnit(db, s.unitCode)) throw OrgError("system " + s.code + ": unknown unit '" + s.unitCode + "'");
  auto before = readSystem(db, s.code);
  std::string after = systemJson(s);
  if (before && systemJson(*before) == after) return false;
  auto up = db.prepare(
      "INSERT INTO org_systems(code, unit_code, name_vi, name_en, level, shared, dossier_decision, "
      "dossier_day, plan_day, assessment_day, assessor, assessment_period_months) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(code) DO UPDATE SET "
      "unit_code = excluded.unit_code, name_vi = excluded.name_vi, name_en = excluded.name_en, "
      "level = excluded.level, shared = excluded.shared, dossier_decision = excluded.dossier_decision, "
      "dossier_day = excluded.dossier_day, plan_day = excluded.plan_day, "
      "assessment_day = excluded.assessment_day, assessor = excluded.assessor, "
      "assessment_period_months = excluded.assessment_period_months");
  up.bind(1, s.code).bind(2, s.unitCode).bind(3, s.nameVi).bind(4, s.nameEn).bind(5, s.level)
      .bind(6, s.shared ? 1 : 0).bind(7, s.dossierDecision);
  bindOptional(up, 8, s.dossierApprovedDay);
  bindOptional(up, 9, s.planImplementedDay);
  bindOptional(up, 10, s.lastAssessmentDay);
  up.bind(11, s.assessor).bind(12, s.assessmentPeriodMonths).run();
  announceChange(db, Change::Organization);
  appendAudit(db, {0, now, actor, before ? "system.set" : "system.add", "system:" + s.code,
                   before ? systemJson(*before) : "", after});
  return true;
}
}  // namespace

OrgModel loadOrg(db::Connection& db) {
  OrgModel m;
  auto u = db.prepare("SELECT code, parent, kind, name_vi, name_en FROM org_units ORDER BY code");
  while (u.step()) {
    m.units.push_back({u.getText(0), u.getText(1), u.getText(3), u.getText(4),
                       parseUnitKind(u.getText(2)).value_or(UnitKind::Commune)});
  }
  auto l = db.prepare(std::string(kLayerColumns) + " ORDER BY unit_code, layer");
  while (l.step()) m.layers.push_back(readLayerRow(l));
  auto s = db.prepare(std::string(kSystemColumns) + " ORDER BY code");
  while (s.step()) m.systems.push_back(readSystemRow(s));
  // Child collectors' units join the tree under their mount, and their systems the
  // registry (collector/federation/, issue 16); their four-layer verdicts stay theirs.
  auto fu = db.prepare(
      "SELECT u.code, CASE WHEN u.parent = '' THEN c.mount_unit ELSE u.parent END, u.kind, "
      "u.name_vi, u.name_en FROM federated_units u JOIN federation_children c USING (child_id) "
      "ORDER BY u.code");
  while (fu.step()) {
    m.units.push_back({fu.getText(0), fu.getText(1), fu.getText(3), fu.getText(4),
                       parseUnitKind(fu.getText(2)).value_or(UnitKind::Commune)});
  }
  // The columns of kSystemColumns; a child sends no decision number nor assessor.
  auto fs = db.prepare(
      "SELECT code, unit_code, name_vi, name_en, level, shared, '', dossier_day, plan_day, "
      "assessment_day, '', 12 FROM federated_systems ORDER BY code");
  while (fs.step()) m.systems.push_back(readSystemRow(fs));
  m.links = loadLinks(db);
  return m;
}

bool putUnit(db::Connection& db, const Unit& unit, const std::string& actor, std::int64_t now) {
  db::Transaction tx(db);
  bool changed = putUnitTx(db, unit, actor, now);
  tx.commit();
  return changed;
}

bool putLayer(db::Connection& db, const LayerRecord& record, const std::string& actor,
              std::int64_t now) {
  db::Transaction tx(db);
  bool changed = putLayerTx(db, record, actor, now);
  tx.commit();
  return changed;
}

bool putSystem(db::Connection& db, const InfoSystem& system, const std::string& actor,
               std::int64_t now) {
  db::Transaction tx(db);
  bool changed = putSystemTx(db, system, actor, now);
  tx.commit();
  return changed;
}

bool removeSystem(db::Connection& db, const std::string& code, const std::string& actor,
                  std::int64_t now) {
  db::Transaction tx(db);
  auto before = readSystem(db, code);
  if (!before) throw OrgError("no information system '" + code + "'");
  db.prepare("DELETE FROM org_systems WHERE code = ?").bind(1, code).run();
  announceChange(db, Change::Organization);
  appendAudit(db, {0, now, actor, "system.remove", "system:" + code, systemJson(*before), ""});
  tx.commit();
  return true;
}

// --- YAML import ------------------------------------------------------------------------

namespace {
// The org file's map rules: its messages predate the policy loader's richer ones.
constexpr policy::MapRules kOrgMapRules{.describeNonMap = false,
                                        .plainKeys = false,
                                        .duplicateFirstLine = false,
                                        .valueRequired = false};

class Importer : public policy::StrictYamlReader {
 public:
  explicit Importer(std::string file) : StrictYamlReader(kOrgMapRules), file_(std::move(file)) {}

  struct Parsed {
    std::vector<Unit> units;
    std::vector<LayerRecord> layers;
    std::vector<InfoSystem> systems;
    std::vector<YAML::Mark> unitMarks, layerMarks, systemMarks;
  };

  Parsed parse(std::string_view text) {
    YAML::Node root = loadDocument(text);
    if (!root.IsDefined() || root.IsNull()) fail(YAML::Mark(), "the file is empty");
    Parsed p;
    auto top = map(root, "the file", {"units", "systems"}, {});
    std::set<std::string> codes;
    if (auto* units = get(top, "units")) {
      if (!units->value.IsSequence()) fail(units->value, "units must be a list");
      for (const auto& n : units->value) unit(n, p, codes);
    }
    std::set<std::string> systemCodes;
    if (auto* systems = get(top, "systems")) {
      if (!systems->value.IsSequence()) fail(systems->value, "systems must be a list");
      for (const auto& n : systems->value) system(n, p, systemCodes);
    }
    return p;
  }

  using StrictYamlReader::fail;
  [[noreturn]] void fail(policy::Location at, const std::string& message) const override {
    throw OrgError(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + message);
  }

 private:
  using Field = policy::Field;
  using Fields = policy::Fields;

  Fields map(const YAML::Node& node, const std::string& what,
             const std::vector<std::string_view>& allowed,
             const std::vector<std::string_view>& required) const {
    return fields(node, what, allowed, required);
  }
  static const Field* get(const Fields& m, std::string_view key) { return policy::find(m, key); }
  std::string text(const Field& e) const {
    if (!e.value.IsScalar()) fail(e.value, "'" + e.key + "' must be text");
    return e.value.Scalar();
  }
  std::string textOr(const Fields& m, const std::string& key) const {
    auto* e = get(m, key);
    return e ? text(*e) : std::string();
  }
  std::optional<std::int64_t> dateOr(const Fields& m, const std::string& key) const {
    auto* e = get(m, key);
    if (!e) return std::nullopt;
    auto d = e->value.IsScalar() ? util::parseDate(e->value.Scalar()) : std::nullopt;
    if (!d) fail(e->value, "'" + key + "' must be a real date written YYYY-MM-DD");
    return d;
  }
  int intIn(const Field& e, int lo, int hi) const {
    std::string s = e.value.IsScalar() ? e.value.Scalar() : std::string();
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < lo || v > hi || e.value.Tag() == "!") {
      fail(e.value, "'" + e.key + "' must be a whole number from " + std::to_string(lo) +
                         " to " + std::to_string(hi) + ", got '" + s + "'");
    }
    return static_cast<int>(v);
  }
  bool boolean(const Field& e) const {
    std::string s = e.value.IsScalar() ? e.value.Scalar() : std::string();
    if ((s == "true" || s == "false") && e.value.Tag() != "!") return s == "true";
    fail(e.value, "'" + e.key + "' must be true or false, got '" + s + "'");
  }
  std::string code(const Field& e, const char* what) const {
    std::string c = text(e);
    if (!validCode(c)) fail(e.value, invalidCodeMessage(what, c));
    return c;
  }

  void unit(const YAML::Node& n, Parsed& p, std::set<std::string>& codes) const {
    auto m = map(n, "unit", {"code", "parent", "kind", "name_vi", "name_en", "layers"},
                 {"code", "kind", "name_vi"});
    Unit u;
    u.code = code(*get(m, "code"), "unit code");
    if (!codes.insert(u.code).second) fail(get(m, "code")->value, "unit '" + u.code + "' is listed twice");
    u.parent = textOr(m, "parent");
    auto kind = parseUnitKind(text(*get(m, "kind")));
    if (!kind) fail(get(m, "kind")->value, "kind must be province, district, commune or department");
    u.kind = *kind;
    u.nameVi = text(*get(m, "name_vi"));
    if (u.nameVi.empty()) fail(get(m, "name_vi")->value, "name_vi must not be empty");
    u.nameEn = textOr(m, "name_en");
    if (auto* ls = get(m, "layers")) {
      auto lm = map(ls->value, "layers", {"1", "2", "3", "4"}, {});
      for (const auto& e : lm) {
        int layer = std::stoi(e.key);
        static const std::vector<std::vector<std::string_view>> kKeys = {
            {"officer", "decision", "date"},
            {"provider", "contract", "until"},
            {"assessor", "report", "date", "period_months"},
            {"reference", "date", "until"}};
        static const char* kRef[] = {"officer", "provider", "assessor", "reference"};
        auto rm = map(e.value, "layer " + e.key, kKeys[static_cast<std::size_t>(layer - 1)], {kRef[layer - 1]});
        LayerRecord r;
        r.unitCode = u.code;
        r.layer = layer;
        r.reference = textOr(rm, kRef[layer - 1]);
        r.document = textOr(rm, layer == 1 ? "decision" : layer == 2 ? "contract" : "report");
        r.date = dateOr(rm, "date").value_or(0);
        r.validUntil = dateOr(rm, "until");
        if (auto* pm = get(rm, "period_months")) r.periodMonths = intIn(*pm, 1, 120);
        if ((layer == 1 || layer == 3 || layer == 4) && !get(rm, "date")) fail(e.value, "layer " + e.key + " needs a date");
        if (layer == 2 && !r.validUntil) fail(e.value, "layer 2 needs 'until' (the contract's end)");
        p.layers.push_back(r);
        p.layerMarks.push_back(e.value.Mark());
      }
    }
    p.units.push_back(u);
    p.unitMarks.push_back(n.Mark());
  }

  void system(const YAML::Node& n, Parsed& p, std::set<std::string>& codes) const {
    auto m = map(n, "system",
                 {"code", "unit", "name_vi", "name_en", "level", "shared", "dossier_decision",
                  "dossier_date", "plan_date", "assessment_date", "assessor", "assessment_period_months"},
                 {"code", "unit", "name_vi", "level"});
    InfoSystem s;
    s.code = code(*get(m, "code"), "system code");
    if (!codes.insert(s.code).second) fail(get(m, "code")->value, "system '" + s.code + "' is listed twice");
    s.unitCode = text(*get(m, "unit"));
    s.nameVi = text(*get(m, "name_vi"));
    s.nameEn = textOr(m, "name_en");
    s.level = intIn(*get(m, "level"), 1, 5);
    if (auto* sh = get(m, "shared")) s.shared = boolean(*sh);
    s.dossierDecision = textOr(m, "dossier_decision");
    s.dossierApprovedDay = dateOr(m, "dossier_date");
    s.planImplementedDay = dateOr(m, "plan_date");
    s.lastAssessmentDay = dateOr(m, "assessment_date");
    s.assessor = textOr(m, "assessor");
    if (auto* pm = get(m, "assessment_period_months")) s.assessmentPeriodMonths = intIn(*pm, 1, 120);
    p.systems.push_back(s);
    p.systemMarks.push_back(n.Mark());
  }

  std::string file_;
};
}  // namespace

ImportResult importOrgText(db::Connection& db, std::string_view yaml, const std::string& fileName,
                           const std::string& actor, std::int64_t now) {
  Importer importer(fileName);
  auto parsed = importer.parse(yaml);
  ImportResult r;
  db::Transaction tx(db);
  auto count = [&](bool existed, bool changed) {
    if (!existed) ++r.added;
    else if (changed) ++r.changed;
    else ++r.unchanged;
  };
  // Parents first: a unit may name a parent listed after it in the file.
  std::vector<std::size_t> order;
  std::set<std::string> placed;
  for (std::size_t round = 0; order.size() < parsed.units.size() && round <= parsed.units.size(); ++round) {
    for (std::size_t i = 0; i < parsed.units.size(); ++i) {
      const auto& u = parsed.units[i];
      if (placed.count(u.code)) continue;
      bool ready = u.parent.empty() || placed.count(u.parent) || !std::any_of(parsed.units.begin(), parsed.units.end(), [&](const Unit& o) { return o.code == u.parent; });
      if (ready) {
        order.push_back(i);
        placed.insert(u.code);
      }
    }
  }
  for (std::size_t i = 0; i < parsed.units.size(); ++i) {
    if (!placed.count(parsed.units[i].code)) importer.fail(parsed.unitMarks[i], "unit " + parsed.units[i].code + ": its parents form a cycle");
  }
  for (std::size_t i : order) {
    try {
      bool existed = readUnit(db, parsed.units[i].code).has_value();
      count(existed, putUnitTx(db, parsed.units[i], actor, now));
    } catch (const OrgError& e) {
      importer.fail(parsed.unitMarks[i], e.what());
    }
  }
  for (std::size_t i = 0; i < parsed.layers.size(); ++i) {
    try {
      const auto& l = parsed.layers[i];
      auto st = db.prepare("SELECT 1 FROM org_layers WHERE unit_code = ? AND layer = ?");
      st.bind(1, l.unitCode).bind(2, l.layer);
      bool existed = st.step();
      count(existed, putLayerTx(db, l, actor, now));
    } catch (const OrgError& e) {
      importer.fail(parsed.layerMarks[i], e.what());
    }
  }
  for (std::size_t i = 0; i < parsed.systems.size(); ++i) {
    try {
      bool existed = readSystem(db, parsed.systems[i].code).has_value();
      count(existed, putSystemTx(db, parsed.systems[i], actor, now));
    } catch (const OrgError& e) {
      importer.fail(parsed.systemMarks[i], e.what());
    }
  }
  tx.commit();
  return r;
}

ImportResult importOrgFile(db::Connection& db, const std::filesystem::path& file,
                           const std::string& actor, std::int64_t now) {
  auto text = util::readFile(file, 16 * 1024 * 1024);
  if (!text) throw OrgError(file.string() + ": cannot be read");
  return importOrgText(db, *text, file.string(), actor, now);
}

}  // namespace posture::collector::org

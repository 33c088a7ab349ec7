#include "collector/console/org_api.h"

#include <optional>
#include <set>

#include "collector/console/http_util.h"
#include "collector/federation/readers.h"
#include "collector/org/org.h"
#include "common/util/time.h"

namespace posture::collector::console {
namespace {

constexpr std::size_t kMaxText = 500;  // bytes of a name, reference, document or assessor
// Dates outside this range are typing mistakes (and 1970-01-01 is "no date" in the store).
constexpr const char* kFirstDay = "1980-01-01";
constexpr const char* kLastDay = "2199-12-31";

util::Json day(const std::optional<std::int64_t>& d) { return d ? util::Json(util::formatDate(*d)) : util::Json(); }

util::Json layerJson(const org::LayerRecord& l) {
  util::Json j = util::Json::object();
  j.set("unit", l.unitCode);
  j.set("layer", l.layer);
  j.set("reference", l.reference);
  j.set("document", l.document);
  // Layer 2 (a contract) has only an end date: no date is null, not 1970-01-01.
  j.set("date", l.date ? util::Json(util::formatDate(l.date)) : util::Json());
  j.set("valid_until", day(l.validUntil));
  j.set("period_months", l.periodMonths);
  j.set("recorded_by", l.recordedBy);
  j.set("recorded_at", l.recordedAt);
  return j;
}

util::Json systemJson(const org::InfoSystem& s) {
  util::Json j = util::Json::object();
  j.set("code", s.code);
  j.set("unit", s.unitCode);
  j.set("name_vi", s.nameVi);
  j.set("name_en", s.nameEn);
  j.set("level", s.level);
  j.set("shared", s.shared);
  j.set("dossier_decision", s.dossierDecision);
  j.set("dossier_approved", day(s.dossierApprovedDay));
  j.set("plan_implemented", day(s.planImplementedDay));
  j.set("last_assessment", day(s.lastAssessmentDay));
  j.set("assessor", s.assessor);
  j.set("assessment_period_months", s.assessmentPeriodMonths);
  return j;
}

// A child collector's units and systems (issue 16) join this collector's tree and registry
// but are kept at the district: shown here, edited there.
std::optional<std::string> unitOwner(db::Connection& db, const std::string& code) {
  for (const auto& u : federation::federatedUnits(db)) {
    if (u.code == code) return u.childId;
  }
  return std::nullopt;
}
net::Response keptAtDistrict(const std::string& whatVi, const std::string& whatEn,
                             const std::string& child) {
  return apiError(409, "federated",
                  whatVi + " thuộc collector cấp dưới " + child + ": chỉ cập nhật được tại cấp dưới",
                  whatEn + " belongs to child collector " + child + ": it is kept at the district");
}

net::Response unknownUnit(const std::string& unit) {
  return notFound("đơn vị " + unit + " / unit " + unit);
}

// Members outside `allowed` are refused by name, so a misspelt field is never dropped
// silently.
Refusal onlyMembers(const util::Json& body, const std::set<std::string>& allowed) {
  for (const auto& [name, value] : body.members()) {
    if (!allowed.count(name)) {
      std::string shown = validUtf8(name) && name.size() <= 64 ? name : "?";
      return badRequest(shown, "trường không được hỗ trợ", "unknown member");
    }
  }
  return std::nullopt;
}

// A member that repeats the path (unit, layer, code) must agree with it.
Refusal samePath(const util::Json& body, const std::string& name, const util::Json& expected) {
  const util::Json* v = body.find(name);
  if (v && !v->isNull() && !(*v == expected)) {
    return badRequest(name, "khác với giá trị trong đường dẫn", "differs from the value in the path");
  }
  return std::nullopt;
}

// Text shown in the console and exports: UTF-8, no control characters.
Refusal textMember(const util::Json& body, const std::string& name, bool required, std::string& out) {
  if (auto r = stringMember(body, name, required, kMaxText, out)) return r;
  if (!validUtf8(out)) return badRequest(name, "không phải UTF-8", "not UTF-8");
  for (char c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return badRequest(name, "không được chứa ký tự điều khiển", "control characters are not allowed");
    }
  }
  return std::nullopt;
}

// "YYYY-MM-DD" or null/absent (nullopt).
Refusal dateMember(const util::Json& body, const std::string& name, bool required,
                   std::optional<std::int64_t>& out) {
  out.reset();
  const util::Json* v = body.find(name);
  if (!v || v->isNull()) {
    if (required) return badRequest(name, "bắt buộc (ngày YYYY-MM-DD)", "required (a date YYYY-MM-DD)");
    return std::nullopt;
  }
  std::optional<std::int64_t> d;
  if (v->isString() && v->asString().size() == 10) d = util::parseDate(v->asString());
  if (!d) return badRequest(name, "cần ngày có thật dạng YYYY-MM-DD", "expected a real date YYYY-MM-DD");
  if (*d < *util::parseDate(kFirstDay) || *d > *util::parseDate(kLastDay)) {
    return badRequest(name, std::string("phải từ ") + kFirstDay + " đến " + kLastDay,
                      std::string("must be between ") + kFirstDay + " and " + kLastDay);
  }
  out = d;
  return std::nullopt;
}

// An integer in [min, max]; `def` when null/absent.
Refusal intMember(const util::Json& body, const std::string& name, bool required, int def, int min, int max,
                  int& out) {
  out = def;
  const util::Json* v = body.find(name);
  if (!v || v->isNull()) {
    if (required) return badRequest(name, "bắt buộc", "required");
    return std::nullopt;
  }
  std::string range = std::to_string(min) + ".." + std::to_string(max);
  std::int64_t n = 0;
  try {
    n = v->asInt();
  } catch (const util::JsonError&) {
    return badRequest(name, "cần một số nguyên " + range, "expected an integer " + range);
  }
  if (n < min || n > max) {
    return badRequest(name, "phải từ " + std::to_string(min) + " đến " + std::to_string(max),
                      "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  out = static_cast<int>(n);
  return std::nullopt;
}

net::Response refusedByLibrary(const org::OrgError& e) {
  return apiError(400, "bad_request", std::string("Dữ liệu bị từ chối: ") + e.what(), e.what());
}

}  // namespace

net::Response listLayers(db::Connection& db) {
  auto org = org::loadOrg(db);
  util::Json list = util::Json::array();
  for (const auto& l : org.layers) list.push(layerJson(l));
  util::Json out = util::Json::object();
  out.set("layers", std::move(list));
  return jsonResponse(200, out);
}

net::Response listSystems(db::Connection& db) {
  auto org = org::loadOrg(db);
  auto owners = federation::federatedSystemOwners(db);
  util::Json list = util::Json::array();
  for (const auto& s : org.systems) {
    util::Json j = systemJson(s);
    auto owner = owners.find(s.code);
    j.set("source", owner == owners.end() ? util::Json() : util::Json(owner->second));
    list.push(std::move(j));
  }
  util::Json out = util::Json::object();
  out.set("systems", std::move(list));
  return jsonResponse(200, out);
}

net::Response putLayerRecord(db::Connection& db, const std::string& unit, const std::string& layerText,
                             const util::Json& body, const std::string& actor) {
  if (layerText.size() != 1 || layerText[0] < '1' || layerText[0] > '4') {
    return badRequest("layer", "lớp phải là 1, 2, 3 hoặc 4", "the layer must be 1, 2, 3 or 4");
  }
  int layer = layerText[0] - '0';
  if (!isUnitCode(unit)) return unknownUnit("?");
  auto model = org::loadOrg(db);
  if (!model.findUnit(unit)) return unknownUnit(unit);
  if (auto owner = unitOwner(db, unit)) return keptAtDistrict("đơn vị " + unit, "unit " + unit, *owner);

  if (auto r = onlyMembers(body, {"unit", "layer", "reference", "document", "date", "valid_until",
                                  "period_months", "recorded_by", "recorded_at"}))
    return *r;
  if (auto r = samePath(body, "unit", util::Json(unit))) return *r;
  if (auto r = samePath(body, "layer", util::Json(layer))) return *r;
  org::LayerRecord rec;
  rec.unitCode = unit;
  rec.layer = layer;
  std::optional<std::int64_t> date;
  if (auto r = textMember(body, "reference", true, rec.reference)) return *r;
  if (auto r = textMember(body, "document", false, rec.document)) return *r;
  if (auto r = dateMember(body, "date", false, date)) return *r;
  if (auto r = dateMember(body, "valid_until", false, rec.validUntil)) return *r;
  if (auto r = intMember(body, "period_months", false, 12, 1, 120, rec.periodMonths)) return *r;
  // What each layer holds (collector/org/org.h, like `posture-collector layer set`).
  if (layer == 2 && date) {
    return badRequest("date", "lớp 2 không có ngày; dùng valid_until (ngày hết hạn hợp đồng)",
                      "layer 2 has no date; use valid_until (the contract's end)");
  }
  if (layer != 2 && !date) {
    return badRequest("date", "bắt buộc với lớp " + std::to_string(layer) + " (ngày YYYY-MM-DD)",
                      "required for layer " + std::to_string(layer) + " (a date YYYY-MM-DD)");
  }
  if (layer == 2 && !rec.validUntil) {
    return badRequest("valid_until", "bắt buộc với lớp 2: ngày hết hạn hợp đồng (YYYY-MM-DD)",
                      "required for layer 2: the contract's end (YYYY-MM-DD)");
  }
  if ((layer == 1 || layer == 3) && rec.validUntil) {
    return badRequest("valid_until", "chỉ lớp 2 và lớp 4 có ngày hết hiệu lực",
                      "only layers 2 and 4 have valid_until");
  }
  if (layer != 3 && rec.periodMonths != 12) {
    return badRequest("period_months", "chỉ dùng cho lớp 3 (chu kỳ đánh giá)",
                      "applies to layer 3 only (the assessment period)");
  }
  if (layer == 4 && !rec.document.empty()) {
    return badRequest("document", "lớp 4 không có văn bản", "layer 4 has no document");
  }
  if (date && rec.validUntil && *rec.validUntil < *date) {
    return badRequest("valid_until", "không được trước ngày 'date'", "must not be before 'date'");
  }
  rec.date = date.value_or(0);
  bool changed = false;
  try {
    changed = org::putLayer(db, rec, actor, util::unixNow());
  } catch (const org::OrgError& e) {
    return refusedByLibrary(e);
  }
  auto after = org::loadOrg(db);
  const auto* stored = after.findLayer(unit, layer);
  util::Json out = util::Json::object();
  out.set("changed", changed);
  out.set("layer", stored ? layerJson(*stored) : util::Json());
  return jsonResponse(200, out);
}

net::Response putInfoSystem(db::Connection& db, const std::string& code, const util::Json& body,
                            const std::string& actor) {
  if (!isUnitCode(code)) {
    return badRequest("code", "mã hệ thống gồm 1-64 chữ, số, '.', '_' hoặc '-'",
                      "a system code is 1-64 letters, digits, '.', '_' or '-'");
  }
  if (auto r = onlyMembers(body, {"code", "unit", "name_vi", "name_en", "level", "shared",
                                  "dossier_decision", "dossier_approved", "plan_implemented",
                                  "last_assessment", "assessor", "assessment_period_months"}))
    return *r;
  if (auto r = samePath(body, "code", util::Json(code))) return *r;
  org::InfoSystem s;
  s.code = code;
  if (auto r = stringMember(body, "unit", true, 64, s.unitCode)) return *r;
  if (!isUnitCode(s.unitCode)) {
    return badRequest("unit", "mã đơn vị gồm 1-64 chữ, số, '.', '_' hoặc '-'",
                      "a unit code is 1-64 letters, digits, '.', '_' or '-'");
  }
  if (auto r = textMember(body, "name_vi", true, s.nameVi)) return *r;
  if (auto r = textMember(body, "name_en", false, s.nameEn)) return *r;
  if (auto r = intMember(body, "level", true, 1, 1, 5, s.level)) return *r;
  if (const util::Json* v = body.find("shared"); v && !v->isNull()) {
    if (!v->isBool()) return badRequest("shared", "cần true hoặc false", "expected true or false");
    s.shared = v->asBool();
  }
  if (auto r = textMember(body, "dossier_decision", false, s.dossierDecision)) return *r;
  if (auto r = dateMember(body, "dossier_approved", false, s.dossierApprovedDay)) return *r;
  if (auto r = dateMember(body, "plan_implemented", false, s.planImplementedDay)) return *r;
  if (auto r = dateMember(body, "last_assessment", false, s.lastAssessmentDay)) return *r;
  if (auto r = textMember(body, "assessor", false, s.assessor)) return *r;
  if (auto r = intMember(body, "assessment_period_months", false, 12, 1, 120, s.assessmentPeriodMonths))
    return *r;
  auto model = org::loadOrg(db);
  if (!model.findUnit(s.unitCode)) {
    return badRequest("unit", "không có đơn vị '" + s.unitCode + "'", "no unit '" + s.unitCode + "'");
  }
  auto owners = federation::federatedSystemOwners(db);
  if (auto o = owners.find(code); o != owners.end())
    return keptAtDistrict("hệ thống " + code, "system " + code, o->second);
  if (auto owner = unitOwner(db, s.unitCode))
    return keptAtDistrict("đơn vị " + s.unitCode, "unit " + s.unitCode, *owner);
  bool existed = false;
  for (const auto& x : model.systems) existed = existed || x.code == code;
  bool changed = false;
  try {
    changed = org::putSystem(db, s, actor, util::unixNow());
  } catch (const org::OrgError& e) {
    return refusedByLibrary(e);
  }
  util::Json stored;
  auto after = org::loadOrg(db);
  for (const auto& x : after.systems)
    if (x.code == code) stored = systemJson(x);
  util::Json out = util::Json::object();
  out.set("changed", changed);
  out.set("created", !existed);
  out.set("system", std::move(stored));
  return jsonResponse(existed ? 200 : 201, out);
}

net::Response deleteInfoSystem(db::Connection& db, const std::string& code, const std::string& actor) {
  auto missing = [&] {
    std::string shown = isUnitCode(code) ? code : "?";
    return notFound("hệ thống thông tin " + shown + " / information system " + shown);
  };
  if (!isUnitCode(code)) return missing();
  auto owners = federation::federatedSystemOwners(db);
  if (auto o = owners.find(code); o != owners.end())
    return keptAtDistrict("hệ thống " + code, "system " + code, o->second);
  bool exists = false;
  auto model = org::loadOrg(db);
  for (const auto& x : model.systems) exists = exists || x.code == code;
  if (!exists) return missing();
  try {
    org::removeSystem(db, code, actor, util::unixNow());
  } catch (const org::OrgError&) {
    return missing();  // removed meanwhile
  }
  return net::Response{204, kJson, "", {}};
}

}  // namespace posture::collector::console

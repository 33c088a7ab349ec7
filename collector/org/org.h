#pragma once
// The organization model: the unit tree (province → district → commune / department),
// each unit's records of the four-layer model, and the registry of information systems.
// Endpoints belong to units through their enrolment token's unit code; a code seen in
// reports but not in the tree is treated as a root unit of its own.
//
// Loaded from YAML (`posture-collector org import FILE`) and edited through the CLI; every
// change is written to the audit log in the transaction that makes it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collector/org/links.h"
#include "common/db/sqlite.h"
#include "common/util/time.h"

namespace posture::collector::org {

enum class UnitKind { Province, District, Commune, Department };
std::string_view unitKindName(UnitKind kind);                 // "province", ...
std::optional<UnitKind> parseUnitKind(std::string_view text);

struct Unit {
  std::string code, parent, nameVi, nameEn;
  UnitKind kind = UnitKind::Commune;
};

// The current record of one layer of one unit. Days are days since 1970-01-01.
//   layer 1: reference = officer, document = appointment decision, date = appointed
//   layer 2: reference = provider, document = contract, validUntil = contract end
//   layer 3: reference = assessor, document = report, date = assessed, periodMonths
//   layer 4: reference = connection (e.g. provincial SOC), date = since, validUntil optional
struct LayerRecord {
  std::string unitCode;
  int layer = 0;
  std::string reference, document;
  std::int64_t date = 0;
  std::optional<std::int64_t> validUntil;
  int periodMonths = 12;
  std::string recordedBy;
  std::int64_t recordedAt = 0;
};

struct InfoSystem {
  std::string code, unitCode, nameVi, nameEn;
  int level = 1;
  bool shared = false;
  std::string dossierDecision;
  std::optional<std::int64_t> dossierApprovedDay, planImplementedDay, lastAssessmentDay;
  std::string assessor;
  int assessmentPeriodMonths = 12;
};

struct OrgModel {
  std::vector<Unit> units;
  std::vector<LayerRecord> layers;
  std::vector<InfoSystem> systems;
  // This collector's upstream link and its children, with the layer verdicts they pushed
  // (layer 4's telemetry; links.h). Empty for a model built by hand: no upstream link.
  Links links;
  const Unit* findUnit(std::string_view code) const;
  const LayerRecord* findLayer(std::string_view unit, int layer) const;
  std::map<std::string, std::string> parents() const;  // code -> parent ("" for roots)
  // The parent chain, nearest first, excluding `code` itself; empty for a root and for a
  // code absent from the tree (a unit seen only in reports is an unknown root).
  std::vector<std::string> ancestors(std::string_view code) const;
  // `code` and all its descendants, `code` first, then depth-first in code order; just
  // {code} for a leaf or a code absent from the tree.
  std::vector<std::string> subtree(std::string_view code) const;
};

OrgModel loadOrg(db::Connection& db);

// A refused change or a bad file; what() names the cause ("FILE:LINE:COLUMN: …" for files).
class OrgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Each writes one object in one transaction with its audit row; no audit row (and no
// write) when nothing changes. Return true when something changed.
bool putUnit(db::Connection& db, const Unit& unit, const std::string& actor, std::int64_t now);
bool putLayer(db::Connection& db, const LayerRecord& record, const std::string& actor,
              std::int64_t now);
bool putSystem(db::Connection& db, const InfoSystem& system, const std::string& actor,
               std::int64_t now);
bool removeSystem(db::Connection& db, const std::string& code, const std::string& actor,
                  std::int64_t now);

struct ImportResult {
  std::size_t added = 0, changed = 0, unchanged = 0;
};
// Upserts every unit, layer record and system of the file in one transaction: on any
// error nothing is written. Objects absent from the file are left alone.
ImportResult importOrgFile(db::Connection& db, const std::filesystem::path& file,
                           const std::string& actor, std::int64_t now);
ImportResult importOrgText(db::Connection& db, std::string_view yaml, const std::string& fileName,
                           const std::string& actor, std::int64_t now);

// Calendar helpers on days since the epoch (the arithmetic is common/util/time.h's).
using util::addMonths;
std::string formatDayVi(std::int64_t day);  // "dd/mm/yyyy"

}  // namespace posture::collector::org

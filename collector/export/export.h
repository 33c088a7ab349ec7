#pragma once
// Exports for auditors: the compliance list (danh sách tuân thủ) of a unit or subtree, as
// of now or of a past day, as one in-memory model that every format (CSV, XLSX, JSON)
// and the console render from:
//   - metadata: policies (id, version), generation time, filters, row count, the
//     collector CA's fingerprint, and in words which reports were taken;
//   - targets: per target, each selected unit's value against the milestone in force
//     (what `status` computes, from the same FleetModel);
//   - endpoints: one row per endpoint, the observed value of every fact a check reads
//     and every check's result.
// Headers and labels are bilingual ("Đơn vị / Unit"); values follow the chosen language.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/evaluation/stale.h"
#include "collector/exceptions/exceptions.h"
#include "common/util/json.h"
#include "collector/org/org.h"
#include "collector/policy/evaluator.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/db/sqlite.h"

namespace posture::collector {

// A refused export request (unknown unit, ...); what() is bilingual.
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An as-of day older than the retention keeps (collector/retention/retention.h): the CLI
// exits 2 (a usage error), the console answers 400 naming `as_of`.
class AsOfTooOld : public util::ArgsError {
 public:
  AsOfTooOld(std::string messageVi, std::string messageEn)
      : util::ArgsError("--as-of: " + messageVi + " / " + messageEn),
        vi(std::move(messageVi)),
        en(std::move(messageEn)) {}
  std::string vi, en;
};

enum class ExportFormat { Csv, Xlsx, Json };
std::optional<ExportFormat> parseExportFormat(std::string_view name);  // "csv", "xlsx", "json"
std::string_view exportFormatName(ExportFormat format);
std::string_view exportMediaType(ExportFormat format);

// Which clock decides that a report belongs to a past day.
enum class AsOfBasis {
  Received,   // when the collector stored it (cannot be set by the endpoint)
  Collected,  // when the agent says it collected it
};
std::optional<AsOfBasis> parseAsOfBasis(std::string_view name);  // "received", "collected"
std::string_view asOfBasisName(AsOfBasis basis);

struct ExportFilters {
  std::string unitCode;                 // "": every unit; else this unit and its subtree
  std::optional<std::int64_t> asOfDay;  // days since the epoch (Vietnam); nullopt: now
  AsOfBasis asOfBasis = AsOfBasis::Received;
  std::int64_t staleAfterSeconds = kDefaultStaleAfterSeconds;
  bool vietnamese = true;  // the language of values (headers are always bilingual)
};

// The last second of a Vietnam day (UTC+7), as Unix time: 23:59:59 local.
std::int64_t endOfVietnamDay(std::int64_t day);

struct ExportPolicyRef {
  std::string id;
  int version = 0;
  policy::LocalizedText title;
};

struct ExportFactColumn {
  std::string name, vi, en;
};

struct ExportCheckColumn {
  std::string policyId, checkId;
  policy::LocalizedText title;
};

struct ExportEndpoint {
  std::string unitCode, unitNameVi, unitNameEn, hostname, agentId, os;
  std::int64_t lastSeen = 0;             // when the collector received the report used
  std::int64_t collectedAt = 0;          // when the agent collected it
  bool stale = false;                    // counted as not compliant in every share
  bool decoded = true;                   // false: the stored report is unreadable (all unknown)
  std::vector<policy::FactValue> facts;  // ComplianceExport::facts order
  // ComplianceExport::checks order; none where the check's plan does not apply to the unit
  std::vector<std::optional<policy::Tri>> checks;
  // The exceptions in force at the evaluation that cover the endpoint (any rule), oldest
  // first: the column "Ngoại lệ / Exception" (their references) and the JSON "exceptions".
  std::vector<exceptions::RiskException> exceptions;
};

struct ExportTargetRow {
  std::string unitCode;  // "": every unit of the fleet
  std::string unitNameVi, unitNameEn;
  std::uint32_t satisfied = 0, total = 0;
  double percent = 0;
  std::optional<policy::Milestone> inForce, next;
  policy::TargetStatus status = policy::TargetStatus::NoData;
};

struct ExportTarget {
  std::string policyId;
  int policyVersion = 0;
  std::string targetId;
  policy::LocalizedText title;
  std::string measure;  // "share_of_endpoints", "share_of_systems", "four_layer"
  std::string sourceFile;
  int sourceLine = 0;
  std::vector<ExportTargetRow> rows;
};

struct ComplianceExport {
  std::vector<ExportPolicyRef> policies;
  std::int64_t generatedAt = 0;  // when the export was made
  std::int64_t evaluatedAt = 0;  // the evaluation's clock: generatedAt or the as-of day's end
  ExportFilters filters;
  std::string unitNameVi, unitNameEn;  // of filters.unitCode
  std::vector<std::string> units;      // the selected units, in tree order
  std::string caFingerprint;           // SHA-256 of the collector CA certificate
  std::vector<ExportFactColumn> facts;
  std::vector<ExportCheckColumn> checks;
  std::vector<ExportTarget> targets;
  std::vector<ExportEndpoint> endpoints;
};

// What an export is built from: the chosen report of each endpoint (latest, or latest
// as of the day), the policies in force and the organization model (may be null).
struct ExportSource {
  std::vector<StoredEndpoint> endpoints;
  std::shared_ptr<const std::vector<policy::Policy>> policies;
  std::shared_ptr<const org::OrgModel> org;
  std::string caFingerprint;
  // Active at the evaluation time (now, or the end of the as-of day); null: none.
  std::shared_ptr<const exceptions::ExceptionSet> exceptions;
};

// The units an export covers: with unitCode "", every unit of the tree and of the reports
// in tree order (each root, then its subtree depth-first; units only seen in reports are
// roots of their own); else that unit and its subtree. ExportError when unitCode names no
// unit of the tree and no endpoint.
struct UnitSelection {
  std::vector<std::string> units;
  std::string nameVi, nameEn;  // of unitCode, when the tree has it
};
UnitSelection selectUnits(const org::OrgModel* org, const std::vector<StoredEndpoint>& endpoints,
                          const std::string& unitCode);

// The evaluation's clock: generatedAt, or the end of the as-of day when that is earlier.
// ExportError when the as-of day is after generatedAt's day.
std::int64_t evaluationTime(const ExportFilters& filters, std::int64_t generatedAt);

// The reports an export reads: the latest of each endpoint, or loadEndpointsAsOf at
// evaluationTime; and the organization model. policies is left null.
ExportSource loadExportSource(db::Connection& db, const ExportFilters& filters,
                              const std::string& caFingerprint, std::int64_t generatedAt);

// ExportError when filters.unitCode names no unit of the tree and no endpoint.
ComplianceExport buildComplianceExport(const ExportSource& source, const ExportFilters& filters,
                                       std::int64_t generatedAt);
// The same from the database: the latest reports (or loadEndpointsAsOf at the end of the
// as-of day) and the organization model.
ComplianceExport buildComplianceExport(db::Connection& db,
                                       std::shared_ptr<const std::vector<policy::Policy>> policies,
                                       const ExportFilters& filters,
                                       const std::string& caFingerprint, std::int64_t generatedAt);

// Each endpoint's report with the highest sequence among those received (or collected)
// at or before `cutoff`; unit and hostname from the endpoint's record and that report.
std::vector<StoredEndpoint> loadEndpointsAsOf(db::Connection& db, std::int64_t cutoff,
                                              AsOfBasis basis);

// Labels and cells, shared by the formats.
std::string bilingual(std::string_view vi, std::string_view en);  // "vi / en"
std::vector<std::string> endpointHeader(const ComplianceExport& e);
std::vector<std::string> endpointCells(const ComplianceExport& e, const ExportEndpoint& row);
// "Đạt" / "Met", ..., "Không áp dụng" / "Not applicable" for none.
std::string checkResultText(std::optional<policy::Tri> result, bool vietnamese);
// "met", "not-met", "unknown", "not-applicable".
std::string_view checkResultKey(std::optional<policy::Tri> result);
std::string_view targetStatusKey(policy::TargetStatus status);     // "met", "at-risk", ...
std::string_view measureName(const policy::Target& target);
std::string unitName(const ComplianceExport& e, const std::string& vi, const std::string& en);
// One metadata line: a bilingual label and its value in the export's language. A time or a
// day also keeps its number, so the XLSX "About" sheet writes it as a real date cell; the
// CSV block writes `value` (ISO 8601, UTC+7 named in the label).
struct MetadataLine {
  std::string label;
  std::string value;
  std::optional<std::int64_t> instant;  // Unix seconds
  std::optional<std::int64_t> day;      // days since the epoch (a Vietnam calendar day)
};
// Which reports the export used, in words (its metadata's "selection").
std::string selectionText(const ComplianceExport& e, bool vietnamese);
// The metadata lines: the CSV block and the XLSX "About" sheet.
std::vector<MetadataLine> metadataLines(const ComplianceExport& e);
// The metadata as JSON: the JSON export's "meta" and the manifest's "export".
util::Json metadataJson(const ComplianceExport& e);
// {"vi": …, "en": …}: a text in both languages, as the JSON exports write it.
util::Json localizedJson(const std::string& vi, const std::string& en);
// The metadata's "filters": unit (with its name and the units in scope), as-of day and
// basis, stale-after, language.
util::Json filtersJson(const ExportFilters& filters, const std::string& unitNameVi,
                       const std::string& unitNameEn, const std::vector<std::string>& units);

// RFC 4180 with a UTF-8 BOM: the endpoint table; with metadataBlock, the metadata lines
// first (label, value) and one empty row before the table.
std::string renderCsv(const ComplianceExport& e, bool metadataBlock = false);
// {"meta": …, "columns": …, "targets": …, "endpoints": …}, indented, UTF-8.
std::string renderJson(const ComplianceExport& e);
// The bytes of the file in that format (XLSX: collector/export/xlsx.h).
std::string renderExport(const ComplianceExport& e, ExportFormat format, bool csvMetadata = false);

}  // namespace posture::collector

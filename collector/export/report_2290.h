#pragma once
// The national anti-malware report (Công văn 2290/BTTTT-CATTT, 2018): for every unit of the
// selection (over its subtree) and in total, how many machines there are, how many have
// real-time protection on (AutoProtect) and the firewall on (EnableFirewall), their
// operating systems, and how many were not updated in 15 days
// (NumberMachineNotUpdateOn15Day); one row per machine on request.
//
// Built from the reports the compliance exports read (ExportSource: latest, or as of a
// day), each decoded and turned into facts once by FleetModel::rebuild; at a parent
// collector also from the rows of its endpoint-mode children (counted like its own
// machines) and the counts its summary children pushed (FederatedReport2290, issue 16).
// One counting for every tier: machine2290() and Figures2290::add, which a child's summary
// picture (collector/upstream/picture.h) uses too. Written as JSON with
// the signed manifest of manifest.h (format "report-2290"). The counting rules are in
// collector/export/README.md ("The 2290 report"); the pure ones are tested one by one from
// machine2290().
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/export/export.h"
#include "collector/policy/facts.h"
#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "common/util/json.h"

namespace posture::v1 {
class Report;
class FederatedReport2290;
}

namespace posture::collector {

inline constexpr std::string_view kReport2290Format = "report-2290";  // --format, manifest
inline constexpr std::string_view kReport2290MediaType = "application/json";
// More Vietnam calendar days than this between the last update and the evaluation day:
// not updated.
inline constexpr std::int64_t kNotUpdatedAfterDays = 15;

// Why a machine counts in NumberMachineNotUpdateOn15Day; the first that applies, in this
// order, so the reasons of a unit add up to its count.
enum class NotUpdated {
  No,                   // counted as updated
  ReportTooOld,         // last report received more than 15 days before the evaluation day
  NoAntiMalware,        // the report says no anti-malware product is installed
  SignatureAgeUnknown,  // probe failed, report unreadable, or no product gives a signature time
  SignaturesTooOld,     // newest signatures more than 15 days before the evaluation day
};
inline constexpr std::size_t kNotUpdatedReasons = 4;  // every value but No
std::string_view notUpdatedKey(NotUpdated reason);    // "ReportOlderThan15Days", ...
std::string notUpdatedText(NotUpdated reason, bool vietnamese);

struct Machine2290 {
  std::string unitCode, unitNameVi, unitNameEn, hostname, agentId;
  std::string osName, osVersion;                    // "" when unknown
  std::optional<bool> autoProtect, enableFirewall;  // nullopt: unknown
  std::optional<std::int64_t> lastUpdate;           // newest signature time (Unix), if any
  std::optional<std::int64_t> daysSinceUpdate;      // Vietnam calendar days to the evaluation day
  std::int64_t lastReport = 0;                      // when the collector received the report used
  bool stale = false;                               // no report within --stale-after
  NotUpdated notUpdated = NotUpdated::No;
};

// One machine from its stored endpoint, its decoded report (null when unreadable) and the
// facts of that report at `evaluatedAt`.
Machine2290 machine2290(const StoredEndpoint& endpoint, const posture::v1::Report* report,
                        const policy::Facts& facts, std::int64_t evaluatedAt,
                        std::int64_t staleAfterSeconds);

struct Figures2290 {
  std::uint32_t machines = 0;        // NumberMachine
  std::uint32_t autoProtect = 0;     // AutoProtect: on, and not stale
  std::uint32_t enableFirewall = 0;  // EnableFirewall: on, and not stale
  std::uint32_t notUpdated = 0;      // NumberMachineNotUpdateOn15Day
  std::uint32_t stale = 0;           // NumberMachineStale
  std::array<std::uint32_t, kNotUpdatedReasons> notUpdatedBy{};  // NotUpdated - 1
  std::map<std::string, std::uint32_t> osNames;                  // "" = unknown
  void add(const Machine2290& machine);
  void add(const Figures2290& other);
  bool operator==(const Figures2290&) const = default;
};

// One unit's own figures as a summary child pushes them upward, and back (federation.proto).
posture::v1::FederatedReport2290 federatedReport2290(const std::string& unitCode,
                                                     const Figures2290& own);
Figures2290 figuresOf(const posture::v1::FederatedReport2290& pushed);
// Own figures per unit code.
using Figures2290ByUnit = std::map<std::string, Figures2290, std::less<>>;
// What this collector's summary children pushed (federated_report_2290): each unit's own
// figures as of the child's last push.
Figures2290ByUnit pushedFigures2290(db::Connection& db);

struct Unit2290 {
  std::string code, parent, nameVi, nameEn;
  Figures2290 own;      // the unit's own machines
  Figures2290 subtree;  // the unit and every unit below it
};

struct Report2290 {
  std::int64_t generatedAt = 0;
  std::int64_t evaluatedAt = 0;  // generatedAt, or the end of the as-of day
  ExportFilters filters;
  bool withMachines = false;           // machine rows are written only when asked for
  std::string unitNameVi, unitNameEn;  // of filters.unitCode
  std::string caFingerprint;
  std::vector<Unit2290> units;        // the selection, in tree order
  Figures2290 total;                  // every machine of the selection
  std::uint32_t pushedMachines = 0;   // of them, counted by summary children (no machine rows)
  std::vector<Machine2290> machines;  // unit, hostname, agent order
};

// ExportError for an unknown unit or an as-of day in the future. `pushed` (summary
// children's counts) joins the own figures of the selected units it names.
Report2290 buildReport2290(const ExportSource& source, const ExportFilters& filters,
                           bool withMachines, std::int64_t generatedAt,
                           const Figures2290ByUnit& pushed = {});
// The same from the database: with the summary children's counts when the report is of
// now; an --as-of report leaves them out (a parent keeps no history of them, only of its
// endpoint-mode children's rows).
Report2290 buildReport2290(db::Connection& db, const ExportFilters& filters, bool withMachines,
                           const std::string& caFingerprint, std::int64_t generatedAt);

// The metadata: the document's "meta" and the manifest's "export" member.
util::Json report2290MetadataJson(const Report2290& report);
// {"meta", "labels", "total", "units", "machines" (only withMachines)}, indented, UTF-8.
std::string renderReport2290(const Report2290& report);

}  // namespace posture::collector

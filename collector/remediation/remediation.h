#pragma once
// The remediation list (danh sách khắc phục, issue 17): for a unit and its subtree, the
// machines to fix, grouped by what to do. A machine appears under every action it needs.
//
// It is read from the same evaluation the exports read (collector/export: the chosen
// report of each endpoint, decoded and turned into facts once by FleetModel::rebuild), so
// a machine is "not updated" here exactly when the export's fact column says so.
//
// Thresholds come from the policies in force at the machine's unit, where they define one
// (the strictest wins); otherwise from a default named in the list:
//   signatures   antivirus.signature_age_days le|lt N   default 15 days (Công văn 2290)
//   updates      patches.pending_security eq|le|lt N    default 0 pending
//   IPv6         ipv6.level ge|gt|eq N                  default level 2 (routable address)
// Unknown is never a pass nor a failure: a machine whose fact is unknown (probe failed,
// report unreadable) or that stopped reporting is listed under "reporting" with what is
// missing, and under an action only for what its last report did establish.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/export/export.h"
#include "collector/policy/facts.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector {

enum class RemediationAction {
  Antivirus,   // install or enable anti-malware (real-time protection)
  Signatures,  // update signatures
  Updates,     // install security updates and restart
  Firewall,    // turn on the firewall
  Ipv6,        // the next IPv6 readiness step
  Reporting,   // restore reporting: stale, unreadable, or facts unknown
};
inline constexpr std::array<RemediationAction, 6> kRemediationActions = {
    RemediationAction::Antivirus, RemediationAction::Signatures, RemediationAction::Updates,
    RemediationAction::Firewall,  RemediationAction::Ipv6,       RemediationAction::Reporting};
std::string_view remediationKey(RemediationAction action);  // "antivirus", "signatures", ...
std::string_view remediationTitle(RemediationAction action, bool vietnamese);
std::string_view remediationAdvice(RemediationAction action, bool vietnamese);

// The limits a machine is held to, and where each came from ("" : the default).
struct RemediationThresholds {
  double signatureMaxDays = 15;  // more is "update signatures"
  std::string signatureFrom;     // "policy-id/check-id"
  double pendingSecurityMax = 0;
  std::string updatesFrom;
  int ipv6Level = 2;  // below it: the next IPv6 step
  std::string ipv6From;
};
// The thresholds of the given policies (those in force at one unit): the strictest
// comparison each defines in its checks (through named predicates too).
RemediationThresholds remediationThresholds(const std::vector<const policy::Policy*>& inForce);

// What the IPv6 probe said beyond its level, to name the step (nullopt: not reported).
struct Ipv6Detail {
  std::optional<bool> defaultRoute, resolver, collectorAaaa, collectorConnect;
};

struct RemediationFinding {
  RemediationAction action;
  std::string observedVi, observedEn;  // "12 ngày (ngưỡng 7)" / "12 days (limit 7)"
  std::string stepVi, stepEn;          // the IPv6 step, or what is missing (reporting)
};
// The actions one machine needs, in kRemediationActions order. `decoded` false: the report
// is unreadable (every fact unknown). `stale`: no report within the stale window (its last
// report still says what to fix); `lastSeen`/`now` give its age in words.
std::vector<RemediationFinding> remediationFindings(const policy::Facts& facts,
                                                    const Ipv6Detail& ipv6,
                                                    const RemediationThresholds& limits,
                                                    bool decoded, bool stale,
                                                    std::int64_t lastSeen, std::int64_t now);

struct RemediationItem {
  std::string unitCode, unitNameVi, unitNameEn, hostname, agentId, os;
  std::int64_t lastSeen = 0;  // when the collector received the report used
  bool stale = false;
  std::string observedVi, observedEn, stepVi, stepEn;
};

struct RemediationGroup {
  RemediationAction action;
  std::string thresholdVi, thresholdEn;  // the limits used, with their policies
  std::vector<RemediationItem> items;    // by unit (tree order), then hostname
};

struct RemediationList {
  std::string unitCode, unitNameVi, unitNameEn;  // "": every unit
  std::vector<std::string> units;                // in scope, tree order
  std::int64_t generatedAt = 0;
  std::int64_t staleAfterSeconds = 0;
  std::string collector;      // this collector's host name
  std::string caFingerprint;  // SHA-256 of its CA certificate
  bool vietnamese = true;     // the language of the rendered files
  std::size_t endpoints = 0;  // machines in scope
  std::size_t machinesToFix = 0;  // machines with at least one finding
  std::vector<RemediationGroup> groups;  // one per action, kRemediationActions order
};

// ExportError (naming `unit`) when unitCode names no unit of the tree and no endpoint.
RemediationList buildRemediation(const ExportSource& source, const std::string& unitCode,
                                 std::int64_t staleAfterSeconds, bool vietnamese,
                                 std::int64_t now);
// The same from the database: each endpoint's latest report and the organization model.
RemediationList buildRemediation(db::Connection& db,
                                 std::shared_ptr<const std::vector<policy::Policy>> policies,
                                 const std::string& unitCode, std::int64_t staleAfterSeconds,
                                 bool vietnamese, const std::string& caFingerprint,
                                 std::int64_t now);

// Renderings (collector/remediation/render.cpp), in the list's language with bilingual
// headers. CSV: UTF-8 with BOM, RFC 4180, one row per (action, machine). Text: for the
// terminal. JSON: the console's page. XLSX: "Thông tin - About" and one sheet per action.
std::string renderRemediationCsv(const RemediationList& list);
std::string renderRemediationText(const RemediationList& list);
// JSON lists at most `perGroup` machines of each group ("count" is every one, "shown" those
// listed): a page of 100,000 rows helps nobody, the CSV and XLSX carry them all.
util::Json remediationJson(const RemediationList& list, std::size_t perGroup = SIZE_MAX);
std::string renderRemediationXlsx(const RemediationList& list);
// "khac-phuc-BS-2026-12-06.csv": the file name offered for a download.
std::string remediationFileName(const RemediationList& list, std::string_view extension);

}  // namespace posture::collector

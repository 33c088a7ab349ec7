#pragma once
// Alert groups: the alerts of one rule in one unit (every endpoint failing one check in
// one office) form a group; a target alert is a group of one. alert_groups keeps each
// group's member counts in step with alerts (triggers, same transaction; migration of issue
// 17), so a grouped list reads groups, not members.
//
// Group status derives from its active members: open if any member is open, acknowledged
// if every active member is acknowledged, resolved when none is active. Group transitions
// (alert_group_events) are the notices delivery sends: opened, reopened, resolved by the
// evaluator; acknowledged, assigned, commented, resolved by a person. See README.md for the
// rule of a new member joining an acknowledged group.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerts/alerts.h"
#include "common/db/sqlite.h"

namespace posture::collector {

struct AlertGroup {
  std::int64_t id = 0;
  std::string rule, unitCode, severity, titleVi, titleEn;
  std::int64_t open = 0, acknowledged = 0;  // active members by status
  std::int64_t members = 0;                 // every member ever, resolved ones too
  std::int64_t firstSeen = 0, lastSeen = 0;
  std::string assignee;  // the one assignee every active member shares, else ""
  // open, acknowledged or resolved, from the counts.
  std::string status() const {
    return open > 0 ? "open" : acknowledged > 0 ? "acknowledged" : "resolved";
  }
};

// "RULE@UNIT" (the unit may be empty: a fleet target's group is "RULE@"). The rule is
// everything before the last '@'. nullopt when there is no '@' or the rule is empty.
std::optional<std::pair<std::string, std::string>> parseGroupKey(const std::string& key);
std::string groupKey(const std::string& rule, const std::string& unitCode);

struct GroupFilter {
  bool activeOnly = true;       // open or acknowledged
  std::string status;           // open | acknowledged | resolved, or "" (see activeOnly)
  std::string severity, rule;   // rule: exact
  std::string rulePrefix;       // rule: a prefix
  std::vector<std::string> unitCodes;  // a subtree; empty: every unit
  std::size_t limit = 100000;
  std::int64_t afterId = 0, beforeId = 0;  // keyset paging by group id
};
std::vector<AlertGroup> listGroups(db::Connection& db, const GroupFilter& filter);
std::int64_t countGroups(db::Connection& db, const GroupFilter& filter);
std::optional<AlertGroup> findGroup(db::Connection& db, const std::string& rule,
                                    const std::string& unitCode);
std::optional<AlertGroup> findGroup(db::Connection& db, std::int64_t id);

// A unit of the organization tree and every unit below it; empty when it is not in the tree.
std::vector<std::string> unitSubtree(db::Connection& db, const std::string& unitCode);

// Per rule over the filter's groups (paging ignored): how many units (groups) and members.
struct RuleRollup {
  std::string rule, severity, titleVi, titleEn;
  std::int64_t units = 0, open = 0, acknowledged = 0;
};
std::vector<RuleRollup> rollupByRule(db::Connection& db, const GroupFilter& filter);

struct GroupEvent {
  std::int64_t id = 0, groupId = 0, at = 0;
  std::string event, actor, detail;
  std::int64_t open = 0, acknowledged = 0;
};
std::vector<GroupEvent> groupEvents(db::Connection& db, std::int64_t groupId);

// Notes the groups members of which change within one transaction (before the change) and
// writes their transitions after: opened (first active member), reopened (a resolved group
// active again, or a new member in an acknowledged group), resolved (no active member left),
// and, for a person's change of one member, acknowledged when the group's last open member
// was acknowledged. A group whose status did not move writes nothing.
class GroupTransitions {
 public:
  explicit GroupTransitions(db::Connection& db) : db_(db) {}
  void before(const std::string& rule, const std::string& unitCode);
  // `text`: a person's comment, at the head of the transition's detail.
  void finish(std::int64_t now, const std::string& actor, const std::string& text = "");

 private:
  struct State {
    bool exists = false;
    std::int64_t open = 0, acknowledged = 0;
  };
  db::Connection& db_;
  std::optional<db::Statement> read_;
  std::map<std::pair<std::string, std::string>, State> before_;
};

// The shared assignee of a group's active members ("" when none or several), stored.
void refreshGroupAssignee(db::Connection& db, const std::string& rule, const std::string& unitCode);

struct GroupActionResult {
  AlertGroup group;
  std::size_t members = 0;  // members the action changed
};
// One action on every active member of a group, in one transaction: each member gets its
// alert_event and audit entry (actor, the group key), and the group one transition.
// Acknowledge acts on the open members, resolve, assign and comment on every active one.
// Throws AlertError for an unknown group, an empty comment or assignee, or a group with
// no member to act on.
GroupActionResult actOnGroup(db::Connection& db, const std::string& rule, const std::string& unitCode,
                             AlertAction action, const std::string& actor, const std::string& text,
                             std::int64_t now);

}  // namespace posture::collector

#pragma once
// What the collector keeps (issue 18, collector/README.md "Retention"):
//   * every report received within `raw` (default 90 days);
//   * then, until `daily` (default 2 years), one report per endpoint per Vietnam day: the
//     one with the highest sequence received that day, so an as-of export of that day
//     reads the same report it read before;
//   * nothing older, except the latest report of each endpoint (endpoints.report_id);
//   * the audit log and alert events for max(events, raw, daily) (default 2 years).
// Cuts fall on Vietnam midnights (UTC+7): a day is kept whole or not at all.
// Durations are seconds; nullopt is `off`, kept forever.
#include <cstdint>
#include <optional>
#include <string>

#include "common/db/sqlite.h"

namespace posture::collector::retention {

struct Settings {
  std::optional<std::int64_t> raw = 90 * 86400LL;
  std::optional<std::int64_t> daily = 2 * 365 * 86400LL;
  std::optional<std::int64_t> eventsMin = 2 * 365 * 86400LL;
  std::int64_t pruneEverySeconds = 600;

  static Settings keepForever();  // every duration off
  // max(eventsMin, raw, daily); nullopt (forever) when any of them is off.
  std::optional<std::int64_t> events() const;
};

// The serve options' texts ("90d", "2y", "off"), checked together; throws
// std::invalid_argument naming the option, Vietnamese first then English.
Settings parseSettings(const std::string& raw, const std::string& daily,
                       const std::string& eventsMin, const std::string& pruneEvery);
std::string describe(const Settings& s);  // "raw 90d, daily 730d, events 730d" for the log

// The cuts of a pass at `now`: reports received before `dailyCut` go (but the latest of
// each endpoint); those before `rawCut` are thinned to one per endpoint per day; events
// before `eventsCut` go. Each is a Vietnam midnight; nullopt: nothing cut.
struct Cuts {
  std::optional<std::int64_t> rawCut, dailyCut, eventsCut;
};
Cuts cutsAt(const Settings& s, std::int64_t now);
std::int64_t startOfVietnamDay(std::int64_t day);  // Unix seconds of 00:00 UTC+7

// retention_state: what serve runs with, recorded at its start, so the offline CLI knows.
void recordSettings(db::Connection& db, const Settings& s, std::int64_t now);
// The settings last recorded; nullopt when no serve recorded any (nothing was pruned).
std::optional<Settings> recordedSettings(db::Connection& db);

// The oldest Vietnam day an as-of export can be taken for (days since the epoch), from
// the recorded daily retention at `now` and the cut the pruner last made; nullopt: any.
std::optional<std::int64_t> oldestAsOfDay(db::Connection& db, std::int64_t now);

// The refusal of an as-of day older than `oldest`, Vietnamese then English, naming the
// oldest day kept as dd/mm/yyyy.
struct TooOld {
  std::string vi, en;
};
TooOld tooOldMessage(std::int64_t oldest);
// nullopt when `asOfDay` is kept; the message otherwise.
std::optional<TooOld> checkAsOfDay(db::Connection& db, std::int64_t asOfDay, std::int64_t now);

std::string formatDayVn(std::int64_t day);  // "dd/mm/yyyy"

}  // namespace posture::collector::retention

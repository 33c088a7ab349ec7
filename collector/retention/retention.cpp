#include "collector/retention/retention.h"

#include <algorithm>
#include <stdexcept>

#include "common/util/args.h"
#include "common/util/time.h"

namespace posture::collector::retention {
namespace {

std::optional<std::int64_t> parseKeep(const std::string& option, const std::string& text) {
  if (text == "off") return std::nullopt;
  auto v = util::parseDurationSeconds(text);
  if (!v || *v < util::kSecondsPerDay) {
    throw std::invalid_argument(
        "--" + option + ": cần một khoảng thời gian từ 1 ngày trở lên (như 90d, 2y) hoặc off / needs "
        "a duration of at least one day (like 90d, 2y) or off, got '" + text + "'");
  }
  return *v;
}

std::string text(const std::optional<std::int64_t>& v) {
  if (!v) return "off";
  if (*v % util::kSecondsPerDay == 0) return std::to_string(*v / util::kSecondsPerDay) + "d";
  return std::to_string(*v) + "s";
}

std::optional<std::int64_t> nullableInt(db::Statement& st, int col) {
  if (st.isNull(col)) return std::nullopt;
  return st.getInt(col);
}

}  // namespace

Settings Settings::keepForever() {
  Settings s;
  s.raw = s.daily = s.eventsMin = std::nullopt;
  return s;
}

std::optional<std::int64_t> Settings::events() const {
  if (!eventsMin || !raw || !daily) return std::nullopt;
  return std::max({*eventsMin, *raw, *daily});
}

Settings parseSettings(const std::string& raw, const std::string& daily,
                       const std::string& eventsMin, const std::string& pruneEvery) {
  Settings s;
  s.raw = parseKeep("retention-raw", raw);
  s.daily = parseKeep("retention-daily", daily);
  s.eventsMin = parseKeep("retention-events-min", eventsMin);
  if (!s.raw && s.daily) {
    throw std::invalid_argument(
        "--retention-daily: --retention-raw là off (giữ mọi báo cáo mãi mãi), nên "
        "--retention-daily cũng phải là off / --retention-raw is off (every report kept forever), "
        "so --retention-daily must be off too");
  }
  if (s.raw && s.daily && *s.daily < *s.raw) {
    throw std::invalid_argument("--retention-daily (" + daily + ") phải dài hơn hoặc bằng --retention-raw (" +
                                raw + ") / must be at least --retention-raw");
  }
  auto every = util::parseDurationSeconds(pruneEvery);
  if (!every || *every < 10) {
    throw std::invalid_argument("--prune-every: cần một khoảng thời gian từ 10s trở lên (như 10m) / needs a "
                                "duration of at least 10s (like 10m), got '" + pruneEvery + "'");
  }
  s.pruneEverySeconds = *every;
  return s;
}

std::string describe(const Settings& s) {
  return "raw " + text(s.raw) + ", daily " + text(s.daily) + ", audit and alert events " +
         text(s.events());
}

std::int64_t startOfVietnamDay(std::int64_t day) {
  return day * util::kSecondsPerDay - util::kVietnamOffsetSeconds;
}

Cuts cutsAt(const Settings& s, std::int64_t now) {
  // The Vietnam day that holds now - keep is kept whole: the cut is its midnight.
  auto cut = [&](const std::optional<std::int64_t>& keep) -> std::optional<std::int64_t> {
    if (!keep) return std::nullopt;
    return startOfVietnamDay(util::vietnamDay(now - *keep));
  };
  return {cut(s.raw), cut(s.daily), cut(s.events())};
}

void recordSettings(db::Connection& db, const Settings& s, std::int64_t now) {
  auto st = db.prepare(
      "UPDATE retention_state SET raw_seconds = ?, daily_seconds = ?, events_seconds = ?, "
      "recorded_at = ? WHERE id = 1");
  auto bindOpt = [&](int i, const std::optional<std::int64_t>& v) {
    if (v) st.bind(i, *v);
    else st.bindNull(i);
  };
  bindOpt(1, s.raw);
  bindOpt(2, s.daily);
  bindOpt(3, s.eventsMin);
  st.bind(4, now);
  st.run();
}

std::optional<Settings> recordedSettings(db::Connection& db) {
  auto st = db.prepare(
      "SELECT raw_seconds, daily_seconds, events_seconds, recorded_at FROM retention_state WHERE id = 1");
  if (!st.step() || st.getInt(3) == 0) return std::nullopt;
  Settings s;
  s.raw = nullableInt(st, 0);
  s.daily = nullableInt(st, 1);
  s.eventsMin = nullableInt(st, 2);
  return s;
}

std::optional<std::int64_t> oldestAsOfDay(db::Connection& db, std::int64_t now) {
  std::optional<std::int64_t> oldest;
  if (auto s = recordedSettings(db); s && s->daily) {
    oldest = util::vietnamDay(*cutsAt(*s, now).dailyCut);
  }
  auto st = db.prepare("SELECT pruned_before FROM retention_state WHERE id = 1");
  if (st.step() && st.getInt(0) > 0) {
    // The pruner cut at a Vietnam midnight: that day and later are whole.
    std::int64_t day = util::vietnamDay(st.getInt(0));
    oldest = oldest ? std::max(*oldest, day) : day;
  }
  return oldest;
}

std::string formatDayVn(std::int64_t day) {
  std::string iso = util::formatDate(day);  // YYYY-MM-DD
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

TooOld tooOldMessage(std::int64_t oldest) {
  std::string d = formatDayVn(oldest);
  return {"ngày này cũ hơn thời gian lưu giữ báo cáo: ngày cũ nhất còn giữ là " + d +
              " (giờ Việt Nam); chọn ngày " + d + " hoặc sau đó",
          "that day is older than the reports kept (retention): the oldest day kept is " + d +
              " (Vietnam time); choose " + d + " or later"};
}

std::optional<TooOld> checkAsOfDay(db::Connection& db, std::int64_t asOfDay, std::int64_t now) {
  auto oldest = oldestAsOfDay(db, now);
  if (!oldest || asOfDay >= *oldest) return std::nullopt;
  return tooOldMessage(*oldest);
}

}  // namespace posture::collector::retention

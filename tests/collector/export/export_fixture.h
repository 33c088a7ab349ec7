#pragma once
// A collector data directory for the export tests, built through the library: the CA,
// a unit tree whose names carry commas, quotes, newlines and Vietnamese diacritics, and
// reports stored as the ingest path stores them (at chosen times).
//
//   QNG  Tỉnh Quảng Ngãi
//   └─ BS   Huyện Bình Sơn
//      └─ BS-TC  Phòng "Tài chính, Kế hoạch"\nhuyện Bình Sơn   (the tricky name)
//   DC   Huyện Đức Cơ                                           (another tree)
#include <filesystem>
#include <memory>
#include <string>

#include "collector/org/org.h"
#include "collector/pki/authority.h"
#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

namespace posture::test {

inline const std::string kTrickyUnitName = "Phòng \"Tài chính, Kế hoạch\"\nhuyện Bình Sơn";
inline const std::string kTrickyHostname = "PC-Kế toán, \"Số 1\"\ntầng 2 — ĐỨC";

class ExportFixture {
 public:
  ExportFixture() : dir_("posture-export-") {
    data = dir_.path() / "data";
    identity = collector::loadOrCreateIdentity(data, {});
    db = collector::openDatabase(data);
    using collector::org::Unit;
    using collector::org::UnitKind;
    std::int64_t t = util::unixNow();
    collector::org::putUnit(
        *db, Unit{"QNG", "", "Tỉnh Quảng Ngãi", "Quang Ngai province", UnitKind::Province}, "test",
        t);
    collector::org::putUnit(
        *db, Unit{"BS", "QNG", "Huyện Bình Sơn", "Binh Son district", UnitKind::District}, "test",
        t);
    collector::org::putUnit(
        *db,
        Unit{"BS-TC", "BS", kTrickyUnitName, "Finance, \"planning\" office", UnitKind::Department},
        "test", t);
    collector::org::putUnit(
        *db, Unit{"DC", "", "Huyện Đức Cơ", "Duc Co district", UnitKind::District}, "test", t);
  }

  // One report, received by the collector at `receivedAt` and collected at `collectedAt`
  // (0: the same); `protectedAv`: real-time protection on, signatures as fresh as the
  // report.
  void report(const std::string& agentId, const std::string& unit, const std::string& hostname,
              std::uint64_t sequence, std::int64_t receivedAt, bool protectedAv,
              std::int64_t collectedAt = 0) {
    if (collectedAt == 0) collectedAt = receivedAt;
    posture::v1::Report r;
    r.set_sequence(sequence);
    r.mutable_identity()->set_agent_id(agentId);
    r.mutable_identity()->set_hostname(hostname);
    r.mutable_identity()->set_os_name("Windows 10 Pro");
    r.mutable_identity()->set_os_version("22H2");
    r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_collected_at()->set_seconds(collectedAt);
    auto* av = r.mutable_antivirus();
    av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    auto* p = av->add_products();
    p->set_name("BKAV Pro");
    p->set_real_time_protection(protectedAv ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
    p->mutable_signature_time()->set_seconds(collectedAt - 3600);
    auto* fw = r.mutable_firewall();
    fw->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    fw->set_enabled(posture::v1::TRISTATE_ON);
    auto* pa = r.mutable_patches();
    pa->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    pa->set_pending_security_updates(protectedAv ? 0 : 3);
    store(agentId, unit, hostname, sequence, receivedAt, collectedAt, r.SerializeAsString());
  }

  // Any report body (or bytes that are none: an unreadable report), stored as ingest stores
  // it, received at `receivedAt`.
  void store(const std::string& agentId, const std::string& unit, const std::string& hostname,
             std::uint64_t sequence, std::int64_t receivedAt, std::int64_t collectedAt,
             const std::string& body) {
    collector::ReportRecord rec{agentId, unit, hostname, sequence, collectedAt, body};
    db::Transaction tx(*db);
    collector::ReportWriter writer(*db);
    writer.insert(rec, receivedAt);
    tx.commit();
  }

  std::filesystem::path path(const std::string& name) const { return dir_.path() / name; }

  TempDir dir_;
  std::filesystem::path data;
  collector::ServerIdentity identity;
  std::unique_ptr<db::Connection> db;
};

// A Vietnam wall-clock time (UTC+7) as Unix seconds: "2026-12-06", 12, 36, 5.
inline std::int64_t vietnamTime(const std::string& day, int h, int m, int s) {
  return *util::parseDate(day) * util::kSecondsPerDay + h * 3600 + m * 60 + s -
         util::kVietnamOffsetSeconds;
}

// Fixed instants for the date round trips, so that an ambiguous day/month order cannot pass
// by luck: a day of 12 or less (6 December: 12 June to a month-first reader), a month's
// last second (day above 12), and the first seconds of a year in Vietnam, when UTC is
// still in the year before.
inline const std::int64_t kPinnedNow = vietnamTime("2026-12-06", 12, 36, 5);
inline const std::int64_t kDayTwelveOrLess = vietnamTime("2026-12-03", 9, 7, 5);
inline const std::int64_t kMonthEnd = vietnamTime("2026-11-30", 23, 59, 59);
inline const std::int64_t kNewYear = vietnamTime("2026-01-01", 0, 0, 5);

// Noon (Vietnam time) of the day `daysAgo` days before today.
inline std::int64_t noonDaysAgo(int daysAgo) {
  std::int64_t today = util::vietnamDay(util::unixNow());
  return (today - daysAgo) * 86400 + 12 * 3600 - 7 * 3600;
}

}  // namespace posture::test

#include "tests/bench/province_fleet.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <sstream>

#include "collector/auth/users.h"
#include "tests/bench/console_client.h"
#include "tests/bench/fleet_baseline.h"

namespace posture::bench {

std::string Tree::yaml() const {
  std::ostringstream y;
  y << "units:\n";
  for (const auto& u : units) {
    y << "  - {code: " << u.code;
    if (!u.parent.empty()) y << ", parent: " << u.parent;
    y << ", kind: " << u.kind << ", name_vi: \"" << u.nameVi << "\", name_en: \"" << u.nameEn
      << "\"}\n";
  }
  return y.str();
}

Tree Tree::subtree(const std::string& root) const {
  Tree t;
  std::set<std::string> in{root};
  for (const auto& u : units) {  // parents come before their children
    if (u.code == root) {
      t.units.push_back(u);
      t.units.back().parent.clear();
    } else if (in.count(u.parent)) {
      in.insert(u.code);
      t.units.push_back(u);
    }
  }
  for (const auto& l : leaves)
    if (in.count(l)) t.leaves.push_back(l);
  for (const auto& d : districts)
    if (in.count(d)) t.districts.push_back(d);
  return t;
}

Tree makeTree(std::size_t unitCount, std::size_t districts) {
  Tree t;
  t.units.push_back({"QNG", "", "province", "Tỉnh Quảng Ngãi", "Quang Ngai province"});
  if (districts == 0) districts = std::max<std::size_t>(1, unitCount / 20);
  for (std::size_t d = 0; d < districts; ++d) {
    std::string code = "D" + std::to_string(d);
    t.units.push_back(
        {code, "QNG", "district", "Huyện " + std::to_string(d), "District " + std::to_string(d)});
    t.leaves.push_back(code);
    t.districts.push_back(code);
  }
  for (std::size_t c = 0; 1 + districts + c < unitCount; ++c) {
    std::string parent = "D" + std::to_string(c % districts);
    std::string code = parent + "-C" + std::to_string(c);
    t.units.push_back(
        {code, parent, "commune", "Xã " + std::to_string(c), "Commune " + std::to_string(c)});
    t.leaves.push_back(code);
  }
  return t;
}

std::vector<collector::ReportRecord> reportRecords(const FleetSpec& fleet,
                                                   const std::vector<std::size_t>& indices,
                                                   std::uint64_t sequence,
                                                   std::int64_t collectedAt) {
  std::vector<collector::ReportRecord> out;
  out.reserve(indices.size());
  for (std::size_t i : indices) {
    auto profile = fleet.gen.profile(i);
    collector::ReportRecord r;
    r.agentId = baselineAgentId(fleet.seed, i);
    r.unitCode = profile.unitCode;
    r.hostname = profile.hostname;
    r.sequence = sequence;
    r.collectedAt = collectedAt;
    r.body = fleet.gen.report(profile, r.agentId, sequence, collectedAt).SerializeAsString();
    out.push_back(std::move(r));
  }
  return out;
}

WriteFigures writeRecords(db::Connection& db, const std::vector<collector::ReportRecord>& records,
                          std::int64_t receivedAt, std::size_t batch) {
  WriteFigures f;
  collector::ReportWriter writer(db);
  for (const auto& r : records) f.bytes += r.body.size();
  auto t = Clock::now();
  double cpu = selfCpuSeconds();
  for (std::size_t start = 0; start < records.size(); start += batch) {
    db::Transaction tx(db);
    for (std::size_t i = start; i < std::min(records.size(), start + batch); ++i)
      writer.insert(records[i], receivedAt);
    tx.commit();
  }
  f.cpuSeconds = selfCpuSeconds() - cpu;
  f.seconds = secondsSince(t);
  f.reports = records.size();
  return f;
}

WriteFigures writeFleet(db::Connection& db, const FleetSpec& fleet, std::size_t count,
                        std::int64_t now) {
  WriteFigures all;
  const std::size_t batch = 2048;
  for (std::size_t start = 0; start < count; start += batch) {
    std::vector<std::size_t> indices;
    for (std::size_t i = start; i < std::min(count, start + batch); ++i) indices.push_back(i);
    auto f = writeRecords(db, reportRecords(fleet, indices, 1, now - 3600), now - 3590, batch);
    all.reports += f.reports;
    all.bytes += f.bytes;
    all.seconds += f.seconds;
    all.cpuSeconds += f.cpuSeconds;
  }
  return all;
}

std::string addBenchAdmin(db::Connection& db, std::int64_t now, const std::string& by) {
  std::string password = collector::auth::generatePassword("bench-admin");
  collector::auth::addUser(db, "bench-admin", collector::auth::Role::Admin, password, by, now);
  return password;
}

}  // namespace posture::bench

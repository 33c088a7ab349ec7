// Bytes as a child collector's push → the province's applyPushBytes (collector/federation/
// mounts.cpp: parse, bounds, epoch and sequence, mount check, one transaction) on a real
// SQLite database holding one registered child with a snapshot applied → the rows read back
// the way the province's evaluation reads them (loadEndpoints with the federated facts,
// loadOrg with the child's units, the pushed 2290 counts). Contracts: no exception escapes;
// a refused push (an error code, or a snapshot asked for) leaves every stored row as it was;
// an accepted one never moves the committed sequence backwards; pushed 2290 counts add up.
// The database goes back to the seed state after each input so that every run starts from
// the same state.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include "collector/export/report_2290.h"
#include "collector/federation/mounts.h"
#include "collector/org/org.h"
#include "collector/policy/facts.h"
#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "posture/v1/federation.pb.h"
#include "tests/fuzz/invariant.h"

using namespace posture;
using namespace posture::collector;

namespace {
constexpr std::int64_t kNow = 1748736000;  // 2025-06-01, fixed so crashes reproduce
const federation::UnitCodes kOwn = {"QNG", "BS"};

struct Scratch {
  std::filesystem::path dir;
  std::unique_ptr<db::Connection> db;
  ~Scratch() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
} scratch;

// Everything the province holds of its children, as one comparable text.
std::string dump(db::Connection& db) {
  std::string out;
  for (const char* sql :
       {"SELECT child_id || epoch || '/' || last_sequence || '/' || snapshot_through FROM federation_children",
        "SELECT code || parent || kind FROM federated_units ORDER BY code",
        "SELECT agent_id || unit_code || hex(facts) || hex(checks) FROM federated_endpoints ORDER BY agent_id",
        "SELECT unit_code || policy_id || target_id || satisfied || total FROM federated_targets ORDER BY 1",
        "SELECT unit_code || layer || pass FROM federated_layers ORDER BY 1",
        "SELECT code || unit_code || level FROM federated_systems ORDER BY 1",
        "SELECT unit_code || rule || severity || open FROM federated_alert_counts ORDER BY 1",
        "SELECT unit_code || machines || auto_protect || not_updated || hex(operating_systems) "
        "FROM federated_report_2290 ORDER BY 1"}) {
    auto st = db.prepare(sql);
    while (st.step()) out += st.getText(0) + "\n";
    out += "--\n";
  }
  return out;
}

void seed(db::Connection& db) {
  db.exec(
      "DELETE FROM federated_units; DELETE FROM federated_endpoints; DELETE FROM federated_targets; "
      "DELETE FROM federated_layers; DELETE FROM federated_systems; DELETE FROM federated_alert_counts; "
      "DELETE FROM federated_report_2290; "
      "DELETE FROM federation_children");
  federation::registerChild(db, "child", "BS", kNow - 3600);
  v1::FederationPush p;
  p.set_epoch(1);
  p.set_snapshot(true);
  p.set_snapshot_through(2);
  p.set_detail("endpoints");
  p.set_interval_seconds(60);
  auto* u = p.add_changes();
  u->set_sequence(1);
  u->mutable_unit()->set_code("BS-VP");
  u->mutable_unit()->set_name_vi("Văn phòng");
  u->mutable_unit()->set_kind("department");
  auto* e = p.add_changes();
  e->set_sequence(2);
  e->mutable_endpoint()->set_agent_id("a1");
  e->mutable_endpoint()->set_hostname("pc-01");
  e->mutable_endpoint()->set_unit_code("BS-VP");
  auto ack = federation::applyPush(db, "child", kOwn, p, kNow - 60);
  FUZZ_CHECK(ack.error_code().empty() && ack.committed_sequence() == 2);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  scratch.dir = std::filesystem::temp_directory_path() /
                ("posture-federation-fuzz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(scratch.dir);
  scratch.db = openDatabase(scratch.dir);
  scratch.db->exec("PRAGMA synchronous=OFF");
  seed(*scratch.db);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto& db = *scratch.db;
  std::string before = dump(db);
  v1::FederationAck ack = federation::applyPushBytes(db, "child", kOwn, bytes, kNow);
  if (!ack.error_code().empty() || ack.snapshot_required()) {
    FUZZ_CHECK(dump(db) == before);  // a refusal writes nothing
    FUZZ_CHECK(!ack.message_vi().empty() || ack.snapshot_required());
  } else {
    FUZZ_CHECK(ack.epoch() >= 1);
  }
  // What the province's evaluation reads of it.
  for (const auto& s : loadEndpoints(db)) {
    if (!s.federated.empty()) policy::factsFromFederated(s.federated, s.collectedAt, kNow);
  }
  auto org = org::loadOrg(db);
  for (const auto& u : org.units) org.ancestors(u.code);
  federation::loadFederatedEndpoints(db);
  // The pushed 2290 counts as the parent's report reads them keep the invariants of counts
  // made by one collector: every count within the machines, the reasons and the operating
  // systems adding up.
  for (const auto& [unit, f] : pushedFigures2290(db)) {
    FUZZ_CHECK(f.autoProtect <= f.machines && f.enableFirewall <= f.machines &&
               f.notUpdated <= f.machines && f.stale <= f.machines);
    std::uint64_t reasons = 0, os = 0;
    for (auto n : f.notUpdatedBy) reasons += n;
    for (const auto& [name, n] : f.osNames) os += n;
    FUZZ_CHECK(reasons == f.notUpdated && os == f.machines);
  }
  seed(db);
  return 0;
}

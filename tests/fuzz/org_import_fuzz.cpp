// Organization file text → `org import` (collector/org/org.cpp: strict YAML, audited writes
// in one transaction) into a real SQLite database → the model read back, its tree walked
// and the four layers of every unit evaluated. The contract is OrgError naming
// FILE:LINE:COLUMN; any other exception escaping is a finding. The database is emptied
// after each input so that every run starts from the same state.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/db/sqlite.h"
#include "tests/fuzz/invariant.h"

using namespace posture;
using namespace posture::collector;

namespace {
constexpr std::int64_t kNow = 1748736000;  // 2025-06-01, fixed so crashes reproduce
constexpr std::int64_t kToday = kNow / 86400;

// The database and its directory, removed when the fuzzer exits.
struct Scratch {
  std::filesystem::path dir;
  std::unique_ptr<db::Connection> db;
  ~Scratch() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
} scratch;

void emptyOrgTables(db::Connection& db) {
  db.exec(
      "DELETE FROM org_systems; DELETE FROM org_layers; DELETE FROM org_units; "
      "DELETE FROM audit_log");
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Its own directory per process (libFuzzer's -jobs run several), under /tmp.
  scratch.dir =
      std::filesystem::temp_directory_path() / ("posture-org-fuzz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(scratch.dir);
  scratch.db = openDatabase(scratch.dir);
  // Durability is not what is tested here; without it each input costs microseconds.
  scratch.db->exec("PRAGMA synchronous=OFF");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto& db = *scratch.db;
  try {
    auto r = org::importOrgText(db, text, "org.yaml", "fuzz", kNow);
    // Importing the same file again changes nothing.
    auto again = org::importOrgText(db, text, "org.yaml", "fuzz", kNow);
    FUZZ_CHECK(again.added == 0 && again.changed == 0);
    FUZZ_CHECK(again.unchanged == r.added + r.changed + r.unchanged);
  } catch (const org::OrgError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("org.yaml:"));
    return 0;
  }
  auto model = org::loadOrg(db);
  for (const auto& u : model.units) {
    model.ancestors(u.code);
    FUZZ_CHECK(!model.subtree(u.code).empty());
    for (int percent : {0, 100}) {
      org::evaluateLayers(model, u.code, kToday, {3, 4, static_cast<double>(percent)});
    }
  }
  for (const auto& l : model.layers) {
    org::formatDayVi(l.date);
    if (l.validUntil) org::formatDayVi(*l.validUntil);
    org::addMonths(l.date, l.periodMonths);
  }
  emptyOrgTables(db);
  return 0;
}

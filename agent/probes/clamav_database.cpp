#include "agent/probes/clamav_database.h"

#include <system_error>

#include "common/util/files.h"

namespace posture::agent {

ClamavDatabases readClamavDatabases(const std::filesystem::path& dir) {
  ClamavDatabases out;
  std::error_code ec;
  out.directoryReadable = std::filesystem::is_directory(dir, ec);
  if (!out.directoryReadable) return out;
  for (const char* base : {"daily", "main", "bytecode"}) {
    std::optional<ClamavDatabase> best;
    // freshclam keeps either the signed .cvd or the incrementally updated .cld; a .cud is
    // an unsigned container (sigtool --unsigned, private mirrors) that clamd also loads.
    // If several are present the higher version is the one clamd uses.
    for (const char* ext : {".cld", ".cvd", ".cud"}) {
      auto path = dir / (std::string(base) + ext);
      if (!std::filesystem::exists(path, ec)) continue;
      auto head = util::readFile(path, parsers::kCvdHeaderSize);
      if (!head) {
        out.errors.push_back("cannot read " + path.string());
        continue;
      }
      std::string error;
      auto header = parsers::parseCvdHeader(*head, &error);
      if (!header) {
        out.errors.push_back(path.string() + ": " + error);
        continue;
      }
      if (!best || header->version > best->header.version) best = ClamavDatabase{path.string(), *header};
    }
    if (!best) continue;
    if (std::string(base) == "daily") out.daily = best;
    out.all.push_back(std::move(*best));
  }
  return out;
}

AntivirusProduct clamavProduct(const ClamavDatabases& databases, const std::filesystem::path& dir,
                               std::int64_t now, Tristate realTimeProtection,
                               ProbeOutcome& outcome) {
  AntivirusProduct p;
  p.name = "ClamAV";
  p.vendor = "Cisco Talos";
  p.realTimeProtection = realTimeProtection;
  // ClamAV has no central management console.
  p.managed = Tristate::Unknown;
  for (const auto& e : databases.errors) outcome.note(e);

  if (!databases.directoryReadable) {
    outcome.note("ClamAV signature database directory " + dir.string() + " not found");
    p.source = dir.string();
    return p;
  }
  if (databases.all.empty()) {
    outcome.note("no signature database found at " + dir.string());
    p.source = dir.string();
    // An installed scanner without any signatures cannot be up to date.
    p.upToDate = Tristate::Off;
    return p;
  }
  const ClamavDatabase& shown = databases.daily ? *databases.daily : databases.all.front();
  p.signatureVersion = std::to_string(shown.header.version);
  p.signatureTime = shown.header.time;
  p.source = shown.path;
  if (!databases.daily) outcome.note("no daily signature database at " + dir.string());

  std::optional<std::int64_t> newest;
  for (const auto& db : databases.all) {
    if (db.header.time && (!newest || *db.header.time > *newest)) newest = db.header.time;
  }
  if (!newest) {
    outcome.note("signature database time could not be read");
  } else {
    p.upToDate = now - *newest <= kClamavMaxAgeSeconds ? Tristate::On : Tristate::Off;
  }
  return p;
}

}  // namespace posture::agent

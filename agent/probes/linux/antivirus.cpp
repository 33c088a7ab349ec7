#include "agent/probes/antivirus.h"

#include <filesystem>
#include <system_error>

#include "agent/probes/clamav_database.h"
#include "common/util/files.h"
#include "agent/probes/parsers/clamav.h"
#include "agent/probes/parsers/text.h"
#include "common/util/process.h"
#include "common/util/time.h"

namespace posture::agent {
namespace {

// True when a process with this command name (/proc/<pid>/comm) is running.
bool processRunning(std::string_view comm) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto text = util::readFile(it->path() / "comm", 256);
    if (text && parsers::trim(*text) == comm) return true;
  }
  return false;
}

std::filesystem::path clamavDatabaseDir() {
  for (const char* conf : {"/etc/clamav/clamd.conf", "/etc/clamav/freshclam.conf",
                           "/etc/clamd.d/scan.conf", "/etc/freshclam.conf"}) {
    auto text = util::readFile(conf, 1024 * 1024);
    if (!text) continue;
    if (auto dir = parsers::clamavDatabaseDirectory(*text)) return *dir;
  }
  return "/var/lib/clamav";
}

struct KnownProduct {
  const char* name;
  const char* vendor;
  const char* executable;  // found in PATH, or nullptr
  const char* directory;   // installation directory, or nullptr
};

// Installed-only detection: their status tools are parsed in a later version.
constexpr KnownProduct kOtherProducts[] = {
    {"Microsoft Defender for Endpoint", "Microsoft", "mdatp", "/opt/microsoft/mdatp"},
    {"ESET Endpoint Antivirus", "ESET", nullptr, "/opt/eset"},
    {"Kaspersky Endpoint Security", "Kaspersky", nullptr, "/opt/kaspersky/kesl"},
    {"Sophos Protection for Linux", "Sophos", nullptr, "/opt/sophos-spl"},
};

}  // namespace

AntivirusResult probeAntivirus(const ProbeContext&) {
  AntivirusResult r;
  std::string clamExe;
  for (const char* exe : {"clamscan", "clamd", "freshclam", "clamdscan"}) {
    clamExe = util::findExecutable(exe);
    if (!clamExe.empty()) break;
  }
  if (!clamExe.empty()) {
    auto dir = clamavDatabaseDir();
    auto dbs = readClamavDatabases(dir);
    Tristate realTime = processRunning("clamonacc") ? Tristate::On : Tristate::Off;
    r.products.push_back(clamavProduct(dbs, dir, util::unixNow(), realTime, r.outcome));
  }

  std::error_code ec;
  for (const auto& p : kOtherProducts) {
    std::string found;
    if (p.executable) found = util::findExecutable(p.executable);
    if (found.empty() && p.directory && std::filesystem::exists(p.directory, ec)) found = p.directory;
    if (found.empty()) continue;
    AntivirusProduct product;
    product.name = p.name;
    product.vendor = p.vendor;
    product.source = found;
    r.products.push_back(product);
    r.outcome.note(std::string(p.name) + " found at " + found +
                   "; its protection and signature state is not read yet");
  }
  if (r.products.empty()) r.outcome.note("no known anti-malware product found");
  return r;
}

}  // namespace posture::agent

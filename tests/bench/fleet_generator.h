#pragma once
// Synthetic but realistic endpoints for the fleet simulator and the ingest benchmark.
// Everything is derived from (seed, endpoint index) with a portable generator, so the same
// seed gives the same fleet on every machine and compiler (std:: distributions do not).
#include <cstdint>
#include <string>
#include <vector>

#include "posture/v1/report.pb.h"

namespace posture::bench {

// SplitMix64: tiny, fast, and identical everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // True with probability percent / 100.
  bool chance(double percent);

 private:
  std::uint64_t state_;
};

enum class OsKind { Windows10, Windows11, Server2019, Server2022, Ubuntu, Debian };
bool isWindows(OsKind os);
bool isServer(OsKind os);

enum class AvKind { Bkav, Kaspersky, Defender, ClamAv, KasperskyLinux };

struct AvProfile {
  AvKind kind = AvKind::Defender;
  bool realTime = true;
  bool managed = false;
  std::int64_t signatureAgeSeconds = 0;  // at the first report
  // A product that stopped updating stays stale; a healthy one keeps updating.
  bool stale = false;
};

// The fixed traits of one machine; its reports vary around them.
struct EndpointProfile {
  std::size_t index = 0;
  std::string unitCode;
  std::string hostname;
  OsKind os = OsKind::Windows10;
  std::string osBuildRevision;  // the part after the build number ("4291")
  std::vector<AvProfile> antivirus;  // empty: no protection at all
  bool antivirusProbeOk = true;
  bool patchesProbeOk = true;
  std::uint32_t pendingSecurity = 0;
  std::uint32_t pendingOther = 0;
  std::int64_t lastInstallAgeSeconds = 0;
  bool rebootRequired = false;
  bool automaticUpdates = true;
  std::uint32_t ipv6Level = 0;  // 0-4
  bool ipv6UniqueLocal = false;  // fd00::/8 instead of 2001:db8::/32
  bool ipv6ProbeOk = true;
  bool firewallProbeOk = true;   // false: Server Core without a firewall service
  bool firewallEnabled = true;
  bool firewallDefaultDeny = true;
  std::uint32_t firewallRules = 0;
};

class FleetGenerator {
 public:
  // units: the unit codes endpoints are spread over, round-robin (index % units).
  FleetGenerator(std::uint64_t seed, std::vector<std::string> units);

  EndpointProfile profile(std::size_t index) const;
  // Report number `sequence` (1, 2, ...) of the endpoint, collected at nowUnix. Later
  // reports drift a little: signatures advance, pending updates come and go.
  posture::v1::Report report(const EndpointProfile& endpoint, const std::string& agentId,
                             std::uint64_t sequence, std::int64_t nowUnix) const;

  const std::vector<std::string>& units() const { return units_; }

 private:
  std::uint64_t seed_;
  std::vector<std::string> units_;
};

// "BS-UBND" + 23 -> "BS-UBND-PC023"; unit codes are upper-cased, odd characters become '-'.
std::string hostnameFor(const std::string& unitCode, std::size_t numberInUnit, bool server);

}  // namespace posture::bench

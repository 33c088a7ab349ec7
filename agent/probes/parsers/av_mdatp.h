#pragma once
// Microsoft Defender for Endpoint on Linux: `mdatp health` output, one "name : value"
// line per field with values as JSON scalars (true/false, "quoted strings", numbers), as
// documented in Microsoft Learn, "Microsoft Defender for Endpoint on Linux resources"
// (mdatp health) and shown in its troubleshooting pages.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::agent::parsers {

struct MdatpHealth {
  std::optional<bool> healthy;
  std::optional<bool> licensed;
  std::optional<bool> realTimeProtectionEnabled;
  std::optional<bool> passiveModeEnabled;
  std::optional<bool> automaticDefinitionUpdateEnabled;
  std::string appVersion;
  std::string engineVersion;
  std::string definitionsVersion;
  std::string definitionsStatus;          // e.g. "up_to_date", "update_required"
  std::optional<std::int64_t> definitionsMinutesAgo;
  std::optional<std::string> orgId;       // set: the field was present (maybe empty)
};

// nullopt with *error set when no recognised field is found (e.g. an error message such
// as "ATTENTION: No license found. Contact your administrator for help.").
std::optional<MdatpHealth> parseMdatpHealth(std::string_view text, std::string* error = nullptr);

}  // namespace posture::agent::parsers

#include "agent/probes/parsers/av_mdatp.h"

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

std::optional<bool> boolValue(std::string_view v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return std::nullopt;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

}  // namespace

std::optional<MdatpHealth> parseMdatpHealth(std::string_view text, std::string* error) {
  MdatpHealth h;
  bool any = false;
  for (auto line : lines(text)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    bool known = true;
    if (key == "healthy") h.healthy = boolValue(value);
    else if (key == "licensed") h.licensed = boolValue(value);
    else if (key == "real_time_protection_enabled") h.realTimeProtectionEnabled = boolValue(value);
    else if (key == "passive_mode_enabled") h.passiveModeEnabled = boolValue(value);
    else if (key == "automatic_definition_update_enabled") h.automaticDefinitionUpdateEnabled = boolValue(value);
    else if (key == "app_version") h.appVersion = unquote(value);
    else if (key == "engine_version") h.engineVersion = unquote(value);
    else if (key == "definitions_version") h.definitionsVersion = unquote(value);
    else if (key == "definitions_status") h.definitionsStatus = unquote(value);
    else if (key == "org_id") h.orgId = unquote(value);
    else if (key == "definitions_updated_minutes_ago") {
      auto m = parseUnsigned(value);
      if (m && *m < (1ull << 40)) h.definitionsMinutesAgo = static_cast<std::int64_t>(*m);
    } else {
      known = false;
    }
    any = any || known;
  }
  if (!any) {
    auto first = lines(text);
    std::string shown = first.empty() ? std::string("empty output") : std::string(trim(first.front()));
    if (error) *error = "unrecognised mdatp health output: '" + shown.substr(0, 120) + "'";
    return std::nullopt;
  }
  return h;
}

}  // namespace posture::agent::parsers

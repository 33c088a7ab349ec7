#pragma once
// Kaspersky Endpoint Security for Linux (KESL 11/12): `kesl-control --app-info` and
// `kesl-control --get-task-state <task>`, "Name:   value" lines as shown in the KESL
// online help ("Viewing information about the application", "Viewing task state").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::agent::parsers {

struct KeslAppInfo {
  std::string name;     // "Kaspersky Endpoint Security 12.0 for Linux"
  std::string version;  // "12.0.0.6672"
  std::optional<bool> databasesLoaded;
  // "YYYY-MM-DD HH:MM:SS" as printed, in the host's local time; the probe converts it.
  std::string databaseReleaseDate;
  std::string licenseStatus;
};

// nullopt with *error set when neither a name nor a version is found.
std::optional<KeslAppInfo> parseKeslAppInfo(std::string_view text, std::string* error = nullptr);

// State of a task from --get-task-state: "Started"/"Running" → true, "Stopped" → false,
// nullopt when there is no recognisable State line.
std::optional<bool> parseKeslTaskState(std::string_view text);

// Local broken-down time of "YYYY-MM-DD HH:MM:SS" (or "DD.MM.YYYY HH:MM:SS") as seconds
// since 1970 as if it were UTC; the caller applies the host's zone. nullopt if malformed.
std::optional<std::int64_t> parseKeslCivilTime(std::string_view text);

}  // namespace posture::agent::parsers

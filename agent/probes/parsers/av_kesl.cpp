#include "agent/probes/parsers/av_kesl.h"

#include <algorithm>
#include <cctype>

#include "agent/probes/parsers/text.h"
#include "common/util/time.h"

namespace posture::agent::parsers {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits "Key:   value" at the first ':' followed by a blank or the end of the line, so
// that the time in a value ("2023-07-20 11:03:00") is not mistaken for the separator.
bool splitField(std::string_view line, std::string& key, std::string_view& value) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ':') continue;
    if (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t') {
      key = lower(trim(line.substr(0, i)));
      value = trim(line.substr(i + 1));
      return !key.empty();
    }
  }
  return false;
}

}  // namespace

std::optional<KeslAppInfo> parseKeslAppInfo(std::string_view text, std::string* error) {
  KeslAppInfo info;
  for (auto line : lines(text)) {
    std::string key;
    std::string_view value;
    if (!splitField(line, key, value)) continue;
    if (key == "name") {
      info.name = std::string(value);
    } else if (key == "version") {
      info.version = std::string(value);
    } else if (key.find("databases loaded") != std::string::npos) {
      auto v = lower(value);
      if (v == "yes") info.databasesLoaded = true;
      else if (v == "no") info.databasesLoaded = false;
    } else if (key.find("database release date") != std::string::npos ||
               key.find("databases release date") != std::string::npos) {
      // The first such line is the anti-virus databases; later ones are other modules.
      if (info.databaseReleaseDate.empty()) info.databaseReleaseDate = std::string(value);
    } else if (key.find("license status") != std::string::npos) {
      info.licenseStatus = std::string(value);
    }
  }
  if (info.name.empty() && info.version.empty()) {
    if (error) *error = "no Name or Version in kesl-control --app-info output";
    return std::nullopt;
  }
  return info;
}

std::optional<bool> parseKeslTaskState(std::string_view text) {
  for (auto line : lines(text)) {
    std::string key;
    std::string_view value;
    if (!splitField(line, key, value) || key != "state") continue;
    auto v = lower(value);
    if (v == "started" || v == "running") return true;
    if (v == "stopped") return false;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parseKeslCivilTime(std::string_view text) {
  auto w = words(trim(text));
  if (w.size() != 2) return std::nullopt;
  auto date = w[0];
  std::optional<std::uint64_t> y, m, d;
  if (date.size() == 10 && date[4] == '-' && date[7] == '-') {
    y = parseUnsigned(date.substr(0, 4));
    m = parseUnsigned(date.substr(5, 2));
    d = parseUnsigned(date.substr(8, 2));
  } else if (date.size() == 10 && date[2] == '.' && date[5] == '.') {
    d = parseUnsigned(date.substr(0, 2));
    m = parseUnsigned(date.substr(3, 2));
    y = parseUnsigned(date.substr(6, 4));
  }
  auto t = w[1];
  if (!y || !m || !d || t.size() != 8 || t[2] != ':' || t[5] != ':') return std::nullopt;
  auto hh = parseUnsigned(t.substr(0, 2));
  auto mm = parseUnsigned(t.substr(3, 2));
  auto ss = parseUnsigned(t.substr(6, 2));
  if (!hh || !mm || !ss) return std::nullopt;
  return util::unixFromCivil(static_cast<std::int64_t>(*y), static_cast<std::int64_t>(*m),
                             static_cast<std::int64_t>(*d), static_cast<std::int64_t>(*hh),
                             static_cast<std::int64_t>(*mm), static_cast<std::int64_t>(*ss));
}

}  // namespace posture::agent::parsers

#include "agent/probes/parsers/clamav.h"

#include <array>
#include <vector>

#include "agent/probes/parsers/text.h"
#include "common/util/time.h"

namespace posture::agent::parsers {
namespace {

void setError(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

std::optional<std::uint32_t> parseU32(std::string_view s) {
  auto v = parseUnsigned(trim(s));
  if (!v || *v > 0xffffffffu) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

}  // namespace

std::optional<std::int64_t> parseCvdBuildTime(std::string_view text) {
  auto w = words(trim(text));
  if (w.size() != 5) return std::nullopt;
  auto day = parseUnsigned(w[0]);
  auto year = parseUnsigned(w[2]);
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (w[1] == kMonths[i]) month = i + 1;
  }
  // The time is "HH-MM" because ':' separates the header fields.
  auto hm = w[3];
  if (!day || !year || month == 0 || *year > 9999 || hm.size() != 5 || hm[2] != '-') return std::nullopt;
  auto hh = parseUnsigned(hm.substr(0, 2));
  auto mm = parseUnsigned(hm.substr(3, 2));
  auto tz = w[4];
  if (!hh || !mm || *hh > 23 || *mm > 59 || tz.size() != 5 || (tz[0] != '+' && tz[0] != '-')) {
    return std::nullopt;
  }
  auto tzh = parseUnsigned(tz.substr(1, 2));
  auto tzm = parseUnsigned(tz.substr(3, 2));
  if (!tzh || !tzm || *tzh > 14 || *tzm > 59) return std::nullopt;
  auto local = util::unixFromCivil(static_cast<std::int64_t>(*year), month,
                                   static_cast<std::int64_t>(*day), static_cast<std::int64_t>(*hh),
                                   static_cast<std::int64_t>(*mm));
  if (!local) return std::nullopt;
  std::int64_t offset = (static_cast<std::int64_t>(*tzh) * util::kSecondsPerHour +
                         static_cast<std::int64_t>(*tzm) * util::kSecondsPerMinute) *
                        (tz[0] == '-' ? -1 : 1);
  return *local - offset;
}

std::optional<CvdHeader> parseCvdHeader(std::string_view header, std::string* error) {
  if (header.size() > kCvdHeaderSize) header = header.substr(0, kCvdHeaderSize);
  if (!header.starts_with("ClamAV-VDB:")) {
    setError(error, "not a ClamAV database (no ClamAV-VDB header)");
    return std::nullopt;
  }
  auto nul = header.find('\0');
  if (nul != std::string_view::npos) header = header.substr(0, nul);
  header = trim(header);
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (true) {
    auto c = header.find(':', pos);
    fields.push_back(header.substr(pos, c == std::string_view::npos ? std::string_view::npos : c - pos));
    if (c == std::string_view::npos) break;
    pos = c + 1;
  }
  // Old databases lack stime; the first eight fields are required.
  if (fields.size() < 8) {
    setError(error, "ClamAV database header has " + std::to_string(fields.size()) +
                        " fields, expected at least 8");
    return std::nullopt;
  }
  CvdHeader h;
  h.buildTime = std::string(trim(fields[1]));
  auto version = parseU32(fields[2]);
  auto sigs = parseU32(fields[3]);
  auto level = parseU32(fields[4]);
  if (!version) {
    setError(error, "ClamAV database header has a malformed version '" + std::string(fields[2]) + "'");
    return std::nullopt;
  }
  h.version = *version;
  h.signatures = sigs.value_or(0);
  h.functionalityLevel = level.value_or(0);
  h.builder = std::string(trim(fields[7]));
  if (fields.size() >= 9) {
    auto stime = parseUnsigned(trim(fields[8]));
    if (stime && *stime < (1ull << 40)) h.time = static_cast<std::int64_t>(*stime);
  }
  if (!h.time) h.time = parseCvdBuildTime(h.buildTime);
  return h;
}

std::optional<std::string> clamavDatabaseDirectory(std::string_view config) {
  std::optional<std::string> out;
  for (auto raw : lines(config)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto w = words(line);
    if (w.size() >= 2 && w[0] == "DatabaseDirectory") {
      auto value = trim(line.substr(line.find(w[1])));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      out = std::string(value);
    }
  }
  return out;
}

bool scheduleRunsFreshclam(std::string_view text) {
  constexpr std::string_view kName = "freshclam";
  auto isNameChar = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  };
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    for (auto pos = line.find(kName); pos != std::string_view::npos; pos = line.find(kName, pos + 1)) {
      bool startOk = pos == 0 || !isNameChar(line[pos - 1]) || line[pos - 1] == '.';
      auto end = pos + kName.size();
      // "freshclam", "/usr/bin/freshclam", "clamav-freshclam.service" all count.
      bool endOk = end == line.size() || !isNameChar(line[end]) || line.substr(end).starts_with(".service");
      if (pos > 0 && line[pos - 1] == '-') startOk = true;
      if (startOk && endOk) return true;
    }
  }
  return false;
}

}  // namespace posture::agent::parsers

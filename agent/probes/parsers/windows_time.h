#pragma once
// Time formats of the Windows APIs the Windows probes read, decoded without any Windows
// header so they are tested on Linux too. Every result is Unix seconds (UTC).
#include <cstdint>
#include <optional>
#include <string_view>

namespace posture::agent::parsers {

// CIM DATETIME as WMI returns it (DMTF DSP0004; Microsoft Learn "Date and Time Format"
// in the WMI documentation): "yyyymmddHHMMSS.mmmmmmsUUU", 25 characters, local time
// followed by its offset from UTC in minutes ('+' or '-'), e.g.
// "20231015083000.000000+420" is 2023-10-15 08:30:00 at UTC+7, i.e. 01:30:00 UTC.
// Microseconds are dropped. nullopt for the interval form ("ddddddddHHMMSS.mmmmmm:000"),
// for fields left as asterisks (unknown), and for anything malformed or impossible.
std::optional<std::int64_t> parseCimDateTime(std::string_view text);

// OLE Automation DATE (VT_DATE, Microsoft Learn "VariantTimeToSystemTime" / "DATE type"):
// days since 1899-12-30 00:00 as a double, the fraction being the time of day. For
// negative values the integer part counts days back and the fraction still runs forward
// (-1.25 is 1899-12-29 06:00). The Windows Update Agent's IUpdateHistoryEntry::Date is
// such a value in UTC. Rounded to the nearest second; nullopt when not finite or out of
// range.
std::optional<std::int64_t> oleDateToUnix(double date);

// FILETIME: 100-nanosecond intervals since 1601-01-01 UTC. nullopt for 0 (unset).
std::optional<std::int64_t> fileTimeToUnix(std::uint64_t fileTime);

}  // namespace posture::agent::parsers

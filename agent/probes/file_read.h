#pragma once
// Bounded reads for the probes: system files can be huge or endless (logs, /proc), and a
// probe must stay small. Both return nullopt when the file cannot be opened or read.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace posture::agent {

// The first maxBytes bytes (all of a shorter file).
std::optional<std::string> readHead(const std::filesystem::path& path, std::size_t maxBytes);

// The last maxBytes bytes of a regular file, starting at a line boundary when truncated,
// so a log's newest entries are kept whole.
std::optional<std::string> readTail(const std::filesystem::path& path, std::size_t maxBytes);

}  // namespace posture::agent

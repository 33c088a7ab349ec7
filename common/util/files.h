#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace posture::util {

// Whole file, or nullopt if it cannot be read. Reads at most maxBytes.
std::optional<std::string> readFile(const std::filesystem::path& path,
                                    std::size_t maxBytes = 16 * 1024 * 1024);
// The last maxBytes bytes of a file, starting after a line break when truncated, so a
// log's newest entries are kept whole; nullopt if it cannot be read.
std::optional<std::string> readTail(const std::filesystem::path& path, std::size_t maxBytes);
// Writes through a temporary file and rename, so a crash leaves the old or the new
// content, never half of it. mode applies to the new file (e.g. 0600 for keys).
// Throws std::runtime_error naming the path on failure.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content,
                     unsigned mode = 0644);
// Whether users other than the owner may read the file (POSIX mode bits for group or
// others), e.g. a file holding a secret. False on Windows, where ACLs decide, and when the
// file cannot be examined.
bool readableByOthers(const std::filesystem::path& path);

// Creates the directory (and its parents) if needed and makes it private: a new one is
// 0700; an existing one loses every permission for others and write for its group (0750
// with the service's group stays). Whatever the umask. Throws std::runtime_error naming
// the path. (Windows: creates it; the agent sets its ACL itself.)
void ensurePrivateDirectory(const std::filesystem::path& dir);
// Creates the file empty if missing, and makes it 0600 either way (a database, a key).
void ensurePrivateFile(const std::filesystem::path& file);

}  // namespace posture::util

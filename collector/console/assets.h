#pragma once
// The console's files, embedded into the binary at build time (cmake/EmbedFiles.cmake):
// every file of collector/console/web/ under its name, and "openapi.yaml".
#include <string>
#include <string_view>
#include <vector>

namespace posture::collector::console {

struct EmbeddedFile {
  std::string name;       // "index.html", "app.js", "openapi.yaml"
  std::string_view bytes;
};

const std::vector<EmbeddedFile>& embeddedFiles();

// By file name extension; "application/octet-stream" when unknown.
std::string_view contentTypeFor(std::string_view name);

}  // namespace posture::collector::console

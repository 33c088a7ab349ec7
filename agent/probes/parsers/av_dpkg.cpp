#include "agent/probes/parsers/av_dpkg.h"

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {

std::map<std::string, std::string> dpkgInstalledPackages(std::string_view status) {
  std::map<std::string, std::string> out;
  std::string name, version, state;
  auto flush = [&] {
    // The third word of Status is the package state; only "installed" means usable.
    auto w = words(state);
    if (!name.empty() && w.size() == 3 && w[2] == "installed") out[name] = version;
    name.clear();
    version.clear();
    state.clear();
  };
  for (auto line : lines(status)) {
    if (trim(line).empty()) {
      flush();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // continuation of a multi-line field
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = line.substr(0, colon);
    auto value = std::string(trim(line.substr(colon + 1)));
    if (key == "Package") {
      // A paragraph without a blank line before it still starts a new package.
      if (!name.empty()) flush();
      name = value;
    } else if (key == "Version") {
      version = value;
    } else if (key == "Status") {
      state = value;
    }
  }
  flush();
  return out;
}

}  // namespace posture::agent::parsers

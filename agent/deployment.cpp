#include "agent/deployment.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "common/util/files.h"

namespace posture::agent {
namespace {
std::string trim(std::string v) {
  v.erase(0, v.find_first_not_of(" \t\r"));
  v.erase(v.find_last_not_of(" \t\r") + 1);
  return v;
}

// The key of a `key=value` line; "" for comments, blank lines and lines without '='.
std::string keyOf(const std::string& line) {
  auto first = line.find_first_not_of(" \t");
  if (first == std::string::npos || line[first] == '#') return {};
  auto eq = line.find('=');
  if (eq == std::string::npos) return {};
  return trim(line.substr(0, eq));
}
}  // namespace

Deployment readDeployment(const std::filesystem::path& file) {
  Deployment out;
  if (!file.empty()) {
    std::string text = util::readFile(file, 1 << 20).value_or("");
    std::size_t at = 0;
    while (at < text.size()) {
      auto nl = text.find('\n', at);
      std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      at = nl == std::string::npos ? text.size() : nl + 1;
      if (auto key = keyOf(line); !key.empty()) out[key] = trim(line.substr(line.find('=') + 1));
    }
  }
  for (auto [env, key] : {std::pair{"POSTURE_COLLECTOR", "collector"}, std::pair{"POSTURE_TOKEN", "token"},
                          std::pair{"POSTURE_CA_FINGERPRINT", "ca_fingerprint"},
                          std::pair{"POSTURE_TRUST_ON_FIRST_USE", "trust_on_first_use"},
                          std::pair{"POSTURE_INTERVAL", "interval"}}) {
    if (const char* v = std::getenv(env); v && *v) out[key] = v;
  }
  return out;
}

bool isYes(const std::string& value) {
  std::string v = trim(value);
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return v == "yes" || v == "true" || v == "1" || v == "on";
}

bool forgetToken(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return false;  // as readDeployment: no file, no token
  auto text = util::readFile(file, 1 << 20);
  if (!text) throw std::runtime_error("cannot read " + file.string());
  std::string kept;
  bool removed = false;
  std::size_t at = 0;
  while (at < text->size()) {
    auto nl = text->find('\n', at);
    std::size_t end = nl == std::string::npos ? text->size() : nl + 1;  // with its '\n'
    std::string line = text->substr(at, end - at);
    at = end;
    std::string bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.pop_back();
    if (keyOf(bare) == "token") {
      removed = true;
      continue;
    }
    kept += line;
  }
  if (removed) util::writeFileAtomic(file, kept, 0600);
  return removed;
}

}  // namespace posture::agent

#include "agent/probes/identity.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "common/util/files.h"
#include "agent/probes/parsers/key_value.h"

#ifndef POSTURE_VERSION
#error "POSTURE_VERSION must be defined by the build"
#endif

namespace posture::agent {

IdentityResult probeIdentity(const ProbeContext&) {
  IdentityResult r;
  r.agentVersion = POSTURE_VERSION;

  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof host - 1) == 0) {
    r.hostname = host;
  } else {
    r.outcome.fail(ProbeStatus::Error, std::string("gethostname: ") + std::strerror(errno));
  }

  struct utsname uts {};
  if (::uname(&uts) == 0) {
    r.kernel = uts.release;
    r.architecture = uts.machine;
  } else {
    r.outcome.fail(ProbeStatus::Error, std::string("uname: ") + std::strerror(errno));
  }

  // os-release(5): /etc/os-release first, /usr/lib/os-release as the fallback.
  std::optional<std::string> text;
  std::string source;
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    text = util::readFile(path, 64 * 1024);
    if (text) {
      source = path;
      break;
    }
  }
  if (!text) {
    r.outcome.fail(ProbeStatus::Unavailable, "neither /etc/os-release nor /usr/lib/os-release is readable");
    return r;
  }
  auto kv = parsers::parseKeyValue(*text);
  auto get = [&](const char* key) {
    auto it = kv.find(key);
    return it == kv.end() ? std::string() : it->second;
  };
  r.osName = get("NAME");
  r.osVersion = get("VERSION_ID");
  r.osBuild = get("VERSION_CODENAME");
  if (r.osBuild.empty()) r.osBuild = get("BUILD_ID");
  if (r.osName.empty()) r.outcome.note(source + " has no NAME");
  // Rolling releases (Arch, Debian sid) have no VERSION_ID: that is their answer.
  if (r.osVersion.empty()) r.outcome.note(source + " has no VERSION_ID");
  return r;
}

}  // namespace posture::agent

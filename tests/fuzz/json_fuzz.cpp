// Bytes → the project's strict JSON parser (common/util/json.h: exports, manifests, the console).
// A refusal is util::JsonError; what parses must survive writing and parsing again unchanged,
// pretty or compact, and its canonical form (what manifest signatures cover) must be a
// fixed point.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/util/json.h"
#include "tests/fuzz/invariant.h"

namespace util = posture::util;

namespace {
// Reads every value through the typed accessors, as the manifest verification does.
void walk(const util::Json& v) {
  switch (v.type()) {
    case util::Json::Type::Array:
      for (const auto& item : v.items()) walk(item);
      break;
    case util::Json::Type::Object:
      for (const auto& [name, member] : v.members()) {
        FUZZ_CHECK(v.find(name) == &member);  // names are unique
        walk(member);
      }
      break;
    case util::Json::Type::Number:
      // Valid JSON numbers may still not fit; that is a util::JsonError, not a crash.
      try {
        v.asInt();
      } catch (const util::JsonError&) {
      }
      try {
        v.asDouble();
      } catch (const util::JsonError&) {
      }
      break;
    default:
      break;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  util::Json value;
  try {
    value = util::parseJson(text);
  } catch (const util::JsonError&) {
    return 0;
  }
  walk(value);
  for (bool pretty : {true, false}) {
    std::string written = util::writeJson(value, pretty);
    FUZZ_CHECK(util::parseJson(written) == value);
  }
  std::string canonical = util::canonicalJson(value);
  FUZZ_CHECK(util::canonicalJson(util::parseJson(canonical)) == canonical);
  return 0;
}

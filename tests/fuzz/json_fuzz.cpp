// Bytes → the strict JSON parser of the exports and manifests (collector/export/json.h).
// A refusal is JsonError; what parses must survive writing and parsing again unchanged,
// pretty or compact, and its canonical form (what manifest signatures cover) must be a
// fixed point.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collector/export/json.h"
#include "tests/fuzz/invariant.h"

using posture::collector::canonicalJson;
using posture::collector::Json;
using posture::collector::JsonError;
using posture::collector::parseJson;
using posture::collector::writeJson;

namespace {
// Reads every value through the typed accessors, as the manifest verification does.
void walk(const Json& v) {
  switch (v.type()) {
    case Json::Type::Array:
      for (const auto& item : v.items()) walk(item);
      break;
    case Json::Type::Object:
      for (const auto& [name, member] : v.members()) {
        FUZZ_CHECK(v.find(name) == &member);  // names are unique
        walk(member);
      }
      break;
    case Json::Type::Number:
      // Valid JSON numbers may still not fit; that is a JsonError, not a crash.
      try {
        v.asInt();
      } catch (const JsonError&) {
      }
      try {
        v.asDouble();
      } catch (const JsonError&) {
      }
      break;
    default:
      break;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Json value;
  try {
    value = parseJson(text);
  } catch (const JsonError&) {
    return 0;
  }
  walk(value);
  for (bool pretty : {true, false}) {
    std::string written = writeJson(value, pretty);
    FUZZ_CHECK(parseJson(written) == value);
  }
  std::string canonical = canonicalJson(value);
  FUZZ_CHECK(canonicalJson(parseJson(canonical)) == canonical);
  return 0;
}

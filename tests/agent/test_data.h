#pragma once
// Recorded outputs in tests/agent/data/ (each described in its README).
#include <doctest/doctest.h>

#include <string>

#include "common/util/files.h"

namespace posture::test {

inline std::string agentData(const std::string& name) {
  auto text = util::readFile(std::string(POSTURE_SOURCE_DIR "/tests/agent/data/") + name);
  REQUIRE_MESSAGE(text.has_value(), "missing test data tests/agent/data/" << name);
  return *text;
}

}  // namespace posture::test

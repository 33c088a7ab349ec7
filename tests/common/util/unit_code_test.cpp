#include "common/util/unit_code.h"

#include <doctest/doctest.h>

#include <string>

using namespace posture::util;

TEST_CASE("validCode: 1-64 ASCII letters, digits, '.', '_' or '-'") {
  CHECK(validCode("QNG"));
  CHECK(validCode("QNG.BS_xa-1"));
  CHECK(validCode(std::string(64, 'a')));
  CHECK_FALSE(validCode(std::string(65, 'a')));
  CHECK_FALSE(validCode(""));
  CHECK_FALSE(validCode("QNG BS"));
  CHECK_FALSE(validCode("QNG/BS"));
  CHECK_FALSE(validCode("Bình"));  // no letters outside ASCII
  CHECK_FALSE(validCode(std::string("A\0B", 3)));
}

TEST_CASE("invalidCodeMessage is the one refusal text") {
  CHECK(invalidCodeMessage("unit code", "a b") ==
        "unit code 'a b' must be 1-64 letters, digits, '.', '_' or '-'");
  CHECK(invalidCodeMessage("system code", "") ==
        "system code '' must be 1-64 letters, digits, '.', '_' or '-'");
}

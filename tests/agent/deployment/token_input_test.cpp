// `enroll`'s token: from argv, a file or standard input; trimmed; a file others can read
// is used with a warning.
#include "agent/token_input.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <sstream>

#include "common/util/args.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::agent;

TEST_CASE("the token comes from exactly one of --token, --token - and --token-file") {
  test::TempDir dir("posture-token-");
  std::istringstream none;
  CHECK(readToken(std::string("abc"), std::nullopt, none).token == "abc");

  std::istringstream in("  from-stdin\n");
  CHECK(readToken(std::string("-"), std::nullopt, in).token == "from-stdin");

  auto file = dir.write("token", "from-file\r\n");
  ::chmod(file.c_str(), 0600);
  auto t = readToken(std::nullopt, file.string(), none);
  CHECK(t.token == "from-file");
  CHECK(t.warning.empty());

  CHECK_THROWS_AS(readToken(std::nullopt, std::nullopt, none), util::ArgsError);
  CHECK_THROWS_AS(readToken(std::string("x"), file.string(), none), util::ArgsError);
  CHECK_THROWS_AS(readToken(std::nullopt, (dir.path() / "missing").string(), none), std::runtime_error);
  std::istringstream blank(" \n");
  CHECK_THROWS_AS(readToken(std::string("-"), std::nullopt, blank), std::runtime_error);
  std::istringstream huge(std::string(10000, 'x'));
  CHECK_THROWS_AS(readToken(std::string("-"), std::nullopt, huge), std::runtime_error);
}

TEST_CASE("a token file that group or others can read is used, with a warning naming the fix") {
  test::TempDir dir("posture-token-");
  auto file = dir.write("token", "T");
  std::istringstream none;
  for (mode_t mode : {0640, 0604, 0644}) {
    ::chmod(file.c_str(), mode);
    auto t = readToken(std::nullopt, file.string(), none);
    CHECK(t.token == "T");
    CHECK(t.warning.find("chmod 600 " + file.string()) != std::string::npos);
    CHECK(t.warning.find("cảnh báo") == 0);  // Vietnamese first
  }
}

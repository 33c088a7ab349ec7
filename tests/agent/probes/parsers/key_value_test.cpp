#include "agent/probes/parsers/key_value.h"

#include <doctest/doctest.h>

using posture::agent::parsers::parseKeyValue;

TEST_CASE("parseKeyValue reads Debian's os-release with quoted and unquoted values") {
  auto kv = parseKeyValue(R"osr(PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
)osr");
  CHECK(kv["NAME"] == "Debian GNU/Linux");
  CHECK(kv["VERSION_ID"] == "12");
  CHECK(kv["VERSION_CODENAME"] == "bookworm");
  CHECK(kv["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)");
  CHECK(kv.count("BUILD_ID") == 0);
}

TEST_CASE("parseKeyValue handles escapes, single quotes, comments and CRLF") {
  auto kv = parseKeyValue("# comment\r\nA=\"say \\\"hi\\\" \\$HOME\"\r\nB='x y'\r\n  C=plain  \r\nENABLED=yes\n");
  CHECK(kv["A"] == "say \"hi\" $HOME");
  CHECK(kv["B"] == "x y");
  CHECK(kv["C"] == "plain");
  CHECK(kv["ENABLED"] == "yes");
  CHECK(kv.size() == 4);
}

TEST_CASE("parseKeyValue skips malformed lines instead of guessing") {
  auto kv = parseKeyValue("NAME=\"unterminated\n=novalue\n1BAD=x\nno equals sign\nbad-key=1\nOK=1\n\x01\xff=\n");
  CHECK(kv.size() == 1);
  CHECK(kv["OK"] == "1");
  CHECK(parseKeyValue("").empty());
}

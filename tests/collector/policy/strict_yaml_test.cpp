#include "collector/policy/strict_yaml.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using namespace posture::policy;

namespace {
// A reader whose errors are "LINE:COLUMN: message".
class Reader : public StrictYamlReader {
 public:
  explicit Reader(MapRules rules = {}) : StrictYamlReader(rules) {}
  using StrictYamlReader::fail;
  [[noreturn]] void fail(Location at, const std::string& message) const override {
    throw std::runtime_error(std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + message);
  }
  Fields read(const std::string& yaml, const char* oneDocumentOf = nullptr) const {
    return fields(loadDocument(yaml, oneDocumentOf), "thing", {"a", "b"}, {"a"});
  }
};

std::string error(const Reader& r, const std::string& yaml, const char* oneDocumentOf = nullptr) {
  try {
    r.read(yaml, oneDocumentOf);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

constexpr MapRules kLoose{.describeNonMap = false, .plainKeys = false, .duplicateFirstLine = false,
                          .valueRequired = false};
}  // namespace

TEST_CASE("strict maps: allowed, required and duplicate keys, with positions") {
  Reader strict;
  auto fs = strict.read("a: 1\nb: two\n");
  REQUIRE(fs.size() == 2);
  CHECK(find(fs, "b")->value.Scalar() == "two");
  CHECK(find(fs, "c") == nullptr);
  CHECK(error(strict, "a: 1\nc: 2\n") == "2:1: unknown key 'c' in thing (allowed: a, b)");
  CHECK(error(strict, "b: 1\n") == "1:1: thing is missing required key 'a'");
  CHECK(error(strict, "a: 1\nb: 2\na: 3\n") == "3:1: duplicate key 'a' in thing (first at line 1)");
  CHECK(error(strict, "a:\n") == "1:1: 'a' has no value");
  CHECK(error(strict, "[1, 2]\n") == "1:1: thing must be a map, got a list");
  CHECK(error(strict, "? [x]\n: 1\n") == "1:3: keys of thing must be plain names");
  CHECK(error(strict, "a: [\n").find("YAML syntax error") != std::string::npos);
}

TEST_CASE("the org file's looser rules keep its messages") {
  Reader loose(kLoose);
  CHECK(error(loose, "a: 1\nb: 2\na: 3\n") == "3:1: duplicate key 'a' in thing");
  CHECK(error(loose, "[1, 2]\n") == "1:1: thing must be a map");
  CHECK(error(loose, "a:\n").empty());  // an empty value is the reader's business
}

TEST_CASE("one document per file when asked") {
  Reader strict;
  CHECK(error(strict, "a: 1\n---\na: 2\n", "a test file") ==
        "3:1: a test file holds one YAML document, found more");
  CHECK(error(strict, "a: 1\n---\na: 2\n").empty());  // else the first is read
  // yaml-cpp#1040: a stray top-level comma would make YAML::LoadAll loop forever.
  CHECK(error(strict, "- {a: 1}\n,\n", "a test file") == "2:1: YAML syntax error: unexpected ','");
}

TEST_CASE("describe and isPlain, for messages") {
  CHECK(describe(YAML::Load("7")) == "'7'");
  CHECK(describe(YAML::Load("\"7\"")) == "quoted text '7'");
  CHECK(describe(YAML::Load("[]")) == "an empty list");
  CHECK(describe(YAML::Load("{a: 1}")) == "a map");
  CHECK(isPlain(YAML::Load("7")));
  CHECK_FALSE(isPlain(YAML::Load("'7'")));
  CHECK(locationOf(YAML::Mark::null_mark()).line == 1);
}

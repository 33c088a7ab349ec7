#pragma once
// Strict YAML reading, shared by the two files IT officers write by hand: policies
// (loader.cpp) and the organization (collector/org/org.cpp). Unknown keys are refused
// with the allowed ones listed, duplicate keys are refused (yaml-cpp keeps both
// silently), required keys are checked, and every error points at FILE:LINE:COLUMN.
// Each reader keeps its own error type by implementing fail(Location, message).
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "collector/policy/policy.h"  // Location

namespace posture::policy {

// 1-based; a null mark (-1, nodes yaml-cpp synthesises) points at the file's start.
Location locationOf(const YAML::Mark& mark);
// A plain (unquoted) scalar: only these may be numbers or booleans, so that "7" in quotes
// stays text and a reader sees the type the loader sees.
bool isPlain(const YAML::Node& node);
// "'7'", "quoted text '7'", "a list", "an empty list", "a map", "nothing": for messages.
std::string describe(const YAML::Node& node);
// "a, b, c"
std::string joined(const std::vector<std::string_view>& items);

struct Field {
  std::string key;
  YAML::Node keyNode;
  YAML::Node value;
};
using Fields = std::vector<Field>;
const Field* find(const Fields& fields, std::string_view key);

// How strict a map is and how its errors read; the defaults are the policy loader's.
struct MapRules {
  bool describeNonMap = true;      // "X must be a map, got a list" (else "X must be a map")
  bool plainKeys = true;           // "keys of X must be plain names" (else read as text)
  bool duplicateFirstLine = true;  // "duplicate key 'k' in X (first at line N)"
  bool valueRequired = true;       // "'k' has no value"
};

class StrictYamlReader {
 public:
  explicit StrictYamlReader(MapRules rules = {}) : rules_(rules) {}
  virtual ~StrictYamlReader() = default;

  // Throws the reader's own error; never returns.
  [[noreturn]] virtual void fail(Location at, const std::string& message) const = 0;
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;

 protected:
  // The first document of `text`; a syntax error fails at the parser's position with
  // "YAML syntax error: ...". Given `oneDocumentOf` ("a policy file"), more than one
  // document fails too ("a policy file holds one YAML document, found more").
  YAML::Node loadDocument(std::string_view text, const char* oneDocumentOf = nullptr) const;
  // The entries of a map, duplicates refused.
  Fields entries(const YAML::Node& node, const std::string& what) const;
  // The same, with keys outside `allowed` refused and every key of `required` present.
  Fields fields(const YAML::Node& node, const std::string& what,
                const std::vector<std::string_view>& allowed,
                const std::vector<std::string_view>& required) const;

  // Scalars, each failing with `what` and what was found instead ("got a list").
  std::string text(const YAML::Node& node, const std::string& what) const;  // not empty
  int positiveInt(const YAML::Node& node, const std::string& what) const;  // plain, >= 1
  double number(const YAML::Node& node, const std::string& what) const;    // plain, finite
  // The value of a field that must be a list.
  const YAML::Node& list(const Field& f) const;

 private:
  void requireOneDocument(const std::string& yaml, const char* oneDocumentOf) const;
  MapRules rules_;
};

}  // namespace posture::policy

#pragma once
// The project's JSON: a small document model (the exports and their signed manifests, the
// console's API, audit details) built, written (indented for people, canonical for
// signatures) and parsed strictly; and jsonString, the one string escaper.
//
// Canonical form (what a manifest signature covers): no whitespace, object members sorted
// by the bytes of their UTF-8 names, strings escaped exactly as jsonString does
// (only '"', '\' and control characters), numbers as written. Parsing then re-writing
// canonically gives the same bytes whatever the indentation or the \u escapes used, so a
// manifest may be pretty-printed without breaking its signature, while any change of a
// name or value does.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/util/utf8.h"  // appendUtf8

namespace posture::util {

// A JSON string literal (with the quotes) of UTF-8 text: '"', '\' and control characters
// escaped, everything else kept as is.
std::string jsonString(std::string_view text);

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Json() = default;                              // null
  Json(bool b) : type_(Type::Bool), bool_(b) {}  // NOLINT: implicit on purpose
  Json(int n) : Json(IntTag{}, n) {}
  Json(unsigned n) : Json(IntTag{}, static_cast<long long>(n)) {}
  Json(long n) : Json(IntTag{}, n) {}
  Json(long long n) : Json(IntTag{}, n) {}
  Json(unsigned long n) : Json(IntTag{}, static_cast<long long>(n)) {}
  Json(unsigned long long n) : Json(IntTag{}, static_cast<long long>(n)) {}
  Json(double d);  // finite only (JsonError otherwise); shortest round-trip text
  Json(const char* s) : type_(Type::String), text_(s) {}
  Json(std::string s) : type_(Type::String), text_(std::move(s)) {}
  Json(std::string_view s) : type_(Type::String), text_(s) {}

  static Json array() { return Json(Type::Array); }
  static Json object() { return Json(Type::Object); }
  // An object of these members, in this order; JsonError naming a name that repeats. Costs
  // one pass, where set() looks through the members each time.
  static Json object(std::vector<std::pair<std::string, Json>> members);
  // A number from its JSON text, unchecked (the parser validates before calling it).
  static Json numberText(std::string text);

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::Null; }
  bool isString() const { return type_ == Type::String; }
  bool isNumber() const { return type_ == Type::Number; }
  bool isObject() const { return type_ == Type::Object; }
  bool isArray() const { return type_ == Type::Array; }
  bool isBool() const { return type_ == Type::Bool; }

  // Accessors throw JsonError on a type mismatch.
  bool asBool() const;
  const std::string& asString() const;
  const std::string& numberAsText() const;
  std::int64_t asInt() const;  // an integer number only
  double asDouble() const;

  // Arrays.
  Json& push(Json value);
  const std::vector<Json>& items() const;
  // Objects, in insertion order. set() replaces an existing member of that name.
  Json& set(const std::string& name, Json value);
  const Json* find(std::string_view name) const;
  const Json& at(std::string_view name) const;  // JsonError naming the member if absent
  bool remove(std::string_view name);
  const std::vector<std::pair<std::string, Json>>& members() const;

  std::size_t size() const;  // members or items; 0 for scalars

  bool operator==(const Json& other) const;

 private:
  struct IntTag {};
  explicit Json(Type t) : type_(t) {}
  Json(IntTag, long long n);
  Type type_ = Type::Null;
  bool bool_ = false;
  std::string text_;  // String: the value; Number: its JSON text
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// Indented (two spaces) when pretty, else compact; members in insertion order.
std::string writeJson(const Json& value, bool pretty = true);
// The canonical bytes described above.
std::string canonicalJson(const Json& value);
// Strict RFC 8259: one value, no trailing commas or comments, no duplicate member names,
// valid UTF-8, nesting at most 64 deep. JsonError with the byte offset on any fault.
Json parseJson(std::string_view text);

}  // namespace posture::util

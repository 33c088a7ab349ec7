#include "common/util/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "common/util/utf8.h"

namespace posture::util {
namespace {
constexpr int kMaxDepth = 64;

[[noreturn]] void mismatch(const char* wanted) {
  throw JsonError(std::string("JSON value is not ") + wanted);
}

// The text with every invalid UTF-8 byte replaced by U+FFFD, so what is written always
// parses back (and a signature over it verifies).
std::string jsonText(std::string_view s) { return jsonString(sanitizeUtf8(s)); }

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Json document() {
    skipSpace();
    Json v = value(0);
    skipSpace();
    if (i_ != s_.size()) error("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw JsonError("JSON: " + what + " at byte " + std::to_string(i_));
  }
  bool atEnd() const { return i_ >= s_.size(); }
  char peek() const { return atEnd() ? '\0' : s_[i_]; }
  void skipSpace() {
    while (!atEnd() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++i_;
  }
  void literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) error("invalid literal");
    i_ += word.size();
  }

  Json value(int depth) {
    if (depth > kMaxDepth) error("nesting deeper than " + std::to_string(kMaxDepth));
    switch (peek()) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return Json(string());
      case 't':
        literal("true");
        return Json(true);
      case 'f':
        literal("false");
        return Json(false);
      case 'n':
        literal("null");
        return Json();
      default:
        return number();
    }
  }

  // Names are checked with a set as they come: looking through the members for each
  // one made a 70 KB object take half a second (a console login body is up to 64 KiB).
  Json object(int depth) {
    expect('{');
    std::vector<std::pair<std::string, Json>> members;
    std::unordered_set<std::string> names;
    skipSpace();
    if (peek() == '}') {
      ++i_;
      return Json::object();
    }
    for (;;) {
      skipSpace();
      if (peek() != '"') error("expected a member name");
      std::size_t at = i_;
      std::string name = string();
      if (!names.insert(name).second) {
        i_ = at;
        error("duplicate member \"" + name + "\"");
      }
      skipSpace();
      expect(':');
      skipSpace();
      Json v = value(depth + 1);
      members.emplace_back(std::move(name), std::move(v));
      skipSpace();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return Json::object(std::move(members));
    }
  }

  Json array(int depth) {
    expect('[');
    Json arr = Json::array();
    skipSpace();
    if (peek() == ']') {
      ++i_;
      return arr;
    }
    for (;;) {
      skipSpace();
      arr.push(value(depth + 1));
      skipSpace();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect(']');
      return arr;
    }
  }

  std::uint32_t hex4() {
    if (i_ + 4 > s_.size()) error("truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        error("invalid \\u escape");
    }
    return v;
  }

  // One UTF-8 sequence starting at i_, checked (no overlong forms, no surrogates).
  void utf8(std::string& out) {
    std::size_t len = util::utf8SequenceLength(s_, i_);
    if (len == 0) error("invalid UTF-8");
    out.append(s_.substr(i_, len));
    i_ += len;
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (atEnd()) error("unterminated string");
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) error("control character in a string");
      if (c != '\\') {
        utf8(out);
        continue;
      }
      ++i_;
      if (atEnd()) error("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) error("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(i_, 2) != "\\u") error("lone high surrogate");
            i_ += 2;
            std::uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) error("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          util::appendUtf8(out, cp);
          break;
        }
        default:
          --i_;
          error("invalid escape");
      }
    }
  }

  Json number() {
    std::size_t start = i_;
    auto digits = [&] {
      std::size_t from = i_;
      while (!atEnd() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - from;
    };
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (digits() == 0) {
      i_ = start;
      error("expected a JSON value");
    }
    if (peek() == '.') {
      ++i_;
      if (digits() == 0) error("expected digits after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (digits() == 0) error("expected exponent digits");
    }
    return Json::numberText(std::string(s_.substr(start, i_ - start)));
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

void write(const Json& v, std::string& out, bool pretty, bool canonical, int indent) {
  auto newline = [&](int level) {
    if (!pretty) return;
    out += '\n';
    out.append(static_cast<std::size_t>(level) * 2, ' ');
  };
  switch (v.type()) {
    case Json::Type::Null:
      out += "null";
      return;
    case Json::Type::Bool:
      out += v.asBool() ? "true" : "false";
      return;
    case Json::Type::Number:
      out += v.numberAsText();
      return;
    case Json::Type::String:
      out += jsonText(v.asString());
      return;
    case Json::Type::Array: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        write(item, out, pretty, canonical, indent + 1);
      }
      newline(indent);
      out += ']';
      return;
    }
    case Json::Type::Object: {
      if (v.members().empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<std::string, Json>*> order;
      for (const auto& m : v.members()) order.push_back(&m);
      if (canonical) {
        std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
      }
      out += '{';
      bool first = true;
      for (const auto* m : order) {
        if (!first) out += ',';
        first = false;
        newline(indent + 1);
        out += jsonText(m->first);
        out += pretty ? ": " : ":";
        write(m->second, out, pretty, canonical, indent + 1);
      }
      newline(indent);
      out += '}';
      return;
    }
  }
}
}  // namespace

Json::Json(double d) : type_(Type::Number) {
  if (!std::isfinite(d)) throw JsonError("JSON numbers must be finite");
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  text_.assign(buf, r.ptr);
}

Json::Json(IntTag, long long n) : type_(Type::Number), text_(std::to_string(n)) {}

Json Json::object(std::vector<std::pair<std::string, Json>> members) {
  std::unordered_set<std::string_view> names;
  for (const auto& m : members) {
    if (!names.insert(m.first).second) throw JsonError("duplicate member \"" + m.first + "\"");
  }
  Json j(Type::Object);
  j.members_ = std::move(members);
  return j;
}

Json Json::numberText(std::string text) {
  Json j(Type::Number);
  j.text_ = std::move(text);
  return j;
}

bool Json::asBool() const {
  if (type_ != Type::Bool) mismatch("a boolean");
  return bool_;
}
const std::string& Json::asString() const {
  if (type_ != Type::String) mismatch("a string");
  return text_;
}
const std::string& Json::numberAsText() const {
  if (type_ != Type::Number) mismatch("a number");
  return text_;
}
std::int64_t Json::asInt() const {
  if (type_ != Type::Number) mismatch("a number");
  std::int64_t v = 0;
  auto r = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (r.ec != std::errc() || r.ptr != text_.data() + text_.size()) mismatch("an integer");
  return v;
}
double Json::asDouble() const {
  if (type_ != Type::Number) mismatch("a number");
  double v = 0;
  auto r = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (r.ec != std::errc()) mismatch("a representable number");
  return v;
}

Json& Json::push(Json value) {
  if (type_ != Type::Array) mismatch("an array");
  items_.push_back(std::move(value));
  return items_.back();
}
const std::vector<Json>& Json::items() const {
  if (type_ != Type::Array) mismatch("an array");
  return items_;
}
Json& Json::set(const std::string& name, Json value) {
  if (type_ != Type::Object) mismatch("an object");
  for (auto& m : members_) {
    if (m.first == name) {
      m.second = std::move(value);
      return m.second;
    }
  }
  members_.emplace_back(name, std::move(value));
  return members_.back().second;
}
const Json* Json::find(std::string_view name) const {
  if (type_ != Type::Object) return nullptr;
  for (const auto& m : members_) {
    if (m.first == name) return &m.second;
  }
  return nullptr;
}
const Json& Json::at(std::string_view name) const {
  const Json* v = find(name);
  if (!v) throw JsonError("JSON member \"" + std::string(name) + "\" is missing");
  return *v;
}
bool Json::remove(std::string_view name) {
  if (type_ != Type::Object) return false;
  auto it =
      std::find_if(members_.begin(), members_.end(), [&](auto& m) { return m.first == name; });
  if (it == members_.end()) return false;
  members_.erase(it);
  return true;
}
const std::vector<std::pair<std::string, Json>>& Json::members() const {
  if (type_ != Type::Object) mismatch("an object");
  return members_;
}
std::size_t Json::size() const {
  return type_ == Type::Array ? items_.size() : type_ == Type::Object ? members_.size() : 0;
}
bool Json::operator==(const Json& o) const {
  return type_ == o.type_ && bool_ == o.bool_ && text_ == o.text_ && items_ == o.items_ &&
         members_ == o.members_;
}

std::string writeJson(const Json& value, bool pretty) {
  std::string out;
  write(value, out, pretty, false, 0);
  if (pretty) out += '\n';
  return out;
}

std::string canonicalJson(const Json& value) {
  std::string out;
  write(value, out, false, true, 0);
  return out;
}

Json parseJson(std::string_view text) { return Parser(text).document(); }

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace posture::util

#include "agent/probes/parsers/key_value.h"

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

bool validKey(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return !(k[0] >= '0' && k[0] <= '9');
}

// Returns false when a quote is left open: such a line is not a valid assignment.
bool unquote(std::string_view v, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '"') {
      for (++i;; ++i) {
        if (i >= v.size()) return false;
        if (v[i] == '"') break;
        if (v[i] == '\\' && i + 1 < v.size() &&
            (v[i + 1] == '"' || v[i + 1] == '\\' || v[i + 1] == '$' || v[i + 1] == '`')) {
          ++i;
        }
        out += v[i];
      }
    } else if (c == '\'') {
      auto close = v.find('\'', i + 1);
      if (close == std::string_view::npos) return false;
      out.append(v.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '\\' && i + 1 < v.size()) {
      out += v[++i];
    } else if (c == ' ' || c == '\t') {
      break;  // unquoted blank ends the word; the rest would be a command
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace

std::map<std::string, std::string> parseKeyValue(std::string_view text) {
  std::map<std::string, std::string> out;
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = line.substr(0, eq);
    if (!validKey(key)) continue;
    std::string value;
    if (!unquote(line.substr(eq + 1), value)) continue;
    out[std::string(key)] = std::move(value);
  }
  return out;
}

}  // namespace posture::agent::parsers

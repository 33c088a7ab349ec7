#include "collector/policy/strict_yaml.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace posture::policy {
namespace {

// Where each document of a YAML stream starts and where its root node is, from yaml-cpp's
// parser events.
class DocumentMarks : public YAML::EventHandler {
public:
  struct Document {
    YAML::Mark start, root;
    bool hasRoot = false;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, mark}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

private:
  void node(const YAML::Mark& mark) {
    if (!documents.empty() && !documents.back().hasRoot) {
      documents.back().root = mark;
      documents.back().hasRoot = true;
    }
  }
};

}  // namespace

Location locationOf(const YAML::Mark& mark) {
  return Location{mark.line < 0 ? 1 : mark.line + 1, mark.column < 0 ? 1 : mark.column + 1};
}

bool isPlain(const YAML::Node& node) { return node.Tag() == "?"; }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return (isPlain(node) ? "'" : "quoted text '") + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return node.size() == 0 ? "an empty list" : "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

std::string joined(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

const Field* find(const Fields& fields, std::string_view key) {
  for (const auto& f : fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

void StrictYamlReader::fail(const YAML::Mark& mark, const std::string& message) const {
  fail(locationOf(mark), message);
  std::abort();  // not reached: every reader's fail(Location, ...) throws
}

void StrictYamlReader::fail(const YAML::Node& node, const std::string& message) const {
  fail(node.Mark(), message);
}

YAML::Node StrictYamlReader::loadDocument(std::string_view text, const char* oneDocumentOf) const {
  std::string yaml(text);
  try {
    if (oneDocumentOf) requireOneDocument(yaml, oneDocumentOf);
    return YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    fail(e.mark, "YAML syntax error: " + e.msg);
  }
}

// Not YAML::LoadAll: yaml-cpp 0.7 (Debian 12) loops in it forever, allocating, when a
// stray ',' is left at the top level (jbeder/yaml-cpp#1040; found by
// tests/fuzz/policy_loader_fuzz). Its parser then starts document after document at
// that ','; reading at most three shows it.
void StrictYamlReader::requireOneDocument(const std::string& yaml, const char* oneDocumentOf) const {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentMarks marks;
  for (int i = 0; i < 3 && parser.HandleNextDocument(marks); ++i) {
  }
  const auto& docs = marks.documents;
  for (std::size_t i = 1; i < docs.size(); ++i) {
    if (docs[i].start.pos == docs[i - 1].start.pos) {
      auto at = static_cast<std::size_t>(docs[i].start.pos);
      fail(docs[i].start, "YAML syntax error: unexpected '" +
                              (at < yaml.size() ? yaml.substr(at, 1) : std::string()) + "'");
    }
  }
  if (docs.size() > 1) {
    fail(docs[1].root, std::string(oneDocumentOf) + " holds one YAML document, found more");
  }
}

Fields StrictYamlReader::entries(const YAML::Node& node, const std::string& what) const {
  if (!node.IsMap()) {
    fail(node, what + " must be a map" + (rules_.describeNonMap ? ", got " + describe(node) : ""));
  }
  Fields fields;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (rules_.plainKeys && !it->first.IsScalar()) {
      fail(it->first, "keys of " + what + " must be plain names");
    }
    std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (const Field* prev = find(fields, key)) {
      fail(it->first, "duplicate key '" + key + "' in " + what +
                          (rules_.duplicateFirstLine
                               ? " (first at line " +
                                     std::to_string(locationOf(prev->keyNode.Mark()).line) + ")"
                               : ""));
    }
    // Every key of the format needs a value; pointing at the key beats pointing at
    // whatever line happens to follow the empty value.
    if (rules_.valueRequired && it->second.IsNull()) fail(it->first, "'" + key + "' has no value");
    fields.push_back(Field{key, it->first, it->second});
  }
  return fields;
}

Fields StrictYamlReader::fields(const YAML::Node& node, const std::string& what,
                                const std::vector<std::string_view>& allowed,
                                const std::vector<std::string_view>& required) const {
  Fields fs = entries(node, what);
  for (const auto& f : fs) {
    if (std::find(allowed.begin(), allowed.end(), f.key) == allowed.end()) {
      fail(f.keyNode, "unknown key '" + f.key + "' in " + what + " (allowed: " + joined(allowed) + ")");
    }
  }
  for (auto key : required) {
    if (find(fs, key) == nullptr) {
      fail(node, what + " is missing required key '" + std::string(key) + "'");
    }
  }
  return fs;
}

std::string StrictYamlReader::text(const YAML::Node& node, const std::string& what) const {
  if (!node.IsScalar()) fail(node, what + " must be text, got " + describe(node));
  if (node.Scalar().empty()) fail(node, what + " must not be empty");
  return node.Scalar();
}

int StrictYamlReader::positiveInt(const YAML::Node& node, const std::string& what) const {
  if (node.IsScalar() && isPlain(node)) {
    const std::string& s = node.Scalar();
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && v > 0) return v;
  }
  fail(node, what + " must be a whole number of at least 1, got " + describe(node));
}

double StrictYamlReader::number(const YAML::Node& node, const std::string& what) const {
  if (node.IsScalar() && isPlain(node)) {
    const std::string& s = node.Scalar();
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(v)) return v;
  }
  fail(node, what + " must be a number, got " + describe(node));
}

const YAML::Node& StrictYamlReader::list(const Field& f) const {
  if (!f.value.IsSequence()) {
    fail(f.value, "'" + f.key + "' must be a list, got " + describe(f.value));
  }
  return f.value;
}

}  // namespace posture::policy

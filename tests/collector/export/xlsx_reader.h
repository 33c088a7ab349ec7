#pragma once
// Reads back an XLSX workbook in tests: the zip container (stored or deflated entries,
// through zlib), the sheet names in order, and each sheet's cells as text (shared and
// inline strings unescaped, numbers as written). Enough for what libxlsxwriter and
// LibreOffice write; not a general XLSX reader.
#include <zlib.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/util/json.h"

namespace posture::test {

class XlsxReader {
 public:
  explicit XlsxReader(std::string bytes) : zip_(std::move(bytes)) {
    readDirectory();
    auto rels = relationships(entry("xl/_rels/workbook.xml.rels"));
    std::string wb = entry("xl/workbook.xml");
    for (std::size_t at = 0; (at = wb.find("<sheet ", at)) != std::string::npos; ++at) {
      std::size_t end = wb.find('>', at);
      std::string tag = wb.substr(at, end - at);
      std::string target = rels.at(attribute(tag, "r:id"));
      if (target.starts_with("/"))
        target = target.substr(1);
      else
        target = "xl/" + target;
      sheets_.emplace_back(unescape(attribute(tag, "name")), target);
    }
    if (files_.count("xl/sharedStrings.xml")) {
      std::string ss = entry("xl/sharedStrings.xml");
      for (std::size_t at = 0; (at = ss.find("<si>", at)) != std::string::npos;) {
        std::size_t end = ss.find("</si>", at);
        shared_.push_back(texts(ss.substr(at, end - at)));
        at = end;
      }
    }
  }

  std::vector<std::string> sheetNames() const {
    std::vector<std::string> out;
    for (const auto& s : sheets_) out.push_back(s.first);
    return out;
  }

  // Cells by (row, column), both 0-based.
  std::map<std::pair<int, int>, std::string> cells(const std::string& sheet) const {
    for (const auto& [name, path] : sheets_) {
      if (name == sheet) return parseSheet(entry(path));
    }
    throw std::runtime_error("no sheet " + sheet);
  }

  // The number format code of each styled cell, by (row, column): "dd/mm/yyyy hh:mm" for
  // a date cell libxlsxwriter wrote; built-in formats as "builtin:N" (14-22 are dates).
  std::map<std::pair<int, int>, std::string> numberFormats(const std::string& sheet) const {
    std::map<int, std::string> codes;
    std::vector<int> xfs;
    if (files_.count("xl/styles.xml")) {
      std::string st = entry("xl/styles.xml");
      for (std::size_t at = 0; (at = st.find("<numFmt ", at)) != std::string::npos; ++at) {
        std::string tag = st.substr(at, st.find('>', at) - at);
        codes[std::stoi(attribute(tag, "numFmtId"))] = unescape(attribute(tag, "formatCode"));
      }
      std::size_t begin = st.find("<cellXfs"), end = st.find("</cellXfs>");
      for (std::size_t at = begin; begin != std::string::npos &&
                                   (at = st.find("<xf ", at)) != std::string::npos && at < end;
           ++at) {
        std::string tag = st.substr(at, st.find('>', at) - at);
        std::string id = attribute(tag, "numFmtId");
        xfs.push_back(id.empty() ? 0 : std::stoi(id));
      }
    }
    std::map<std::pair<int, int>, std::string> out;
    for (const auto& [name, path] : sheets_) {
      if (name != sheet) continue;
      std::string xml = entry(path);
      for (std::size_t at = 0; (at = xml.find("<c ", at)) != std::string::npos; ++at) {
        std::string tag = xml.substr(at, xml.find('>', at) - at);
        std::string style = attribute(tag, "s");
        if (style.empty()) continue;
        std::size_t xf = std::stoul(style);
        if (xf >= xfs.size()) continue;
        int id = xfs[xf];
        out[reference(attribute(tag, "r"))] =
            codes.count(id) ? codes[id] : "builtin:" + std::to_string(id);
      }
      return out;
    }
    throw std::runtime_error("no sheet " + sheet);
  }

  // A sheet as rows of text (missing cells empty, up to the last non-empty cell).
  std::vector<std::vector<std::string>> rows(const std::string& sheet) const {
    std::vector<std::vector<std::string>> out;
    for (const auto& [rc, text] : cells(sheet)) {
      auto [r, c] = rc;
      if (out.size() <= static_cast<std::size_t>(r)) out.resize(static_cast<std::size_t>(r) + 1);
      auto& row = out[static_cast<std::size_t>(r)];
      if (row.size() <= static_cast<std::size_t>(c)) row.resize(static_cast<std::size_t>(c) + 1);
      row[static_cast<std::size_t>(c)] = text;
    }
    return out;
  }

  std::string entry(const std::string& name) const {
    auto it = files_.find(name);
    if (it == files_.end()) throw std::runtime_error("no zip entry " + name);
    const auto& f = it->second;
    std::size_t local = f.offset;
    if (u32(local) != 0x04034b50) throw std::runtime_error("bad local header of " + name);
    std::size_t data = local + 30 + u16(local + 26) + u16(local + 28);
    std::string compressed = zip_.substr(data, f.compressedSize);
    if (f.method == 0) return compressed;
    if (f.method != 8) throw std::runtime_error("unsupported zip method for " + name);
    std::string out(f.size, '\0');
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) throw std::runtime_error("inflateInit2");
    z.next_in = reinterpret_cast<Bytef*>(compressed.data());
    z.avail_in = static_cast<uInt>(compressed.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("cannot inflate " + name);
    return out;
  }

  static std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '&') {
        out += s[i];
        continue;
      }
      std::size_t semi = s.find(';', i);
      std::string ent = s.substr(i + 1, semi - i - 1);
      if (ent == "amp")
        out += '&';
      else if (ent == "lt")
        out += '<';
      else if (ent == "gt")
        out += '>';
      else if (ent == "quot")
        out += '"';
      else if (ent == "apos")
        out += '\'';
      else if (ent.starts_with("#x"))
        util::appendUtf8(out, static_cast<std::uint32_t>(std::stoul(ent.substr(2), nullptr, 16)));
      else if (ent.starts_with("#"))
        util::appendUtf8(out, static_cast<std::uint32_t>(std::stoul(ent.substr(1))));
      else
        out += "&" + ent + ";";
      i = semi;
    }
    return out;
  }

 private:
  struct File {
    std::size_t offset = 0, compressedSize = 0, size = 0;
    int method = 0;
  };

  std::uint32_t u16(std::size_t at) const {
    return static_cast<unsigned char>(zip_[at]) | (static_cast<unsigned char>(zip_[at + 1]) << 8);
  }
  std::uint32_t u32(std::size_t at) const { return u16(at) | (u16(at + 2) << 16); }

  void readDirectory() {
    if (zip_.size() < 22) throw std::runtime_error("not a zip file");
    std::size_t eocd = zip_.size() - 22;
    while (u32(eocd) != 0x06054b50) {
      if (eocd == 0) throw std::runtime_error("no zip end of central directory");
      --eocd;
    }
    std::size_t n = u16(eocd + 10), at = u32(eocd + 16);
    for (std::size_t i = 0; i < n; ++i) {
      if (u32(at) != 0x02014b50) throw std::runtime_error("bad zip central directory");
      File f;
      f.method = static_cast<int>(u16(at + 10));
      f.compressedSize = u32(at + 20);
      f.size = u32(at + 24);
      std::size_t nameLen = u16(at + 28), extra = u16(at + 30), comment = u16(at + 32);
      f.offset = u32(at + 42);
      files_[zip_.substr(at + 46, nameLen)] = f;
      at += 46 + nameLen + extra + comment;
    }
  }

  // "B7" -> (6, 1)
  static std::pair<int, int> reference(const std::string& ref) {
    int col = 0;
    std::size_t i = 0;
    while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') col = col * 26 + (ref[i++] - 'A' + 1);
    return {std::stoi(ref.substr(i)) - 1, col - 1};
  }

  static std::string attribute(const std::string& tag, const std::string& name) {
    std::string key = " " + name + "=\"";
    std::size_t at = tag.find(key);
    if (at == std::string::npos) return {};
    at += key.size();
    return tag.substr(at, tag.find('"', at) - at);
  }

  // Every <t> text of an element (rich text runs concatenated); phonetic runs skipped.
  static std::string texts(const std::string& xml) {
    std::string out;
    for (std::size_t at = 0; (at = xml.find("<t", at)) != std::string::npos;) {
      char next = xml[at + 2];
      if (next != '>' && next != ' ') {
        at += 2;
        continue;
      }
      std::size_t open = xml.find('>', at);
      if (xml[open - 1] == '/') {  // <t/>
        at = open;
        continue;
      }
      std::size_t close = xml.find("</t>", open);
      out += unescape(xml.substr(open + 1, close - open - 1));
      at = close;
    }
    return out;
  }

  std::map<std::string, std::string> relationships(const std::string& xml) const {
    std::map<std::string, std::string> out;
    for (std::size_t at = 0; (at = xml.find("<Relationship ", at)) != std::string::npos; ++at) {
      std::string tag = xml.substr(at, xml.find('>', at) - at);
      out[attribute(tag, "Id")] = attribute(tag, "Target");
    }
    return out;
  }

  std::map<std::pair<int, int>, std::string> parseSheet(const std::string& xml) const {
    std::map<std::pair<int, int>, std::string> out;
    for (std::size_t at = 0; (at = xml.find("<c ", at)) != std::string::npos;) {
      std::size_t tagEnd = xml.find('>', at);
      std::string tag = xml.substr(at, tagEnd - at);
      auto [row, col] = reference(attribute(tag, "r"));
      if (xml[tagEnd - 1] == '/') {  // an empty, formatted cell
        at = tagEnd;
        continue;
      }
      std::size_t close = xml.find("</c>", tagEnd);
      std::string body = xml.substr(tagEnd + 1, close - tagEnd - 1);
      std::string type = attribute(tag, "t");
      std::string value;
      std::size_t v = body.find("<v>");
      if (v != std::string::npos)
        value = unescape(body.substr(v + 3, body.find("</v>", v) - v - 3));
      if (type == "s")
        value = shared_.at(std::stoul(value));
      else if (type == "inlineStr")
        value = texts(body);
      out[{row, col}] = value;
      at = close;
    }
    return out;
  }

  std::string zip_;
  std::map<std::string, File> files_;
  std::vector<std::pair<std::string, std::string>> sheets_;  // name, entry path
  std::vector<std::string> shared_;
};

}  // namespace posture::test

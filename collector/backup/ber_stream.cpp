#include "collector/backup/ber_stream.h"

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace posture::collector::backup {

namespace {
struct Header {
  std::uint64_t at = 0;      // offset of the tag
  unsigned tag = 0;          // first identifier octet
  bool indefinite = false;
  std::uint64_t length = 0;  // definite only
  std::uint64_t value = 0;   // offset of the contents
};

class Reader {
 public:
  Reader(std::FILE* f, std::uint64_t size) : f_(f), size_(size) {}

  // The header at `at`; nullopt when the file ends inside it or it is malformed
  // (truncated() tells which).
  std::optional<Header> header(std::uint64_t at) {
    truncated_ = false;
    if (fseeko(f_, static_cast<off_t>(at), SEEK_SET) != 0) return std::nullopt;
    pos_ = at;
    Header h;
    h.at = at;
    unsigned b = 0;
    if (!byte(h.tag)) return std::nullopt;
    if ((h.tag & 0x1f) == 0x1f) {
      for (int i = 0;; ++i) {
        if (i > 4 || !byte(b)) return std::nullopt;
        if (!(b & 0x80)) break;
      }
    }
    if (!byte(b)) return std::nullopt;
    if (b == 0x80) {
      if (!(h.tag & 0x20)) return std::nullopt;
      h.indefinite = true;
    } else if (b & 0x80) {
      unsigned count = b & 0x7f;
      if (count > 8) return std::nullopt;
      for (unsigned i = 0; i < count; ++i) {
        if (!byte(b)) return std::nullopt;
        h.length = (h.length << 8) | b;
      }
    } else {
      h.length = b;
    }
    h.value = pos_;
    if (!h.indefinite && h.length > size_ - pos_) {
      truncated_ = true;
      return std::nullopt;
    }
    return h;
  }

  // The offset just past the element whose header is h; nullopt when it does not end
  // within the file or is malformed.
  std::optional<std::uint64_t> end(const Header& h, int depth = 0) {
    if (!h.indefinite) return h.value + h.length;
    if (depth > 64) return std::nullopt;
    std::uint64_t at = h.value;
    for (;;) {
      if (at + 2 > size_) {
        truncated_ = true;
        return std::nullopt;
      }
      auto child = header(at);
      if (!child) return std::nullopt;
      if (child->tag == 0 && !child->indefinite && child->length == 0) return child->value;  // 00 00
      auto next = end(*child, depth + 1);
      if (!next) return std::nullopt;
      at = *next;
    }
  }

  // The children of a constructed element: up to its end-of-contents (indefinite) or its
  // length (definite; a child that runs past it is malformed).
  std::optional<std::vector<Header>> children(const Header& h) {
    std::vector<Header> out;
    std::uint64_t at = h.value;
    const std::uint64_t stop = h.value + h.length;
    for (;;) {
      if (!h.indefinite && at == stop) return out;
      auto child = header(at);
      if (!child) return std::nullopt;
      if (h.indefinite && child->tag == 0 && !child->indefinite && child->length == 0) return out;
      out.push_back(*child);
      auto next = end(*child);
      if (!next || (!h.indefinite && *next > stop)) return std::nullopt;
      at = *next;
    }
  }

  // The contents of a primitive element (at most `limit` octets).
  std::optional<std::string> contents(const Header& h, std::uint64_t limit) {
    if (h.indefinite || h.length > limit) return std::nullopt;
    std::string out(static_cast<std::size_t>(h.length), '\0');
    if (fseeko(f_, static_cast<off_t>(h.value), SEEK_SET) != 0 ||
        std::fread(out.data(), 1, out.size(), f_) != out.size()) {
      return std::nullopt;
    }
    return out;
  }

  bool truncated() const { return truncated_; }

 private:
  bool byte(unsigned& out) {
    if (pos_ >= size_) {
      truncated_ = true;
      return false;
    }
    int c = std::fgetc(f_);
    if (c == EOF) {
      truncated_ = true;
      return false;
    }
    ++pos_;
    out = static_cast<unsigned>(c);
    return true;
  }

  std::FILE* f_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
  bool truncated_ = false;
};

// The content BIO's state: where the reading is.
struct Source {
  std::FILE* f = nullptr;
  std::uint64_t size = 0;
  ContentSplit split;
  std::uint64_t next = 0;  // the next chunk header (chunked) or octet (primitive)
  std::uint64_t left = 0;  // octets left in the current chunk
  bool done = false;
  bool failed = false;
};

int sourceRead(BIO* b, char* out, int want) {
  auto* s = static_cast<Source*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (!s || s->failed || want <= 0) return -1;
  while (s->left == 0 && !s->done) {
    if (!s->split.chunked) {
      s->done = true;
      break;
    }
    Reader r(s->f, s->size);
    auto h = r.header(s->next);
    if (!h) {
      s->failed = true;
      return -1;
    }
    if (h->tag == 0 && h->length == 0 && !h->indefinite) {
      s->done = true;
      break;
    }
    if (h->tag != 0x04 || h->indefinite) {
      s->failed = true;
      return -1;
    }
    s->left = h->length;
    s->next = h->value;
  }
  if (s->done && s->left == 0) return 0;
  auto n = static_cast<std::size_t>(std::min<std::uint64_t>(s->left, static_cast<std::uint64_t>(want)));
  if (fseeko(s->f, static_cast<off_t>(s->next), SEEK_SET) != 0 || std::fread(out, 1, n, s->f) != n) {
    s->failed = true;
    return -1;
  }
  s->next += n;
  s->left -= n;
  return static_cast<int>(n);
}

long sourceCtrl(BIO* b, int cmd, long, void*) {
  auto* s = static_cast<Source*>(BIO_get_data(b));
  switch (cmd) {
    case BIO_CTRL_EOF: return s && s->done && s->left == 0 ? 1 : 0;
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
  }
}

int sourceCreate(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int sourceDestroy(BIO* b) {
  delete static_cast<Source*>(BIO_get_data(b));
  BIO_set_data(b, nullptr);
  return 1;
}

BIO_METHOD* sourceMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "posture backup content");
    BIO_meth_set_read(m, sourceRead);
    BIO_meth_set_ctrl(m, sourceCtrl);
    BIO_meth_set_create(m, sourceCreate);
    BIO_meth_set_destroy(m, sourceDestroy);
    return m;
  }();
  return method;
}
}  // namespace

BerCheck checkBer(std::FILE* f, std::uint64_t size) {
  Reader r(f, size);
  auto h = r.header(0);
  if (h && r.end(*h)) return BerCheck::Complete;
  return r.truncated() ? BerCheck::Truncated : BerCheck::Malformed;
}

std::optional<ContentSplit> findEncryptedContent(std::FILE* f, std::uint64_t size) {
  Reader r(f, size);
  // ContentInfo SEQUENCE { contentType OID, [0] EXPLICIT AuthEnvelopedData }
  auto top = r.header(0);
  if (!top || top->tag != 0x30 || !top->indefinite) return std::nullopt;
  auto outer = r.children(*top);
  if (!outer || outer->size() != 2 || (*outer)[1].tag != 0xa0 || !(*outer)[1].indefinite) return std::nullopt;
  auto wrapped = r.children((*outer)[1]);
  if (!wrapped || wrapped->size() != 1 || (*wrapped)[0].tag != 0x30 || !(*wrapped)[0].indefinite) return std::nullopt;
  // AuthEnvelopedData { version, [0] originatorInfo?, recipientInfos SET,
  //                     authEncryptedContentInfo SEQUENCE, [1] authAttrs?, mac, [2]? }
  auto fields = r.children((*wrapped)[0]);
  if (!fields) return std::nullopt;
  std::optional<Header> info;
  bool afterRecipients = false;
  for (const auto& field : *fields) {
    if (field.tag == 0x31) afterRecipients = true;
    else if (afterRecipients && field.tag == 0x30) {
      info = field;
      break;
    }
  }
  if (!info || !info->indefinite) return std::nullopt;
  // EncryptedContentInfo { contentType, contentEncryptionAlgorithm, [0] IMPLICIT content }
  auto parts = r.children(*info);
  if (!parts || parts->size() != 3) return std::nullopt;
  const Header& content = (*parts)[2];
  auto end = r.end(content);
  if (!end) return std::nullopt;
  ContentSplit split;
  split.start = content.at;
  split.end = *end;
  if (content.tag == 0x80 && !content.indefinite) {
    split.chunked = false;
    split.valueStart = content.value;
    split.valueLength = content.length;
    return split;
  }
  if (content.tag != 0xa0 || !content.indefinite) return std::nullopt;
  auto chunks = r.children(content);
  if (!chunks) return std::nullopt;
  for (const auto& c : *chunks) {
    if (c.tag != 0x04 || c.indefinite) return std::nullopt;
  }
  split.valueStart = content.value;
  return split;
}

std::optional<std::vector<std::uint64_t>> pbkdf2Iterations(std::FILE* f, std::uint64_t size) {
  // id-PBKDF2 (1.2.840.113549.1.5.12), the OID's contents.
  static const std::string kPbkdf2("\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0c", 9);
  Reader r(f, size);
  // ContentInfo SEQUENCE { contentType OID, [0] EXPLICIT AuthEnvelopedData SEQUENCE }
  auto top = r.header(0);
  if (!top || top->tag != 0x30) return std::nullopt;
  auto outer = r.children(*top);
  if (!outer || outer->size() != 2 || (*outer)[1].tag != 0xa0) return std::nullopt;
  auto wrapped = r.children((*outer)[1]);
  if (!wrapped || wrapped->size() != 1 || (*wrapped)[0].tag != 0x30) return std::nullopt;
  auto fields = r.children((*wrapped)[0]);
  if (!fields) return std::nullopt;
  // The recipientInfos SET: the first SET among the fields (originatorInfo is [0]).
  const Header* set = nullptr;
  for (const auto& field : *fields) {
    if (field.tag == 0x31) {
      set = &field;
      break;
    }
  }
  if (!set) return std::nullopt;
  auto recipients = r.children(*set);
  if (!recipients) return std::nullopt;
  std::vector<std::uint64_t> counts;
  for (const auto& recipient : *recipients) {
    // PasswordRecipientInfo, [3] IMPLICIT: { version, [0] keyDerivationAlgorithm, ... }
    if (recipient.tag != 0xa3) continue;
    auto pwri = r.children(recipient);
    if (!pwri || pwri->size() < 2 || (*pwri)[1].tag != 0xa0) return std::nullopt;
    // [0] IMPLICIT AlgorithmIdentifier { OID, PBKDF2-params { salt, iterationCount, ... } }
    auto kdf = r.children((*pwri)[1]);
    if (!kdf || kdf->size() != 2 || (*kdf)[0].tag != 0x06 || (*kdf)[1].tag != 0x30) return std::nullopt;
    auto oid = r.contents((*kdf)[0], 64);
    if (!oid || *oid != kPbkdf2) return std::nullopt;
    auto params = r.children((*kdf)[1]);
    if (!params || params->size() < 2 || (*params)[1].tag != 0x02) return std::nullopt;
    auto count = r.contents((*params)[1], 64);
    if (!count || count->empty()) return std::nullopt;
    // A non-negative INTEGER; anything that does not fit 63 bits reads as the maximum.
    std::uint64_t value = 0;
    if (static_cast<unsigned char>((*count)[0]) & 0x80) {
      value = UINT64_MAX;  // negative: never a count to derive with
    } else {
      std::size_t first = count->find_first_not_of('\0');
      if (first != std::string::npos && count->size() - first > 8) {
        value = UINT64_MAX;
      } else {
        for (char c : *count) value = (value << 8) | static_cast<unsigned char>(c);
      }
    }
    counts.push_back(value);
  }
  return counts;
}

BIO* newContentBio(std::FILE* f, const ContentSplit& split) {
  BIO* b = BIO_new(sourceMethod());
  if (!b) return nullptr;
  auto* s = new Source;
  s->f = f;
  fseeko(f, 0, SEEK_END);
  s->size = static_cast<std::uint64_t>(ftello(f));
  s->split = split;
  s->next = split.valueStart;
  s->left = split.chunked ? 0 : split.valueLength;
  s->done = !split.chunked && split.valueLength == 0;
  BIO_set_data(b, s);
  return b;
}

}  // namespace posture::collector::backup

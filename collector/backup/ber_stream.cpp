#include "collector/backup/ber_stream.h"

#include <sys/types.h>

#include <algorithm>
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

  // The children of an indefinite element, up to its end-of-contents.
  std::optional<std::vector<Header>> children(const Header& h) {
    std::vector<Header> out;
    std::uint64_t at = h.value;
    for (;;) {
      auto child = header(at);
      if (!child) return std::nullopt;
      if (child->tag == 0 && !child->indefinite && child->length == 0) return out;
      out.push_back(*child);
      auto next = end(*child);
      if (!next) return std::nullopt;
      at = *next;
    }
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

// CMS AuthEnvelopedData with a password recipient, written as a stream and opened with
// each failure told apart (envelope.h).
#include "collector/backup/envelope.h"

#include "collector/backup/ber_stream.h"

#include <fcntl.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace posture::collector::backup {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kWriteChunk = 64 * 1024;

std::string openSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

[[noreturn]] void fail(const std::string& what) {
  std::string reasons = openSslErrors();
  throw BackupError(what + (reasons.empty() ? "" : ": " + reasons));
}

// A failed write: out of space, or another error.
[[noreturn]] void writeFailed(const fs::path& path, int err, const std::string& what) {
  ERR_clear_error();
  if (isNoSpace(err)) throwNoSpace(path, std::strerror(err));
  throw BackupError(what + " " + path.string() + ": " + (err ? std::strerror(err) : "write error"));
}

// id-ct-authEnvelopedData (1.2.840.113549.1.9.16.1.23) as DER, as it follows the outer
// SEQUENCE header of a ContentInfo.
constexpr std::array<unsigned char, 13> kAuthEnvelopedOid = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                             0x0d, 0x01, 0x09, 0x10, 0x01, 0x17};

// Whether the file starts like a ContentInfo of AuthEnvelopedData.
bool authEnvelopedPrefix(std::FILE* f) {
  std::array<unsigned char, 32> head{};
  std::size_t n = std::fread(head.data(), 1, head.size(), f);
  if (n < 2 || head[0] != 0x30) return false;
  std::size_t at = 2;
  if (head[1] & 0x80) at += head[1] & 0x7f;  // long or indefinite form
  if (head[1] == 0x80) at = 2;
  if (at + kAuthEnvelopedOid.size() > n) return false;
  return std::memcmp(head.data() + at, kAuthEnvelopedOid.data(), kAuthEnvelopedOid.size()) == 0;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
// The part of a streamed file that is not the encrypted content: recipient, nonce, tag.
constexpr std::uint64_t kMaxHeaderBytes = 16 * 1024 * 1024;
struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
}  // namespace

bool isNoSpace(int err) { return err == ENOSPC || err == EDQUOT; }

void throwNoSpace(const fs::path& path, const std::string& detail) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  // The directory the operator chose, not the hidden work directory made in it
  // (.NAME.backup-XXXXXX, .NAME.restore-XXXXXX).
  for (fs::path d = dir; d.has_parent_path() && d != d.parent_path(); d = d.parent_path()) {
    if (d.filename().string().rfind('.', 0) == 0 && d.filename() != "." && d.filename() != "..") dir = d.parent_path();
  }
  std::string freeText;
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) == 0) {
    double mib = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize) / (1024.0 * 1024.0);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", mib);
    freeText = buf;
  }
  std::string p = path.string(), d = dir.string();
  std::string vi = "không đủ chỗ trống trên đĩa để ghi " + p;
  std::string en = "not enough disk space to write " + p;
  if (!freeText.empty()) {
    std::string viFree = freeText;
    std::replace(viFree.begin(), viFree.end(), '.', ',');
    vi += " (" + d + " còn trống " + viFree + " MiB)";
    en += " (" + freeText + " MiB free in " + d + ")";
  }
  throw NoSpaceError(vi + "; hãy giải phóng chỗ trống hoặc chọn thư mục khác / " + en +
                     "; free some space or choose another directory: " + detail);
}

// --- writing ----------------------------------------------------------------------------

struct EnvelopeWriter::State {
  int fd = -1;
  BIO* out = nullptr;
  BIO* stream = nullptr;  // the NDEF chain on top of out
  CMS_ContentInfo* cms = nullptr;
  fs::path path;
  bool finished = false;
  bool wroteAny = false;

  void freeChain() {
    while (stream && stream != out) {
      BIO* next = BIO_pop(stream);
      BIO_free(stream);
      stream = next;
    }
    stream = nullptr;
  }
  ~State() {
    freeChain();
    if (out) BIO_free(out);
    if (cms) CMS_ContentInfo_free(cms);
    if (fd >= 0) ::close(fd);
  }
};

EnvelopeWriter::EnvelopeWriter(const fs::path& path, const std::string& passphrase, int iterations)
    : state_(std::make_unique<State>()) {
  ERR_clear_error();
  auto& s = *state_;
  s.path = path;
  s.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (s.fd < 0) writeFailed(path, errno, "cannot create");
  s.out = BIO_new_fd(s.fd, BIO_NOCLOSE);
  if (!s.out) fail("BIO_new_fd");
  s.cms = CMS_encrypt(nullptr, nullptr, EVP_aes_256_gcm(), CMS_BINARY | CMS_PARTIAL | CMS_STREAM);
  if (!s.cms) fail("CMS_encrypt (AuthEnvelopedData, AES-256-GCM)");
  // CMS takes the passphrase's ownership and clears it when freed.
  auto* pass = static_cast<unsigned char*>(OPENSSL_memdup(passphrase.data(), passphrase.size()));
  if (!pass) fail("out of memory");
  // The key-encryption cipher is given: by default it would be the content cipher, and
  // GCM cannot wrap a key in PWRI-KEK. The PRF asked for, HMAC-SHA256, is ignored by
  // OpenSSL 3.0 (envelope.h); a release that honours it writes it, and readers follow the
  // file's parameters either way.
  if (!CMS_add0_recipient_password(s.cms, iterations, NID_undef, NID_hmacWithSHA256, pass,
                                   static_cast<ossl_ssize_t>(passphrase.size()), EVP_aes_256_cbc())) {
    OPENSSL_clear_free(pass, passphrase.size());
    fail("CMS_add0_recipient_password");
  }
  s.stream = BIO_new_NDEF(s.out, reinterpret_cast<ASN1_VALUE*>(s.cms), ASN1_ITEM_rptr(CMS_ContentInfo));
  if (!s.stream) fail("cannot start the CMS stream");
  buffer_.reserve(kWriteChunk);
}

EnvelopeWriter::~EnvelopeWriter() = default;

void EnvelopeWriter::flushBuffer() {
  if (buffer_.empty()) return;
  auto& s = *state_;
  errno = 0;
  if (BIO_write(s.stream, buffer_.data(), static_cast<int>(buffer_.size())) != static_cast<int>(buffer_.size())) {
    writeFailed(s.path, errno, "cannot write the backup");
  }
  buffer_.clear();
}

void EnvelopeWriter::write(std::string_view bytes) {
  if (state_->finished) throw BackupError("EnvelopeWriter::write after finish");
  while (!bytes.empty()) {
    std::size_t room = kWriteChunk - buffer_.size();
    std::size_t n = std::min(room, bytes.size());
    buffer_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    state_->wroteAny = true;
    if (buffer_.size() == kWriteChunk) flushBuffer();
  }
}

void EnvelopeWriter::finish() {
  auto& s = *state_;
  if (!s.wroteAny) throw BackupError("nothing to encrypt: the content is empty");
  flushBuffer();
  // Flushing the stream finishes the encryption and writes the GCM tag and the closing
  // octets; i2d_CMS_bio_stream ignores this result, so it is done here.
  errno = 0;
  if (BIO_flush(s.stream) != 1) {
    if (errno) writeFailed(s.path, errno, "cannot write the backup");
    fail("cannot finish the CMS stream");
  }
  s.freeChain();
  errno = 0;
  if (BIO_flush(s.out) != 1) writeFailed(s.path, errno, "cannot write the backup");
  if (::fsync(s.fd) != 0) writeFailed(s.path, errno, "cannot fsync");
  s.finished = true;
}

// --- reading ----------------------------------------------------------------------------

OpenResult openEnvelope(const fs::path& in, const std::string& passphrase, const fs::path& plainOut) {
  ERR_clear_error();
  std::error_code ec;
  auto size = fs::file_size(in, ec);
  if (ec) return {OpenFailure::Unreadable, ec.message()};
  if (size == 0) return {OpenFailure::Empty, ""};
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(in.c_str(), "rb"));
  if (!f) return {OpenFailure::Unreadable, std::strerror(errno)};
  bool prefix = authEnvelopedPrefix(f.get());
  std::optional<ContentSplit> split;
  if (prefix) {
    // The structure first: a file that ends early is truncated, whatever else is wrong.
    BerCheck check = checkBer(f.get(), size);
    if (check == BerCheck::Truncated) return {OpenFailure::Truncated, ""};
    if (check == BerCheck::Malformed) return {OpenFailure::Damaged, "malformed BER"};
    split = findEncryptedContent(f.get(), size);
    if (split && size - (split->end - split->start) > kMaxHeaderBytes) split.reset();
  }
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms;
  if (split) {
    // Everything but the encrypted content, which is read as a stream below.
    std::string head(static_cast<std::size_t>(size - (split->end - split->start)), '\0');
    std::size_t first = static_cast<std::size_t>(split->start);
    bool read = fseeko(f.get(), 0, SEEK_SET) == 0 && std::fread(head.data(), 1, first, f.get()) == first &&
                fseeko(f.get(), static_cast<off_t>(split->end), SEEK_SET) == 0 &&
                std::fread(head.data() + first, 1, head.size() - first, f.get()) == head.size() - first;
    if (!read) return {OpenFailure::Unreadable, std::strerror(errno)};
    std::unique_ptr<BIO, BioFree> mem(BIO_new_mem_buf(head.data(), static_cast<int>(head.size())));
    if (mem) cms.reset(d2i_CMS_bio(mem.get(), nullptr));
    if (!cms) return {OpenFailure::Damaged, openSslErrors()};
  } else {
    std::rewind(f.get());
    std::unique_ptr<BIO, BioFree> bio(BIO_new_fp(f.get(), BIO_NOCLOSE));
    if (bio) cms.reset(d2i_CMS_bio(bio.get(), nullptr));
    if (!cms) return {prefix ? OpenFailure::Damaged : OpenFailure::NotCms, openSslErrors()};
  }
  int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type != NID_id_smime_ct_authEnvelopedData) {
    const char* name = OBJ_nid2sn(type);
    return {OpenFailure::OtherCms, name ? name : "unknown"};
  }
  std::size_t passwords = 0;
  auto* recipients = CMS_get0_RecipientInfos(cms.get());
  for (int i = 0; recipients && i < sk_CMS_RecipientInfo_num(recipients); ++i) {
    if (CMS_RecipientInfo_type(sk_CMS_RecipientInfo_value(recipients, i)) == CMS_RECIPINFO_PASS) ++passwords;
  }
  if (passwords == 0) return {OpenFailure::OtherCms, "authEnvelopedData without a password recipient"};
  // PBKDF2 runs as many times as the file says: its count is checked first, read from the
  // file itself (OpenSSL has no accessor for it). Every password recipient OpenSSL found
  // must have been read.
  auto counts = pbkdf2Iterations(f.get(), size);
  if (!counts || counts->size() != passwords) {
    return {OpenFailure::Damaged, "the key derivation (PBKDF2) parameters cannot be read"};
  }
  for (std::uint64_t count : *counts) {
    if (count > kMaxPbkdf2Iterations) {
      return {OpenFailure::ExcessiveCost, count == UINT64_MAX ? "> 2^63" : std::to_string(count)};
    }
  }
  std::string pass = passphrase;  // CMS_decrypt_set1_password takes a non-const buffer
  if (!CMS_decrypt_set1_password(cms.get(), reinterpret_cast<unsigned char*>(pass.data()),
                                 static_cast<ossl_ssize_t>(pass.size()))) {
    return {OpenFailure::WrongPassphrase, openSslErrors()};
  }
  int fd = ::open(plainOut.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && isNoSpace(errno)) throwNoSpace(plainOut, std::strerror(errno));
  if (fd < 0) return {OpenFailure::Unreadable, plainOut.string() + ": " + std::strerror(errno)};
  std::unique_ptr<BIO, BioFree> out(BIO_new_fd(fd, BIO_CLOSE));
  if (!out) {
    ::close(fd);
    return {OpenFailure::Unreadable, openSslErrors()};
  }
  std::unique_ptr<BIO, BioFree> content(split ? newContentBio(f.get(), *split) : nullptr);
  if (split && !content) return {OpenFailure::Unreadable, openSslErrors()};
  // Decryption sets no errno: one set here is a failed write of the output (or read of the
  // file), which must not be reported as a changed backup.
  errno = 0;
  if (!CMS_decrypt(cms.get(), nullptr, nullptr, content.get(), out.get(), CMS_BINARY)) {
    int err = errno;
    if (isNoSpace(err)) {
      ERR_clear_error();
      throwNoSpace(plainOut, std::strerror(err));
    }
    return {OpenFailure::Tampered, openSslErrors()};
  }
  errno = 0;
  if (BIO_flush(out.get()) != 1) {
    if (isNoSpace(errno)) throwNoSpace(plainOut, std::strerror(errno));
    return {OpenFailure::Unreadable, "cannot write " + plainOut.string()};
  }
  if (::fsync(fd) != 0 && isNoSpace(errno)) throwNoSpace(plainOut, std::strerror(errno));
  return {};
}

std::string describeOpenFailure(const OpenResult& r, const fs::path& file) {
  std::string f = file.string();
  std::string detail = r.detail.empty() ? "" : " (" + r.detail + ")";
  switch (r.failure) {
    case OpenFailure::None: return "";
    case OpenFailure::Empty:
      return "tệp sao lưu " + f + " rỗng (0 byte) / the backup file " + f + " is empty (0 bytes)";
    case OpenFailure::NotCms:
      return f + " không phải là bản sao lưu Posture (không phải tệp CMS) / " + f +
             " is not a Posture backup (not a CMS file)";
    case OpenFailure::OtherCms:
      return f + " là tệp CMS loại " + r.detail + ", không phải bản sao lưu Posture / " + f +
             " is a CMS file of type " + r.detail +
             ", not a Posture backup (AuthEnvelopedData with a password recipient)";
    case OpenFailure::Truncated:
      return "tệp sao lưu " + f + " bị cắt cụt: thiếu phần cuối (chép chưa xong?) / the backup file " + f +
             " is truncated: its end is missing (an unfinished copy?)";
    case OpenFailure::Damaged:
      return "cấu trúc tệp sao lưu " + f + " bị hỏng / the structure of the backup file " + f +
             " is damaged" + detail;
    case OpenFailure::ExcessiveCost:
      return "tệp sao lưu " + f + " đòi " + r.detail +
             " vòng PBKDF2, quá giới hạn 10.000.000 (không phải bản sao lưu Posture, hoặc đã bị sửa) / the backup file " +
             f + " asks for " + r.detail +
             " PBKDF2 iterations, above the limit of 10,000,000 (not a Posture backup, or altered)";
    case OpenFailure::WrongPassphrase:
      return "sai mật khẩu sao lưu cho " + f + " (hoặc phần khoá ở đầu tệp đã bị sửa) / wrong backup passphrase for " +
             f + " (or the key part of its header was altered)";
    case OpenFailure::Tampered:
      return "tệp sao lưu " + f +
             " đã bị sửa hoặc hỏng: mã xác thực GCM không khớp, không dùng được / the backup file " + f +
             " was altered or corrupted: its GCM authentication tag does not match; it cannot be used";
    case OpenFailure::Unreadable:
      return "không đọc được " + f + " / cannot read " + f + detail;
  }
  return "";
}

}  // namespace posture::collector::backup

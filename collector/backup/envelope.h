#pragma once
// The backup file's envelope: a standard, not ours. CMS AuthEnvelopedData (RFC 5083)
// with AES-256-GCM content encryption (RFC 5084) and one password recipient (PWRI, RFC
// 3211: PBKDF2 derives a key-encryption key, id-alg-PWRI-KEK with AES-256-CBC wraps the
// content key). The GCM tag authenticates every byte of the content, so a changed byte is
// refused, not restored. Stock OpenSSL opens it:
//   openssl cms -decrypt -inform DER -in FILE -pwri_password PASS | tar t
//
// Written as a stream (BER with indefinite lengths, which DER readers such as `openssl
// cms -inform DER` accept), so the database never has to fit in memory while writing; read
// back as a stream too (ber_stream.h).
//
// PBKDF2's PRF: OpenSSL 3.0's CMS_add0_recipient_password ignores its PRF argument and
// always writes the default, HMAC-SHA1 (cms_pwri.c: PKCS5_pbkdf2_set(iter, NULL, 0, -1,
// -1)). HMAC-SHA1 has no known weakness as a PRF; what matters is the cost of a guess,
// hence the iteration count OWASP gives for PBKDF2-HMAC-SHA1.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace posture::collector::backup {

inline constexpr int kPbkdf2Iterations = 1'300'000;
// The most a file may ask for when opened: its count is read from the file (ber_stream.h)
// before anything is derived, so a hostile file cannot make restore spin for days.
inline constexpr std::uint64_t kMaxPbkdf2Iterations = 10'000'000;

// Encrypts a stream into `out` (created 0600, truncated). write() as often as needed,
// then finish(), which writes the tag and fsyncs; without finish() the file is incomplete.
class EnvelopeWriter {
 public:
  EnvelopeWriter(const std::filesystem::path& out, const std::string& passphrase,
                 int iterations = kPbkdf2Iterations);
  ~EnvelopeWriter();
  EnvelopeWriter(const EnvelopeWriter&) = delete;
  EnvelopeWriter& operator=(const EnvelopeWriter&) = delete;

  void write(std::string_view bytes);
  // Throws BackupError when nothing was written: OpenSSL's streaming ASN.1 BIO writes its
  // header on the first byte, so an empty stream cannot be finished. A backup is a tar
  // archive, never empty.
  void finish();

 private:
  void flushBuffer();
  struct State;
  std::unique_ptr<State> state_;
  std::string buffer_;
};

// Why a file could not be opened, each with its own message for IT staff.
enum class OpenFailure {
  None,
  Empty,            // zero bytes
  NotCms,           // not a CMS structure at all
  OtherCms,         // CMS, but not AuthEnvelopedData with a password recipient
  Truncated,        // the structure ends past the end of the file
  Damaged,          // the structure is malformed
  ExcessiveCost,    // a password recipient asks for more than kMaxPbkdf2Iterations
  WrongPassphrase,  // the key does not unwrap (or its bytes in the header changed)
  Tampered,         // the GCM tag does not match: content, nonce or tag changed
  Unreadable,       // cannot read the file or write the output
};

struct OpenResult {
  OpenFailure failure = OpenFailure::None;
  std::string detail;  // OpenSSL's reasons or the CMS type found
  bool ok() const { return failure == OpenFailure::None; }
};

// Decrypts `in` into `plainOut` (created 0600). The output is only to be used when the
// result is ok(): it is written before the tag is checked at the end.
OpenResult openEnvelope(const std::filesystem::path& in, const std::string& passphrase,
                        const std::filesystem::path& plainOut);

// "vietnamese / english" message for a failure, naming the file.
std::string describeOpenFailure(const OpenResult& result, const std::filesystem::path& file);

class BackupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write ran out of disk space (ENOSPC, EDQUOT, SQLITE_FULL). Told apart from a damaged
// backup, which a failed write in the middle of decryption would otherwise look like.
class NoSpaceError : public BackupError {
 public:
  using BackupError::BackupError;
};
bool isNoSpace(int err);  // ENOSPC or EDQUOT
// "vietnamese / english": not enough space to write `path`, the free space of its
// directory, then `detail`.
[[noreturn]] void throwNoSpace(const std::filesystem::path& path, const std::string& detail);

}  // namespace posture::collector::backup

#include "common/crypto/openssl_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>

#include "common/crypto/crypto.h"

namespace posture::crypto::detail {

// Drains the whole queue so a later failure never reports this one's leftovers.
std::string openSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out;
}

[[noreturn]] void fail(const std::string& what) {
  std::string message = what;
  if (std::string errors = openSslErrors(); !errors.empty()) {
    message += ": ";
    message += errors;
  }
  throw CryptoError(message);
}

std::string toHex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

// Never prompt on a terminal for a passphrase: an encrypted key is simply
// refused.
int refusePassphrase(char*, int, int, void*) { return -1; }

BioPtr readBio(const std::string& pem, const std::string& what) {
  if (pem.empty()) fail(what + " is empty");
  if (pem.size() > kMaxPemBytes) {
    fail(what + " is larger than " + std::to_string(kMaxPemBytes) + " bytes");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("cannot allocate a memory BIO");
  return bio;
}

PkeyPtr loadPrivateKey(const std::string& pem, const std::string& what) {
  BioPtr bio = readBio(pem, what);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refusePassphrase, nullptr));
  if (!key) fail(what + " is not a valid unencrypted PEM private key");
  return key;
}

X509Ptr loadCertificate(const std::string& pem, const std::string& what) {
  BioPtr bio = readBio(pem, what);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, refusePassphrase, nullptr));
  if (!cert) fail(what + " is not valid PEM");
  return cert;
}

}  // namespace posture::crypto::detail

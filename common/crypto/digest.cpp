// SHA-256 (one shot and streaming), random hex, fingerprints, and the SHA-256 signatures of
// export manifests.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <vector>

#include "common/crypto/crypto.h"
#include "common/crypto/openssl_util.h"

namespace posture::crypto {
using namespace detail;
namespace {

// A base64 signature bigger than this cannot come from any key we accept
// (RSA-8192 gives 1368 characters), so longer input is refused before decoding.
constexpr std::size_t kMaxSignatureBase64 = 4096;
// randomHex is for tokens and nonces; a megabyte already means a caller bug.
constexpr std::size_t kMaxRandomBytes = 1024 * 1024;

std::string base64Encode(const std::vector<unsigned char>& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                               static_cast<int>(data.size()));
  if (length < 0) fail("cannot encode base64");
  out.resize(static_cast<std::size_t>(length));
  return out;
}

// Strict decoder: EVP_DecodeBlock keeps the zero bytes that padding stands for,
// which would corrupt a DER signature, and accepts stray whitespace.
bool base64Decode(std::string_view text, std::vector<unsigned char>& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.empty() || text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  out.clear();
  out.reserve(text.size() / 4 * 3);
  std::uint32_t accumulator = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    int v = value(text[i]);
    if (v < 0) return false;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      out.push_back(static_cast<unsigned char>(accumulator >> 16));
      out.push_back(static_cast<unsigned char>(accumulator >> 8));
      out.push_back(static_cast<unsigned char>(accumulator));
      accumulator = 0;
    }
  }
  if (padding == 1) {
    out.push_back(static_cast<unsigned char>(accumulator >> 10));
    out.push_back(static_cast<unsigned char>(accumulator >> 2));
  } else if (padding == 2) {
    out.push_back(static_cast<unsigned char>(accumulator >> 4));
  }
  return true;
}

}  // namespace

std::string parseSha256Fingerprint(std::string_view text) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  std::string t;
  for (char c : text) t += lower(c);
  for (std::string_view prefix : {"sha256:", "sha256=", "sha-256:", "sha-256="}) {
    if (t.starts_with(prefix)) {
      t.erase(0, prefix.size());
      break;
    }
  }
  std::string out;
  for (char c : t) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      out += c;
    } else if (c != ':' && c != ' ' && c != '\t') {
      return {};
    }
  }
  return out.size() == 64 ? out : std::string();
}

std::string sha256Hex(std::string_view data) {
  ERR_clear_error();
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    fail("cannot compute SHA-256");
  }
  return toHex(digest.data(), length);
}

Sha256::Sha256() {
  ERR_clear_error();
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) fail("cannot start SHA-256");
  ctx_ = md.release();
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(std::string_view data) {
  if (finished_) fail("SHA-256 updated after it was finished");
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) {
    fail("cannot compute SHA-256");
  }
}

std::string Sha256::finishHex() {
  if (finished_) fail("SHA-256 finished twice");
  finished_ = true;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest.data(), &length) != 1) {
    fail("cannot compute SHA-256");
  }
  return toHex(digest.data(), length);
}

std::string randomHex(std::size_t bytes) {
  ERR_clear_error();
  if (bytes > kMaxRandomBytes) {
    fail("randomHex request of " + std::to_string(bytes) + " bytes is too large");
  }
  std::vector<unsigned char> buffer(bytes);
  if (bytes > 0 && RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
    fail("random number generator failed");
  }
  return toHex(buffer.data(), buffer.size());
}

std::string signSha256(const std::string& keyPem, std::string_view data) {
  ERR_clear_error();
  PkeyPtr key = loadPrivateKey(keyPem, "signing key");
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md) fail("cannot allocate a digest context");
  if (EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr) !=
      1) {
    fail("cannot start a SHA-256 signature with this key");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = 0;
  if (EVP_DigestSign(md.get(), nullptr, &length, bytes, data.size()) != 1) {
    fail("cannot size the signature");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(md.get(), signature.data(), &length, bytes, data.size()) != 1) {
    fail("cannot sign the data");
  }
  signature.resize(length);
  return base64Encode(signature);
}

bool verifySha256(const std::string& certPem, std::string_view data,
                  const std::string& signatureBase64) {
  ERR_clear_error();
  X509Ptr cert = loadCertificate(certPem, "certificate");
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) fail("certificate public key cannot be decoded");
  std::vector<unsigned char> signature;
  if (signatureBase64.size() > kMaxSignatureBase64 || !base64Decode(signatureBase64, signature)) {
    return false;
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md) fail("cannot allocate a digest context");
  if (EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1) {
    fail("cannot start SHA-256 verification with this certificate's key");
  }
  bool ok = EVP_DigestVerify(md.get(), signature.data(), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace posture::crypto
